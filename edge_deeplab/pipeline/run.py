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
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.converters.formats import FORMAT_NAMES, export_format
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_bytes, write_json, write_text
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.pipeline.results import Candidate, Evaluated, Exported, HostBenched, Trained
from edge_deeplab.pipeline.stages import StageStore, files_signature, fingerprint
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
#: In each stage folder the pipeline replaces (train/, qat/, export/): the inputs it was made from. Also
#: what tells the pipeline's own folder from a user's.
STAGE_MARKER = ".pipeline-fingerprint"
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
        if not 0 < self.min_fps < math.inf:
            raise EdgeDeeplabError(f"--min-fps {self.min_fps:g} must be a positive number of frames per second, "
                                   "e.g. 15")
        if self.serial and not self.benchmark_binary:
            raise EdgeDeeplabError("--serial needs --benchmark-binary (Google's benchmark_model for the phone's ABI)")


def run_pipeline(config: PipelineConfig = PipelineConfig(), log: Callable[[str], None] = print,
                 progress: bool = True) -> dict:
    """Run every stage of `config` (train, QAT, export and GPU gates, evaluate, benchmark, report) into
    config.output, skipping stages whose inputs are unchanged; `log` takes the messages, `progress` shows
    bars. Returns the report (also report.json, .md and .html), with each gate's verdict."""
    from edge_deeplab.data import open_dataset

    out = check_writable_output(config.output)  # before the data is read or anything is trained
    store = StageStore(out)
    _refuse_foreign_stage_folders(out, store, config)
    timings = {}

    # Data first: a wrong folder stops here, before anything is trained or overwritten.
    train_set = open_dataset(config.data, "train", labels_config=config.labels)
    open_dataset(config.data, "val", labels_config=config.labels)
    data_signature = files_signature(config.data) if config.data != "synthetic" else "synthetic"
    from edge_deeplab.shared import evaluation_sets

    real_sets = evaluation_sets() if config.real_photos is not False else {}
    if config.real_photos and not real_sets:
        raise EdgeDeeplabError("--real-photos needs shared/data (eg1800, ccp-person or coco-people; "
                               "$EDGE_DEEPLAB_SHARED points elsewhere)")
    if config.benchmark_binary and not Path(config.benchmark_binary).is_file():
        raise EdgeDeeplabError(f"benchmark_model binary {config.benchmark_binary} does not exist: pass the path of "
                               "an android_aarch64 build of TensorFlow Lite's benchmark_model")

    def stage(name, print_, kind, body):
        record = store.done(name, print_)
        done = None if record is None else kind.from_record(record)
        if done is not None:
            log(f"[{name}] up to date, skipped")
            return done
        log(f"[{name}] running")
        started = time.time()
        result = body()
        timings[name] = time.time() - started
        result = dataclasses.replace(result, seconds=timings[name])
        store.record(name, print_, result.to_record(), result.files())
        return result

    # 1. Train (or take a trained model).
    from edge_deeplab.model.saving import read_model_json

    if config.from_model:
        log(f"[train] none: {config.from_model} is the float model"
            + ("; the data's labels are not learnt (QAT's label_weight 0): the images calibrate int8 and carry QAT's "
               "distillation from the float model" if config.qat.label_weight == 0 else ""))
        model_config, _, _ = read_model_json(config.from_model)
        train_print = fingerprint("from-model", files_signature(config.from_model))
        trained = Trained(model=str(config.from_model), history=_history_beside(config.from_model))
    else:
        model_config = config.model or (read_model_json(config.init_from)[0] if config.init_from else DEFAULT_MODEL)
        if model_config.num_classes != len(train_set.class_names):
            model_config = model_config.replace(num_classes=len(train_set.class_names))
        train_print = fingerprint("train", model_config.to_dict(), config.train.to_dict(), data_signature,
                                  files_signature(config.backbone_weights), config.labels)
        train_print = fingerprint(train_print, config.init_from, files_signature(config.init_from))
        # Starting from a model, training distils from it: the scenes of --data must not unteach what it
        # knew of real photos (train/distill.py).
        start = {"init_from": config.init_from, "teacher": config.init_from} if config.init_from else \
            {"backbone_weights": config.backbone_weights}
        trained = stage("train", train_print, Trained, lambda: _train_stage(
            out / "train", train_print, config.data, model_config, config.train, config.labels, log, progress,
            **start))
    float_model = Path(trained.model)

    # 2. Quantization-aware training from the float model.
    qat_model = None
    if any(export_format(fmt).needs_qat for fmt in config.formats):
        # QAT distils from the float model it starts from: its job is to reproduce that model under
        # quantization, not to relearn --data (without it, preset:person's QAT-int8 fell from 70.06 to
        # 58.81 person IoU on coco-people after one epoch on ccp-person).
        qat_print = fingerprint("qat", train_print, config.qat.to_dict(), data_signature, "distil from float")
        qat_trained = stage("qat", qat_print, Trained, lambda: _train_stage(
            out / "qat", qat_print, config.data, None, config.qat, config.labels, log, progress,
            init_from=float_model, teacher=float_model, qat=True))
        qat_model = Path(qat_trained.model)
    else:
        qat_print = None

    # 3. Export every format; each goes through both GPU-delegate gates.
    export_print = fingerprint("export", train_print, qat_print, list(config.formats), config.calibration_images)

    def export_stage():
        from edge_deeplab.converters.export import export

        shutil.rmtree(out / "export", ignore_errors=True)
        write_text(out / "export" / STAGE_MARKER, export_print)  # the folder is the pipeline's, should it be killed
        results = export(float_model, out / "export", config.formats, qat_model_path=qat_model, data=config.data,
                         num_calibration=config.calibration_images, name="model", log=log)
        return Exported(exports=tuple(results))

    exported = stage("export", export_print, Exported, export_stage)
    tflites = exported.tflites()

    # 4. Evaluate the float model, every export and the peers on the val split.
    peers = _peers(config.peers)
    evaluate_print = fingerprint("evaluate", export_print, data_signature, sorted(peers))
    candidates = _candidates(float_model, tflites, peers)
    evaluated = stage("evaluate", evaluate_print, Evaluated, lambda: _evaluate_stage(
        out / "evaluate", config.data, candidates, progress))

    # 4b. Held-out real photos, where shared/ holds them: does the model segment real people?
    from edge_deeplab.pipeline.real import RealEvaluated, evaluate_real, real_candidates

    real = None
    if real_sets:
        chosen = real_candidates(config.init_from, float_model, tflites)
        real_print = fingerprint("evaluate-real", export_print, train_print, [c.path for c in chosen],
                                 {name: files_signature(folder / f"{split}.txt") for name, (folder, split) in
                                  real_sets.items()})
        real = stage("evaluate-real", real_print, RealEvaluated, lambda: evaluate_real(
            out / "evaluate-real", real_sets, chosen, progress))

    # 5. Host benchmark of every export and the peers (LiteRT CPU, and the GPU accelerator's correctness path).
    bench_print = fingerprint("bench-host", export_print, sorted(peers), config.bench_runs)
    host = stage("bench-host", bench_print, HostBenched, lambda: _bench_host_stage(
        out / "bench", tflites, peers, config.bench_runs, progress))

    # 6. A phone, when one is plugged in and a benchmark_model binary is given.
    device = None
    if config.benchmark_binary or config.serial:
        device = _bench_device_stage(out / "bench", tflites, config)  # never cached: phones change

    # 7. The report.
    from edge_deeplab.pipeline.report import build_report, write_report

    report = build_report(config, model_config, trained, exported, evaluated, host, device, timings,
                          float_model=float_model, qat_model=qat_model, real=real)
    paths = write_report(report, out)
    log(f"report: {paths['html']}  {paths['md']}  {paths['json']}")
    return report


