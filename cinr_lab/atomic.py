"""Atomic file writes: a file is either the old one or the complete new one, never half written.

Every writer in the package (wav files, the data set's ``examples.json``, decoded-set caches and,
later, checkpoints) goes through :func:`atomic_path`: write to a temporary file in the same folder,
flush it to disk, then ``os.replace`` it over the target. A crash mid-write leaves the old file
untouched and at most a stray ``.tmp`` file, which the next write of the same target replaces.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it over ``target`` if the block succeeds.

    Args:
        target: the file to (re)write. Its folder must exist.
        suffix: suffix of the temporary file (default: the target's own), for writers that
            choose a format from the file name.

    Yields:
        The temporary path to write to. On an exception it is removed and ``target`` is unchanged.
    """
    target = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.",
            suffix=(suffix if suffix is not None else target.suffix) + ".tmp",
            dir=target.parent,
        )
    except OSError as err:  # a read-only or missing folder: name the file wanted, not the temp
        raise _named(err, target) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, target.stat().st_mode & 0o777 if target.exists() else _default_mode())
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except OSError as err:  # e.g. a full disk: the error names the target, which is unchanged
        tmp_path.unlink(missing_ok=True)
        raise _named(err, target) from err
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; swap it in whole if the block succeeds.

    An existing ``target`` is renamed aside, the staging folder renamed into place, and the old
    one deleted, so a reader finds the old folder or the complete new one. On an exception the
    staging folder is removed and ``target`` is unchanged. Check what ``target`` holds before.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes it 0700: make it an ordinary folder
        yield stage
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            stage.rename(target)
            shutil.rmtree(old)
        else:
            stage.rename(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _named(err: OSError, target: Path) -> OSError:
    """The same error, naming ``target`` (an error from writing to a descriptor names no file)."""
    if err.errno is None:
        return err
    return type(err)(err.errno, f"{err.strerror}; the file was left as it was", str(target))


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    """Permissions a plain ``open(path, "w")`` would give (mkstemp makes files 0600)."""
    return 0o666 & ~_umask()


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Atomically write ``data`` to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str) -> None:
    """Atomically write ``text`` (UTF-8) to ``target``."""
    write_bytes(target, text.encode("utf-8"))
