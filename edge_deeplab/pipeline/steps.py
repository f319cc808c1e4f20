"""The main job's steps, in the order run_pipeline (pipeline/run.py) takes them: each computes its stage's
fingerprint of its inputs, and runs the stage or reads its result back from stages.json (pipeline/stages.py)
when the inputs are unchanged; below them, the stage bodies that train, export, evaluate and benchmark."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

from edge_deeplab.converters.formats import export_format
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_bytes, write_json, write_text
from edge_deeplab.pipeline.results import Candidate, Evaluated, Exported, HostBenched, Trained
from edge_deeplab.pipeline.stages import StageStore, files_signature, fingerprint

#: In each stage folder the pipeline replaces (train/, qat/, export/): the inputs it was made from. Also
#: what tells the pipeline's own folder from a user's.
STAGE_MARKER = ".pipeline-fingerprint"


@dataclasses.dataclass
class Job:
    """One run of the pipeline: its config, its folder and stage records, where messages go, what has been
    checked before anything is trained, and how long each stage that ran took."""

    config: object  # the PipelineConfig (pipeline/run.py, which imports this module)
    out: Path
    store: StageStore
    log: Callable[[str], None]
    progress: bool
    train_set: object
    data_signature: object
    real_sets: dict
    timings: dict = dataclasses.field(default_factory=dict)

    def stage(self, name: str, print_: str, kind, body):
        """`kind`'s result of stage `name`: recorded, when its inputs' fingerprint `print_` is unchanged, else
        from `body()`, timed and recorded."""
        record = self.store.done(name, print_)
        done = None if record is None else kind.from_record(record)
        if done is not None:
            self.log(f"[{name}] up to date, skipped")
            return done
        self.log(f"[{name}] running")
        started = time.time()
        result = body()
        self.timings[name] = time.time() - started
        result = dataclasses.replace(result, seconds=self.timings[name])
        self.store.record(name, print_, result.to_record(), result.files())
        return result


def start(config, log: Callable[[str], None], progress: bool) -> Job:
    """Check everything a user can get wrong before anything is trained or overwritten: the output folder,
    the data, the real photos asked for and the phone's benchmark binary."""
    from edge_deeplab.data import open_dataset
    from edge_deeplab.shared import evaluation_sets

    out = check_writable_output(config.output)  # before the data is read or anything is trained
    store = StageStore(out)
    refuse_foreign_stage_folders(out, store, config)
    # Data first: a wrong folder stops here, before anything is trained or overwritten.
    train_set = open_dataset(config.data, "train", labels_config=config.labels)
    open_dataset(config.data, "val", labels_config=config.labels)
    data_signature = files_signature(config.data) if config.data != "synthetic" else "synthetic"
    real_sets = evaluation_sets() if config.real_photos is not False else {}
    if config.real_photos and not real_sets:
        raise EdgeDeeplabError(
            "--real-photos needs shared/data (eg1800, ccp-person or coco-people; $EDGE_DEEPLAB_SHARED points elsewhere)"
        )
    if config.benchmark_binary and not Path(config.benchmark_binary).is_file():
        raise EdgeDeeplabError(
            f"benchmark_model binary {config.benchmark_binary} does not exist: pass the path of "
            "an android_aarch64 build of TensorFlow Lite's benchmark_model"
        )
    return Job(config, out, store, log, progress, train_set, data_signature, real_sets)


def train_step(job: Job) -> tuple:
    """1. Train (or take a trained model): (the model's DeepLabConfig, Trained, the stage's fingerprint)."""
    from edge_deeplab.model.saving import read_model_json

    config = job.config
    if config.from_model:
        job.log(
            f"[train] none: {config.from_model} is the float model"
            + (
                "; the data's labels are not learnt (QAT's label_weight 0): the images calibrate int8 and carry "
                "QAT's distillation from the float model"
                if config.qat.label_weight == 0
                else ""
            )
        )
        model_config, _, _ = read_model_json(config.from_model)
        train_print = fingerprint("from-model", files_signature(config.from_model))
        return (
            model_config,
            Trained(model=str(config.from_model), history=_history_beside(config.from_model)),
            train_print,
        )
    model_config = config.model or read_model_json(config.init_from)[0]  # run_pipeline gives a model from scratch
    if model_config.num_classes != len(job.train_set.class_names):
        model_config = model_config.replace(num_classes=len(job.train_set.class_names))
    train_print = fingerprint(
        "train",
        model_config.to_dict(),
        config.train.to_dict(),
        job.data_signature,
        files_signature(config.backbone_weights),
        config.labels,
    )
    train_print = fingerprint(train_print, config.init_from, files_signature(config.init_from))
    # Starting from a model, training distils from it: the scenes of --data must not unteach what it
    # knew of real photos (train/distill.py).
    start = (
        {"init_from": config.init_from, "teacher": config.init_from}
        if config.init_from
        else {"backbone_weights": config.backbone_weights}
    )
    trained = job.stage(
        "train",
        train_print,
        Trained,
        lambda: _train_stage(
            job.out / "train",
            train_print,
            config.data,
            model_config,
            config.train,
            config.labels,
            job.log,
            job.progress,
            **start,
        ),
    )
    return model_config, trained, train_print