def _history_beside(model_folder) -> Optional[str]:
    history = Path(model_folder).parent / "history.json"
    return str(history) if history.is_file() else None


def _refuse_foreign_stage_folders(out: Path, store: StageStore, config: PipelineConfig) -> None:
    """A stage that runs again replaces its folder whole (train/, qat/, export/): refuse, before any work, one
    holding files the pipeline did not write (a user's own run called train/, say) instead of deleting them."""
    names = ([] if config.from_model else ["train"]) + \
        (["qat"] if any(export_format(fmt).needs_qat for fmt in config.formats) else []) + ["export"]
    for name in names:
        folder = out / name
        if folder.exists() and not folder.is_dir():
            raise EdgeDeeplabError(f"{folder}: a file is in the way where the pipeline's {name} stage folder goes: "
                                   "move it, or choose another --output")
        if not folder.is_dir() or (folder / STAGE_MARKER).is_file() or name in store.records:
            continue
        found = sorted(entry.name for entry in folder.iterdir())
        if found:
            raise EdgeDeeplabError(f"{folder} holds files the pipeline did not write ({', '.join(found[:3])}"
                                   f"{', ...' if len(found) > 3 else ''}), and its {name} stage replaces the folder "
                                   "whole: move them, or choose another --output")


def _train_stage(run_dir: Path, print_: str, data, model_config, train_config, labels, log, progress, **spec):
    """Train in run_dir (`spec`: the other TrainSpec fields), resuming when its inputs are the same as last time."""
    from edge_deeplab.train.loop import train
    from edge_deeplab.train.spec import TrainSpec

    marker = run_dir / STAGE_MARKER
    resume = (run_dir / "run.json").is_file() and marker.is_file() and marker.read_text() == print_
    if run_dir.exists() and not resume:
        log(f"  {run_dir}: inputs changed or run incomplete from scratch; starting it again")
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(marker, print_)
    if resume:
        log(f"  resuming {run_dir} from its last checkpoint")
    # On resume the run's own spec (run.json) replaces this one but for the epochs.
    train(TrainSpec(data, model_config, train_config, labels_config=labels, **spec), run_dir, resume=resume,
          progress=progress, log=lambda line: log("  " + line))
    return Trained(model=str(run_dir / "best"), history=str(run_dir / "history.json"))


