"""`edge-deeplab pipeline`: data -> train -> QAT -> export -> GPU gates -> evaluate -> benchmark -> report."""
from edge_deeplab.pipeline.run import PipelineConfig, run_pipeline

__all__ = ["PipelineConfig", "run_pipeline"]