def qat_step(job: Job, float_model: Path, train_print: str) -> tuple:
    """2. Quantization-aware training from the float model, when a format needs it: (its model or None, the
    stage's fingerprint or None)."""
    config = job.config
    if not any(export_format(fmt).needs_qat for fmt in config.formats):
        return None, None
    # QAT distils from the float model it starts from: its job is to reproduce that model under
    # quantization, not to relearn --data (without it, preset:person's QAT-int8 fell from 70.06 to
    # 58.81 person IoU on coco-people after one epoch on ccp-person).
    qat_print = fingerprint("qat", train_print, config.qat.to_dict(), job.data_signature, "distil from float")
    qat_trained = job.stage(
        "qat",
        qat_print,
        Trained,
        lambda: _train_stage(
            job.out / "qat",
            qat_print,
            config.data,
            None,
            config.qat,
            config.labels,
            job.log,
            job.progress,
            init_from=float_model,
            teacher=float_model,
            qat=True,
        ),
    )
    return Path(qat_trained.model), qat_print


def export_step(
    job: Job, float_model: Path, qat_model: Optional[Path], train_print: str, qat_print: Optional[str]
) -> tuple:
    """3. Export every format; each goes through both GPU-delegate gates: (Exported, the stage's fingerprint)."""
    config = job.config
    export_print = fingerprint("export", train_print, qat_print, list(config.formats), config.calibration_images)

    def export_stage():
        from edge_deeplab.converters.export import export

        shutil.rmtree(job.out / "export", ignore_errors=True)
        # The folder is the pipeline's, should it be killed before the exports are in.
        write_text(job.out / "export" / STAGE_MARKER, export_print)
        results = export(
            float_model,
            job.out / "export",
            config.formats,
            qat_model_path=qat_model,
            data=config.data,
            num_calibration=config.calibration_images,
            name="model",
            log=job.log,
        )
        return Exported(exports=tuple(results))

    return job.stage("export", export_print, Exported, export_stage), export_print


def evaluate_step(job: Job, float_model: Path, tflites: dict, export_print: str) -> tuple:
    """4. Evaluate the float model, every export and the peers on the val split: (Evaluated, the peers)."""
    peers = _peers(job.config.peers)
    evaluate_print = fingerprint("evaluate", export_print, job.data_signature, sorted(peers))
    candidates = _candidates(float_model, tflites, peers)
    evaluated = job.stage(
        "evaluate",
        evaluate_print,
        Evaluated,
        lambda: _evaluate_stage(job.out / "evaluate", job.config.data, candidates, job.progress),
    )
    return evaluated, peers


def evaluate_real_step(job: Job, float_model: Path, tflites: dict, export_print: str, train_print: str):
    """4b. Held-out real photos, where shared/ holds them: does the model segment real people? (RealEvaluated
    or None.)"""
    from edge_deeplab.pipeline.real import RealEvaluated, evaluate_real, real_candidates

    if not job.real_sets:
        return None
    chosen = real_candidates(job.config.init_from, float_model, tflites)
    real_print = fingerprint(
        "evaluate-real",
        export_print,
        train_print,
        [c.path for c in chosen],
        {name: files_signature(folder / f"{split}.txt") for name, (folder, split) in job.real_sets.items()},
    )
    return job.stage(
        "evaluate-real",
        real_print,
        RealEvaluated,
        lambda: evaluate_real(job.out / "evaluate-real", job.real_sets, chosen, job.progress),
    )


def bench_host_step(job: Job, tflites: dict, peers: dict, export_print: str) -> HostBenched:
    """5. Host benchmark of every export and the peers (LiteRT CPU, and the GPU accelerator's correctness
    path)."""
    bench_print = fingerprint("bench-host", export_print, sorted(peers), job.config.bench_runs)
    return job.stage(
        "bench-host",
        bench_print,
        HostBenched,
        lambda: _bench_host_stage(job.out / "bench", tflites, peers, job.config.bench_runs, job.progress),
    )


