"""Writing files so that nothing is ever half-written: a temporary file in the same folder, fsync,
rename. A reader sees the old file or the new one, never a torn one, even after a kill or a crash.

On any failure the temporary file is removed and one EdgeDeeplabError names the path and the fix
(disk full, read-only folder, a directory where the file should go). check_writable_output asks the
same questions of an output before a command starts its work, so a long run cannot end in one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from edge_deeplab.errors import EdgeDeeplabError

_FIXES = {
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is exhausted: free some space",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.EACCES: "permission denied: choose a folder you can write to",
    errno.EPERM: "permission denied: choose a folder you can write to",
    errno.EISDIR: "a directory is in the way: remove it or choose another name",
    errno.ENOTDIR: "a file is in the way where a folder should be: remove it or choose another path",
}


def write_bytes(path, data: bytes, mode: int = 0o644) -> Path:
    """Write `data` to `path` atomically (creating its folder); returns the path."""
    return write_files({path: data}, mode)[0]


def write_files(files: dict, mode: int = 0o644) -> list[Path]:
    """Write several files as one install ({path: bytes}): every file is staged (written in full to a
    temporary name beside it) before any is renamed into place, so a full disk or a read-only folder
    leaves all the previous files, never new ones beside old ones. Returns the paths."""
    staged = []  # (temporary, path)
    path = None
    try:
        for path, data in files.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((temporary, path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode & ~_umask())  # mkstemp makes it private; outputs are ordinary files
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as error:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise write_error(path, error) from None
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    return [path for _, path in staged]


@contextlib.contextmanager
def staged_folder(folder, replace: bool = False):
    """Build a folder under a temporary name beside it, then rename it into place: a failure or a kill
    leaves the previous folder (or none), never half of one. The one way this package writes a folder.

    Args:
        folder: the folder to write.
        replace: replace an existing `folder` (the caller has checked that it may); without it `folder`
            must be absent or an empty folder.

    Yields:
        The staging folder (a Path) to write the contents into.
    """
    folder = Path(folder)
    old = folder.with_name(f".{folder.name}.old")
    try:
        if replace and old.is_dir() and not folder.exists():
            # A kill between the two renames below hid the previous folder: put it back before anything.
            os.replace(old, folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; outputs are ordinary folders
    except OSError as error:
        raise write_error(folder, error) from None
    try:
        yield staging
        if replace and folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            try:
                os.replace(staging, folder)
            except BaseException:
                # The previous folder back under its own name: a failed replace leaves it as it was, not
                # hidden as .NAME.old with nothing at NAME.
                os.replace(old, folder)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            if folder.is_dir():
                folder.rmdir()  # empty: checked by the caller
            os.replace(staging, folder)
    except OSError as error:  # a full disk while the contents are written: one line naming the folder
        shutil.rmtree(staging, ignore_errors=True)
        raise write_error(folder, error) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_error(path, error: OSError) -> EdgeDeeplabError:
    """The one line for an OS error writing `path`: what happened and what to do about it."""
    fix = _FIXES.get(error.errno, "check the folder exists, is writable and has space")
    return EdgeDeeplabError(f"{path}: cannot write ({error.strerror or error}): {fix}")


def check_writable_output(path, kind: str = "folder") -> Path:
    """Refuse, before any work, an output that cannot be written: `kind` "folder" (created later if
    missing) or "file". Nothing is created: the nearest existing folder must be a folder (not a file
    where a folder should be) and take a one-byte probe file, which is removed again (a read-only or
    full disk, no permission). Returns the path."""
    if kind not in ("folder", "file"):
        raise ValueError(f"kind must be 'folder' or 'file', not {kind!r}")
    path = Path(path)
    if kind == "folder" and path.exists() and not path.is_dir():
        raise EdgeDeeplabError(
            f"{path}: a file is in the way where a folder should be: remove it or choose another path"
        )
    if kind == "file" and path.is_dir():
        raise EdgeDeeplabError(f"{path}: {_FIXES[errno.EISDIR]}")
    existing = (path if kind == "folder" else path.parent).absolute()
    while not existing.exists() and not existing.is_symlink() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise EdgeDeeplabError(
            f"{path}: {existing} is a file where a folder should be: remove it or choose another path"
        )
    probe = None
    try:
        handle, probe = tempfile.mkstemp(prefix=".edge-deeplab-probe.", suffix=".tmp", dir=existing)
        try:
            os.write(handle, b"\0")  # a full disk refuses the first byte; an empty file would still fit
        finally:
            os.close(handle)
    except OSError as error:
        raise write_error(path, error) from None
    finally:
        if probe is not None:
            Path(probe).unlink(missing_ok=True)
    return path


def check_distinct_outputs(outputs: dict, inputs: dict = None) -> None:
    """Refuse, before any work, an output file that is one of the command's inputs (or inside an input
    folder) or another of its outputs: writing it would replace what the command reads or just wrote.
    outputs, inputs: {option name as the user typed it: a path, a list of paths or None}."""

    def named(paths):
        return [
            (name, path)
            for name, value in paths.items()
            if value is not None
            for path in (value if isinstance(value, (list, tuple)) else [value])
        ]

    seen = []
    for name, path in named(outputs):
        where = Path(path).resolve()
        for other_name, other in seen + named(inputs or {}):
            other_where = Path(other).resolve()
            if where == other_where or (other_where.is_dir() and other_where in where.parents):
                role = "another output" if (other_name, other) in seen else "an input"
                raise EdgeDeeplabError(
                    f"{name} {path} would overwrite {other_name} {other} ({role} of this "
                    f"command): give {name} another path"
                )
        seen.append((name, path))


def write_text(path, text: str) -> Path:
    """Write `text` as UTF-8 to `path` atomically (write_bytes).

    Args:
        path: the file.
        text: its content.

    Returns:
        The path.
    """
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, data, *, indent: int = 2, sort_keys: bool = False) -> Path:
    """JSON with a final newline. The document is serialised first: a value JSON cannot hold raises
    TypeError (a programming error) before any file is touched."""
    return write_text(path, json.dumps(data, indent=indent, sort_keys=sort_keys) + "\n")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
