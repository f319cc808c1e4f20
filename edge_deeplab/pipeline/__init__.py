"""`edge-deeplab pipeline`: data -> train -> QAT -> export -> GPU gates -> evaluate -> benchmark -> report."""

from edge_deeplab.pipeline.run import PipelineConfig, plan, run_pipeline

__all__ = ["PipelineConfig", "plan", "run_pipeline"]