def bench_device_step(job: Job, tflites: dict) -> Optional[dict]:
    """6. A phone, when one is plugged in and a benchmark_model binary is given (never cached: phones change)."""
    config = job.config
    if not (config.benchmark_binary or config.serial):  # PipelineConfig refuses --serial without the binary
        return None
    return _bench_device_stage(job.out / "bench", tflites, config)


def report_step(
    job: Job, model_config, trained, exported, evaluated, host, device, float_model, qat_model, real
) -> dict:
    """7. The report: built from every stage's result, written as HTML, Markdown and JSON."""
    from edge_deeplab.pipeline.report import build_report, write_report

    report = build_report(
        job.config,
        model_config,
        trained,
        exported,
        evaluated,
        host,
        device,
        job.timings,
        float_model=float_model,
        qat_model=qat_model,
        real=real,
    )
    paths = write_report(report, job.out)
    job.log(f"report: {paths['html']}  {paths['md']}  {paths['json']}")
    return report


def refuse_foreign_stage_folders(out: Path, store: StageStore, config) -> None:
    """A stage that runs again replaces its folder whole (train/, qat/, export/): refuse, before any work, one
    holding files the pipeline did not write (a user's own run called train/, say) instead of deleting them."""
    names = (
        ([] if config.from_model else ["train"])
        + (["qat"] if any(export_format(fmt).needs_qat for fmt in config.formats) else [])
        + ["export"]
    )
    for name in names:
        folder = out / name
        if folder.exists() and not folder.is_dir():
            raise EdgeDeeplabError(
                f"{folder}: a file is in the way where the pipeline's {name} stage folder goes: "
                "move it, or choose another --output"
            )
        if not folder.is_dir() or (folder / STAGE_MARKER).is_file() or name in store.records:
            continue
        found = sorted(entry.name for entry in folder.iterdir())
        if found:
            raise EdgeDeeplabError(
                f"{folder} holds files the pipeline did not write ({', '.join(found[:3])}"
                f"{', ...' if len(found) > 3 else ''}), and its {name} stage replaces the folder "
                "whole: move them, or choose another --output"
            )


def _history_beside(model_folder) -> Optional[str]:
    history = Path(model_folder).parent / "history.json"
    return str(history) if history.is_file() else None


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
        log(f"  resuming {run_dir}: same inputs as last time")  # the loop says from which checkpoint, if any
    # On resume the run's own spec (run.json) replaces this one but for the epochs.
    train(
        TrainSpec(data, model_config, train_config, labels_config=labels, **spec),
        run_dir,
        resume=resume,
        progress=progress,
        log=lambda line: log("  " + line),
    )
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

    return (
        (Candidate("keras", str(float_model), str(float_model)),)
        + tuple(Candidate(fmt, str(path), str(path)) for fmt, path in tflites.items())
        + tuple(Candidate(f"peer:{name}", str(path), PEER_PREFIX + name) for name, path in peers.items())
    )


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
                overlays.setdefault(model, []).append(
                    {"which": which, "id": str(image_id), "score": score, "path": str(path)}
                )
    write_json(out_dir / "overlays.json", overlays)
    return Evaluated(
        json=str(paths["json"]), html=str(paths["html"]), overlays=str(out_dir / "overlays.json"), candidates=candidates
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[-80:]


def _bench_host_stage(out_dir: Path, tflites: dict, peers: dict, runs: int, progress: bool) -> HostBenched:
    from edge_deeplab.bench.host import HostBenchConfig, benchmark_on_host
    from edge_deeplab.peers import PEERS

    normalisations = {}
    for name, path in peers.items():
        contract = PEERS[name].contract
        normalisations[str(Path(path))] = {
            "mean": contract.mean,
            "std": contract.std,
            "output_kind": contract.output_kind,
            "person_class": contract.person_class,
        }
    paths = list(tflites.values()) + list(peers.values())
    result = benchmark_on_host(
        paths, HostBenchConfig(runs=runs, warmup=3, threads=(1, 2), gpu_runs=2), normalisations, progress=progress
    )
    path = write_json(out_dir / "host.json", result)
    return HostBenched(json=str(path))


def _bench_device_stage(out_dir: Path, tflites: dict, config) -> dict:
    from edge_deeplab.bench.adb import Adb, find_adb
    from edge_deeplab.bench.device import DeviceBenchConfig, benchmark_on_device

    adb = Adb(find_adb(config.adb_path))
    result = benchmark_on_device(
        list(tflites.values()), config.benchmark_binary, adb, config.serial, DeviceBenchConfig(min_fps=config.min_fps)
    )
    write_json(out_dir / "device.json", result)
    return result
