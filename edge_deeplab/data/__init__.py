"""Datasets: readers with load-time checks, the embedded synthetic default, the tf.data pipeline.

- open_dataset(root, split, labels_config=None, on_error="raise"|"skip"): PASCAL VOC, an
  images/ + masks/ folder (../shared/data/ccp-person), or "synthetic" (readers.py).
- open_mix / DataSpec / MixedDataset: several datasets trained on at once, each with its own labels
  config and sampling weight ('PATH[:labels=FILE][:weight=W]', mix.py).
- synthetic_dataset / write_synthetic: deterministic synthetic portraits (synthetic.py).
- edge_deeplab.data.pipeline: training_dataset / evaluation_dataset / resize_for_model
  (imports TensorFlow, so it is not imported here).
"""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)

from edge_deeplab.data.dataset import ArrayDataset, Dataset, FileDataset, Sample
from edge_deeplab.data.labels import PERSON_CLASSES, PRESETS, VOC_CLASSES, LabelConfig, load_labels_config
from edge_deeplab.data.mix import DataSpec, MixedDataset, open_mix, parse_data_spec
from edge_deeplab.data.readers import open_dataset
from edge_deeplab.data.synthetic import synthetic_dataset, write_synthetic

__all__ = [
    "ArrayDataset",
    "DataSpec",
    "Dataset",
    "FileDataset",
    "LabelConfig",
    "MixedDataset",
    "PERSON_CLASSES",
    "PRESETS",
    "Sample",
    "VOC_CLASSES",
    "load_labels_config",
    "open_dataset",
    "open_mix",
    "parse_data_spec",
    "synthetic_dataset",
    "write_synthetic",
]
