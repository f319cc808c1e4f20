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
from edge_deeplab.io import check_writable_output
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.pipeline import steps
from edge_deeplab.train.config import QAT_DEFAULTS, TrainConfig
from edge_deeplab.train.runfolder import run_lock

#: Where training starts by default: the shipped person model. Trained from scratch on the synthetic
#: scenes alone, the main job's model scored 0.6 % person IoU on ten ccp-person photos.
DEFAULT_INIT = "preset:person"
#: Fine-tuning a model that already knows people: preset:person's own recipe (SGD at 0.001, batch
#: norm of the pretrained layers frozen, distilling from the starting model with weight 3: Learning
#: without Forgetting), for 2 epochs, so the main job stays within 15 minutes on 2 cores.
FINE_TUNE_TRAIN = TrainConfig(
    epochs=2,
    batch_size=8,
    optimizer="sgd",
    learning_rate=0.001,
    warmup_epochs=0.0,
    fine_tune_batch_norm=False,
    distill_weight=3.0,
)
#: On the embedded synthetic scenes a model that knows real people is not trained on their labels:
#: measured (2026-12-02, main job), 2 epochs took preset:person from 92.55 to 22.38 person IoU on
#: eg1800 test, and one QAT epoch with the labels to 82.41. So the scenes only calibrate and carry
#: QAT's distillation from the float model (label_weight 0); int8 calibrated on them kept it at 92.63.
SYNTHETIC_QAT = QAT_DEFAULTS.replace(label_weight=0.0)
#: From scratch (`--init-from none`): a small, fast model trained on --data alone.
DEFAULT_MODEL = DeepLabConfig(
    num_classes=2, input_size=(257, 257), depth_multiplier=0.35, aspp_channels=64, decoder_channels=64
)
DEFAULT_TRAIN = TrainConfig(epochs=20, batch_size=8, optimizer="adamw", learning_rate=3e-3, warmup_epochs=0.5)
# QAT fine-tunes the trained model exactly as `edge-deeplab qat` does (train/config.py says why).
DEFAULT_QAT = QAT_DEFAULTS


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """The main job's settings, each default the same as `edge-deeplab pipeline`'s: `run_pipeline(PipelineConfig())`
    runs what the command runs. Checked on creation, before anything is trained; plan() decides the defaults
    that depend on each other.

    Args:
        data: the dataset folder (PASCAL VOC or images/ + masks/), or "synthetic" for the embedded scenes.
        output: the folder of the whole run and its report.
        model: the DeepLabConfig to train; None: init_from's model as it is, or DEFAULT_MODEL from scratch.
        train: the TrainConfig of the training stage; None: FINE_TUNE_TRAIN from a model, DEFAULT_TRAIN from
            scratch. On the synthetic scenes, None also means a starting model is not trained on them at all:
            it is the float model as it is (SYNTHETIC_QAT says why).
        qat: the TrainConfig of quantization-aware training; None: SYNTHETIC_QAT where the starting model is
            the float model on the synthetic scenes, else DEFAULT_QAT.
        backbone_weights: from scratch: "imagenet" or a Keras no-top MobileNet-v2 .h5 for the backbone.
        from_model: a trained model folder or preset:NAME taken as the float model: no training stage.
        init_from: the model folder or preset:NAME training starts from and distils from (DEFAULT_INIT,
            preset:person); None or "none" trains from scratch. Left at its default, from_model replaces it.
        labels: the labels config of the dataset (a JSON file or a preset name).
        formats: the export formats (converters/formats.py).
        calibration_images: the training images int8 post-training quantization calibrates on.
        peers: compare with the peer models; None: where ../shared holds them.
        bench_runs: timed runs per model and setting in the host benchmark.
        serial: the phone to benchmark on (adb serial); needs benchmark_binary.
        benchmark_binary: Google's benchmark_model for the phone (android_aarch64).
        adb_path: the adb client (default: found as bench/adb.py says).
        min_fps: the GPU frames per second each export must reach on the phone.
        max_int8_loss: the mIoU points int8 post-training quantization may lose against the float model.
        max_qat_loss: the mIoU points int8 from QAT may lose against the float model.
        real_photos: also score on shared/'s held-out real photos; None: where shared/ holds them.
        min_person_iou: the person IoU every integer export must reach on each gated set of real photos.
    """

    data: str = "synthetic"
    output: str = "reports/pipeline"
    model: Optional[DeepLabConfig] = None
    train: Optional[TrainConfig] = None
    qat: Optional[TrainConfig] = None
    backbone_weights: Optional[str] = None
    from_model: Optional[str] = None
    init_from: Optional[str] = DEFAULT_INIT
    labels: Optional[str] = None
    formats: tuple = FORMAT_NAMES
    calibration_images: int = 100
    peers: Optional[bool] = None
    bench_runs: int = 20
    serial: Optional[str] = None
    benchmark_binary: Optional[str] = None
    adb_path: Optional[str] = None
    min_fps: float = 15.0
    max_int8_loss: float = 1.0
    max_qat_loss: float = 0.3
    real_photos: Optional[bool] = None
    min_person_iou: float = 0.80

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
            raise EdgeDeeplabError(
                f"--min-person-iou {self.min_person_iou:g} must be a person IoU between 0 and 1, e.g. 0.8"
            )
        if self.from_model and self.init_from not in (None, "none", DEFAULT_INIT):
            raise EdgeDeeplabError(
                "--from-model skips training, so --init-from has nothing to start: give one of "
                "them (--init-from none trains from scratch)"
            )
        if self.backbone_weights and not self.from_model and self.init_from not in (None, "none"):
            raise EdgeDeeplabError("--backbone-weights starts a model from scratch: add --init-from none")
        if not 0 < self.min_fps < math.inf:
            raise EdgeDeeplabError(
                f"--min-fps {self.min_fps:g} must be a positive number of frames per second, e.g. 15"
            )
        if self.serial and not self.benchmark_binary:
            raise EdgeDeeplabError("--serial needs --benchmark-binary (Google's benchmark_model for the phone's ABI)")


