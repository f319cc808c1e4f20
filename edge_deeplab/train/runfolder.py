"""A run folder as --resume and a restart read it: run.json (the options it was started with) and its
checkpoints, of which a kill or a full disk may have cut the newest short."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from pathlib import Path
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_error
from edge_deeplab.settings import read_json_object
from edge_deeplab.train.config import TrainConfig
from edge_deeplab.train.spec import TrainSpec, resumed_spec

RUN_JSON, HISTORY_JSON, LOCK = "run.json", "history.json", ".lock"


@contextlib.contextmanager
def run_lock(output: Path):
    """Hold the run folder's lock (an flock on OUTPUT/.lock holding our pid) while a run writes it: a
    second run into the folder gets one line naming the holder. The kernel drops the lock of a process
    that dies however it dies, so a killed run's stale lock is simply taken over. A folder the lock had
    to create (and its parents) is removed again if the run wrote nothing into it."""
    import fcntl

    created = [folder for folder in (output.absolute(), *output.absolute().parents) if not folder.exists()]
    try:
        output.mkdir(parents=True, exist_ok=True)
        while True:
            handle = os.open(output / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(handle, 32).decode(errors="replace").strip() or "unknown"
                os.close(handle)
                raise EdgeDeeplabError(
                    f"{output} is being written by another run (pid {holder}): wait for it to "
                    "finish, or choose another --output"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                if os.stat(output / LOCK).st_ino == os.fstat(handle).st_ino:
                    break  # not the file of a holder that removed it between our open and our lock
            os.close(handle)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
    except OSError as error:
        raise write_error(output / LOCK, error) from None
    try:
        yield output
    finally:
        (output / LOCK).unlink(missing_ok=True)
        os.close(handle)
        for folder in created:  # deepest first; rmdir removes only an empty one
            with contextlib.suppress(OSError):
                folder.rmdir()


def locked_run(train):
    """train(spec, output, ...) with the run folder locked (run_lock) while it runs."""

    @functools.wraps(train)
    def locked(spec, output, *args, **kwargs):
        with run_lock(check_writable_output(output)):
            return train(spec, output, *args, **kwargs)

    return locked


def read_run(output) -> dict:
    """The run.json of a run folder, for --resume; one line naming the file when it is missing or damaged."""
    run_path = Path(output) / RUN_JSON
    if not run_path.is_file():
        raise EdgeDeeplabError(f"{output}: nothing to resume (no {RUN_JSON}); start the run without --resume")
    run = read_json_object(
        run_path,
        "training run",
        "the options the run was started with",
        fix="start the run again without --resume in a new --output",
    )
    try:
        for key in ("model", "train", "data"):
            if not isinstance(run[key], dict):
                raise TypeError(f"{key!r} is not an object")
        missing = [key for key in ("train", "val") if key not in run["data"]]
        if missing:
            raise KeyError(f"data.{missing[0]}")
    except (ValueError, KeyError, TypeError) as error:
        raise EdgeDeeplabError(
            f"{run_path} is damaged ({type(error).__name__}: {error}); start the run again "
            "without --resume in a new --output"
        ) from None
    return run


def refuse_restart_over_results(output: Path) -> None:
    """A run started again from scratch (no intact checkpoint) would overwrite the epochs it finished: refuse
    when its folder holds any, so that a lost checkpoints/ never costs best/ and the history as well."""
    kept = [name for name in (HISTORY_JSON, "best", "last") if (output / name).exists()]
    if kept:
        raise EdgeDeeplabError(
            f"{output} holds finished epochs ({', '.join(kept)}) but no intact checkpoint to "
            "continue from, and starting again would overwrite them: train into a new --output"
        )


def checkpoint_prefixes(output: Path) -> list[str]:
    """Checkpoint prefixes (checkpoints/ckpt-N) newest first, from their index files."""
    found = []
    for index in (output / "checkpoints").glob("ckpt-*.index"):
        number = index.name[len("ckpt-") : -len(".index")]
        if number.isdigit():
            found.append((int(number), str(index.with_suffix(""))))
    return [prefix for _, prefix in sorted(found, reverse=True)]


def newest_intact_checkpoint(output: Path, log) -> Optional[str]:
    """The newest checkpoint whose every tensor reads back whole; a damaged one (a kill or a full disk cut
    it short) is skipped with a warning. Read without a model, so a failed read changes no weight."""
    import tensorflow as tf

    for prefix in checkpoint_prefixes(output):
        try:
            reader = tf.train.load_checkpoint(prefix)
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
            return prefix
        except (tf.errors.OpError, IndexError, ValueError) as error:
            reason = " ".join(str(error).split())[:120] or type(error).__name__
            log(f"warning: checkpoint {Path(prefix).name} is damaged ({reason}); trying the previous one")
    return None


def open_run_folder(spec: TrainSpec, output: Path, resume: bool, log):
    """Open the run folder for train(): (spec, checkpoint to restore or None, the batch norm the first start
    froze or None). On resume the spec is the one run.json recorded; a first start refuses a folder that
    holds another run's results, and decides the training config and the init_from model's config."""
    run_path = output / RUN_JSON
    if resume:
        run = read_run(output)
        spec = resumed_spec(spec, run, str(run_path))
        restore_from = newest_intact_checkpoint(output, log)
        if restore_from is None:
            refuse_restart_over_results(output)
            what = (
                "no intact checkpoint"
                if checkpoint_prefixes(output)
                else "no checkpoint (it stopped before its first one)"
            )
            log(f"{output} holds {what}: starting the run from scratch with its saved options")
        else:
            spec = spec.replace(backbone_weights=None)  # the checkpoint holds every weight
        return spec, restore_from, run.get("frozen_batch_norm", [])
    if run_path.is_file():
        if checkpoint_prefixes(output):
            raise EdgeDeeplabError(
                f"{output} already holds a training run: pass --resume to continue it, or choose another --output"
            )
        refuse_restart_over_results(output)
        log(f"{output} holds a run with no checkpoint (it stopped before its first one): starting it again")
    spec = spec.replace(train_config=spec.train_config or TrainConfig())
    if spec.init_from is not None and spec.model_config is None:
        from edge_deeplab.model.saving import read_model_json

        spec = spec.replace(model_config=read_model_json(spec.init_from)[0])
    return spec, None, None


#: TensorFlow's file errors carry only the C library's message: read back into an errno for io's one line.
_WRITE_ERRORS = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
}


def save_checkpoint(manager, number: int) -> None:
    """manager.save(checkpoint_number=number), or one line naming the checkpoint when it cannot be written (a
    full disk: TensorFlow raises ResourceExhaustedError and leaves its ckpt-N_temp folder). The half-written
    files are removed; the previous checkpoints, and the state file naming the newest, stay as they were."""
    import shutil

    import tensorflow as tf

    try:
        manager.save(checkpoint_number=number)
    except tf.errors.OpError as error:
        folder = Path(manager.directory)
        for partial in folder.glob(f"ckpt-{number}_temp*"):
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink(missing_ok=True)
        reason = next((text for text in _WRITE_ERRORS if text in str(error)), None)
        if reason is None:
            raise
        cause = write_error(folder / f"ckpt-{number}", OSError(_WRITE_ERRORS[reason], reason))
        raise EdgeDeeplabError(f"{cause}, then continue with --resume") from None
