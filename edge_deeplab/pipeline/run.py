"""The main job: one command from data to a deployment report.

    train -> QAT -> export (every format of converters/formats.py) with GPU-delegate gates -> evaluate
    (our models and the peers) -> host benchmark (-> phone benchmark) -> report with a verdict per gate

The command starts from preset:person (a person model that already segments real photos): on a
data folder it fine-tunes the preset while distilling from it; on the embedded synthetic scenes the
preset is the float model as it is, and the scenes only calibrate int8 and carry QAT's distillation
(SYNTHETIC_QAT below says why). Where ../shared holds held-out real photos (eg1800 test, ccp-person
val, coco-people), the starting model, the float model and its integer exports are scored on them too,
with a verdict. `--init-from none` trains a small model from scratch instead.

Everything lands in one folder (default reports/pipeline): train/, qat/ (resumable training runs),
export/, evaluate/, evaluate-real/, bench/, stages.json and report.{html,md,json}. A rerun skips the stages whose
inputs did not change (edge_deeplab/pipeline/stages.py); a killed training stage resumes from its
last checkpoint.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.converters.formats import FORMAT_NAMES, export_format
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.pipeline import steps
from edge_deeplab.train.config import QAT_DEFAULTS, TrainConfig

#: Where training starts by default: the shipped person model. Trained from scratch on the synthetic
#: scenes alone, the main job's model scored 0.6 % person IoU on ten ccp-person photos.
DEFAULT_INIT = "preset:person"
#: Fine-tuning a model that already knows people: preset:person's own recipe (SGD at 0.001, batch
#: norm of the pretrained layers frozen, distilling from the starting model with weight 3: Learning
#: without Forgetting), for 2 epochs, so the main job stays within 15 minutes on 2 cores.
FINE_TUNE_TRAIN = TrainConfig(epochs=2, batch_size=8, optimizer="sgd", learning_rate=0.001, warmup_epochs=0.0,
                              fine_tune_batch_norm=False, distill_weight=3.0)
#: On the embedded synthetic scenes a model that knows real people is not trained on their labels:
#: measured (2026-12-02, main job), 2 epochs took preset:person from 92.55 to 22.38 person IoU on
#: eg1800 test, and one QAT epoch with the labels to 82.41. So the scenes only calibrate and carry
#: QAT's distillation from the float model (label_weight 0); int8 calibrated on them kept it at 92.63.
SYNTHETIC_QAT = QAT_DEFAULTS.replace(label_weight=0.0)
#: From scratch (`--init-from none`): a small, fast model trained on --data alone.
DEFAULT_MODEL = DeepLabConfig(num_classes=2, input_size=(257, 257), depth_multiplier=0.35, aspp_channels=64,
                              decoder_channels=64)
DEFAULT_TRAIN = TrainConfig(epochs=20, batch_size=8, optimizer="adamw", learning_rate=3e-3, warmup_epochs=0.5)
# QAT fine-tunes the trained model exactly as `edge-deeplab qat` does (train/config.py says why).
DEFAULT_QAT = QAT_DEFAULTS


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    data: str = "synthetic"
    output: str = "reports/pipeline"
    model: Optional[DeepLabConfig] = None  # None: init_from's model, or DEFAULT_MODEL from scratch
    train: TrainConfig = DEFAULT_TRAIN     # the CLI gives FINE_TUNE_TRAIN when it starts from a model
    qat: TrainConfig = DEFAULT_QAT
    backbone_weights: Optional[str] = None
    from_model: Optional[str] = None      # a trained model folder: skip the training stage
    init_from: Optional[str] = None       # a model folder training starts from (and distils from)
    labels: Optional[str] = None
    formats: tuple = FORMAT_NAMES
    calibration_images: int = 100
    peers: Optional[bool] = None          # None: include them where ../shared holds them
    bench_runs: int = 20
    serial: Optional[str] = None
    benchmark_binary: Optional[str] = None
    adb_path: Optional[str] = None
    min_fps: float = 15.0
    max_int8_loss: float = 1.0            # mIoU points int8 post-training may lose against float
    max_qat_loss: float = 0.3             # mIoU points int8 from QAT may lose against float
    real_photos: Optional[bool] = None    # score on shared/'s held-out real photos (None: where it holds them)
    min_person_iou: float = 0.80          # person IoU the int8 models must reach on each set of real photos

    def __post_init__(self):
        # Checked here, before anything is trained: a typo must not cost a training run.
        if not self.formats:
            raise EdgeDeeplabError(f"--formats is empty: choose from {', '.join(FORMAT_NAMES)}")
        for name in self.formats:
            try:
                export_format(name)
            except EdgeDeeplabError as error:
                raise EdgeDeeplabError(f"--formats {','.join(self.formats)}: {error}") from None
        for option, value in (("--calibration-images", self.calibration_images), ("--bench-runs", self.bench_runs)):
            if value < 1:
                raise EdgeDeeplabError(f"{option} {value} must be at least 1")
        for option, limit in (("--max-int8-loss", self.max_int8_loss), ("--max-qat-loss", self.max_qat_loss)):
            # `not limit >= 0` also refuses NaN, which would make every loss verdict silently PASS or FAIL.
            if not (math.isfinite(limit) and limit >= 0):
                raise EdgeDeeplabError(f"{option} {limit:g} must be a finite number of mIoU points >= 0, e.g. 1.0")
        if not 0 <= self.min_person_iou <= 1:
            raise EdgeDeeplabError(f"--min-person-iou {self.min_person_iou:g} must be a person IoU between 0 and 1, "
                                   "e.g. 0.8")
        if self.from_model and self.init_from:
            raise EdgeDeeplabError("--from-model skips training, so --init-from has nothing to start: give one of "
                                   "them (--init-from none trains from scratch)")
        if not self.min_fps > 0:
            raise EdgeDeeplabError(f"--min-fps {self.min_fps:g} must be a positive number of frames per second, "
                                   "e.g. 15")


def run_pipeline(config: PipelineConfig = PipelineConfig(), log: Callable[[str], None] = print,
                 progress: bool = True) -> dict:
    """Run every stage of `config` into config.output, skipping the stages whose inputs are unchanged.

    Args:
        config: the run (PipelineConfig): data, starting model, training and QAT, formats and gates.
        log: takes each message line (default: print).
        progress: show progress bars for the long stages.

    Returns:
        The report (also written as report.json, .md and .html), with each gate's verdict.
    """
    if config.model is None and not (config.from_model or config.init_from):
        config = dataclasses.replace(config, model=DEFAULT_MODEL)  # from scratch
    job = steps.start(config, log, progress)
    model_config, trained, train_print = steps.train_step(job)
    float_model = Path(trained.model)
    qat_model, qat_print = steps.qat_step(job, float_model, train_print)
    exported, export_print = steps.export_step(job, float_model, qat_model, train_print, qat_print)
    tflites = exported.tflites()
    evaluated, peers = steps.evaluate_step(job, float_model, tflites, export_print)
    real = steps.evaluate_real_step(job, float_model, tflites, export_print, train_print)
    host = steps.bench_host_step(job, tflites, peers, export_print)
    device = steps.bench_device_step(job, tflites)
    return steps.report_step(job, model_config, trained, exported, evaluated, host, device, float_model, qat_model,
                             real)