def run_pipeline(
    config: PipelineConfig = PipelineConfig(), log: Callable[[str], None] = print, progress: bool = True
) -> dict:
    """Run every stage of `config` into config.output, skipping the stages whose inputs are unchanged.

    Args:
        config: the run (PipelineConfig): data, starting model, training and QAT, formats and gates.
        log: takes each message line (default: print).
        progress: show progress bars for the long stages.

    Returns:
        The report (also written as report.json, .md and .html), with each gate's verdict.
    """
    # The whole run holds --output's lock (the one train takes on its run folder): two pipelines into one
    # folder would share export/, stages.json and the report, each reporting the other's models.
    with run_lock(check_writable_output(config.output)):
        job = steps.start(plan(config), log, progress)
        model_config, trained, train_print = steps.train_step(job)
        float_model = Path(trained.model)
        qat_model, qat_print = steps.qat_step(job, float_model, train_print)
        exported, export_print = steps.export_step(job, float_model, qat_model, train_print, qat_print)
        tflites = exported.tflites()
        evaluated, peers = steps.evaluate_step(job, float_model, tflites, export_print)
        real = steps.evaluate_real_step(job, float_model, tflites, export_print, train_print)
        host = steps.bench_host_step(job, tflites, peers, export_print)
        device = steps.bench_device_step(job, tflites)
        return steps.report_step(
            job, model_config, trained, exported, evaluated, host, device, float_model, qat_model, real
        )


def plan(config: PipelineConfig) -> PipelineConfig:
    """The run `config` asks for, every default decided: what run_pipeline carries out, and what the
    `pipeline` command gives it (its options map onto PipelineConfig's fields, nothing more).

    Args:
        config: the PipelineConfig, defaults left as None where it allows.

    Returns:
        The same config with from_model and init_from resolved to model folders (presets included) or None,
        and model (from scratch), train and qat set. Planning a plan changes nothing.
    """
    from edge_deeplab import presets

    from_model = None if config.from_model is None else str(presets.resolve(config.from_model, "keras"))
    start = (
        None if from_model or config.init_from in (None, "none") else str(presets.resolve(config.init_from, "keras"))
    )
    train, qat = config.train or train_config_for(start), config.qat or DEFAULT_QAT
    if start and config.data == "synthetic" and config.train is None:
        # A model that knows real people is not taught the cartoon scenes' labels (SYNTHETIC_QAT says what they
        # did to it): it is the float model as it is, and QAT distils from it on the scenes.
        from_model, start, qat = start, None, config.qat or SYNTHETIC_QAT
    model = config.model or (None if from_model or start else DEFAULT_MODEL)  # None: the starting model's
    return dataclasses.replace(config, from_model=from_model, init_from=start, model=model, train=train, qat=qat)


def train_config_for(init_from: Optional[str], **changes) -> TrainConfig:
    """The training of a run, before plan() looks at the data: FINE_TUNE_TRAIN from a model, DEFAULT_TRAIN
    from scratch, with `changes`. Another optimizer than the default's, given without a learning rate, starts
    from TrainConfig's rate rather than the default optimizer's.

    Args:
        init_from: the model training starts from; None or "none": from scratch.
        changes: TrainConfig fields to change (epochs, batch_size, learning_rate, optimizer, ...).

    Returns:
        The TrainConfig.
    """
    base = DEFAULT_TRAIN if init_from in (None, "none") else FINE_TUNE_TRAIN
    if changes.get("optimizer", base.optimizer) != base.optimizer and "learning_rate" not in changes:
        changes["learning_rate"] = TrainConfig.learning_rate
    return base.replace(**changes)