def _peers(wanted: Optional[bool]) -> dict:
    """peer name -> .tflite path, for the peers ../shared holds (all of them when wanted is None)."""
    from edge_deeplab.peers import PEERS
    from edge_deeplab.shared import shared_dir

    shared = shared_dir()
    if wanted is False:
        return {}
    if shared is None:
        if wanted:
            raise EdgeDeeplabError("--peers needs ../shared/peers (or $EDGE_DEEPLAB_SHARED): it holds the peer models")
        return {}
    return {name: str(shared / peer.file) for name, peer in PEERS.items() if (shared / peer.file).is_file()}


def _candidates(float_model: Path, tflites: dict, peers: dict) -> tuple:
    """The float model, every export and the peers, under their names in the report."""
    from edge_deeplab.peers import PEER_PREFIX

    return ((Candidate("keras", str(float_model), str(float_model)),)
            + tuple(Candidate(fmt, str(path), str(path)) for fmt, path in tflites.items())
            + tuple(Candidate(f"peer:{name}", str(path), PEER_PREFIX + name) for name, path in peers.items()))


def _evaluate_stage(out_dir: Path, data, candidates: tuple, progress: bool) -> Evaluated:
    from edge_deeplab.evaluate import evaluate
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.evaluate.report import write_reports

    evaluation = evaluate([c.spec for c in candidates], data, "val", EvalConfig(overlays=2), progress=progress)
    paths = write_reports(evaluation, out_dir)
    # The overlays as files, so that a later report (after a skipped evaluation) can show them.
    overlays = {}
    for model, kept in evaluation.overlays.items():
        for which, images in kept.items():
            for rank, (image_id, score, jpeg) in enumerate(images):
                path = out_dir / "overlays" / f"{_slug(model)}_{which}_{rank}.jpg"
                write_bytes(path, jpeg)
                overlays.setdefault(model, []).append({"which": which, "id": str(image_id), "score": score,
                                                       "path": str(path)})
    write_json(out_dir / "overlays.json", overlays)
    return Evaluated(json=str(paths["json"]), html=str(paths["html"]), overlays=str(out_dir / "overlays.json"),
                     candidates=candidates)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[-80:]


def _bench_host_stage(out_dir: Path, tflites: dict, peers: dict, runs: int, progress: bool) -> HostBenched:
    from edge_deeplab.bench.host import HostBenchConfig, benchmark_on_host
    from edge_deeplab.peers import PEERS

    normalisations = {}
    for name, path in peers.items():
        contract = PEERS[name].contract
        normalisations[str(Path(path))] = {"mean": contract.mean, "std": contract.std,
                                           "output_kind": contract.output_kind, "person_class": contract.person_class}
    paths = list(tflites.values()) + list(peers.values())
    result = benchmark_on_host(paths, HostBenchConfig(runs=runs, warmup=3, threads=(1, 2), gpu_runs=2),
                               normalisations, progress=progress)
    path = write_json(out_dir / "host.json", result)
    return HostBenched(json=str(path))


def _bench_device_stage(out_dir: Path, tflites: dict, config: PipelineConfig) -> dict:
    from edge_deeplab.bench.adb import Adb, find_adb
    from edge_deeplab.bench.device import DeviceBenchConfig, benchmark_on_device

    adb = Adb(find_adb(config.adb_path))
    result = benchmark_on_device(list(tflites.values()), config.benchmark_binary, adb, config.serial,
                                 DeviceBenchConfig(min_fps=config.min_fps))
    write_json(out_dir / "device.json", result)
    return result
