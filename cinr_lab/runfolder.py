"""Run folders: what one may hold, who may write it, and how it is started afresh.

A run folder (see :mod:`cinr_lab.train`) is written by one trainer at a time: :func:`lock` takes
an exclusive ``flock`` on ``RUN/.lock`` (holding the trainer's PID) and :func:`unlock` releases
it. A new run goes only into a folder :func:`check_new` accepts (absent, empty, or what an
interrupted start left), so a folder of the user's own files is never trained into, and
:func:`discard` deletes only what a run wrote.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

try:  # where fcntl is missing (Windows) runs are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


class RunError(ValueError):
    """A run folder or checkpoint is missing, corrupt, or does not match the request."""


START_FILES = ("checkpoint.pt", "loss.csv", ".lock")
"""What a start interrupted before it wrote ``config.json`` can leave in a run folder."""
RUN_FILES = ("config.json", "audio", *START_FILES)
"""What a run folder holds."""


def foreign(path: Path) -> list[str]:
    """Entries of the folder ``path`` that no run (or interrupted start) put there, sorted."""
    allowed = RUN_FILES if (path / "config.json").is_file() else START_FILES
    return sorted(p.name for p in path.iterdir() if p.name not in allowed and not is_temp(p))


_LOCKS: dict[Path, int] = {}
"""Run folders this process holds the lock of: resolved path → lock file descriptor."""


def check_new(path: Path) -> None:
    """A new run goes into an absent or empty folder, or one a start left before its config."""
    if path.exists() and not path.is_dir():
        raise RunError(f"{path}: exists and is not a folder; choose another --out")
    if (path / "config.json").exists():
        hint = (
            "pass --resume to continue it"
            if (path / "checkpoint.pt").exists()
            else "it never reached its first checkpoint: delete the folder to start again"
        )
        raise RunError(f"{path}: already holds a run; {hint}, or choose another --out")
    if not path.is_dir():
        return
    other = foreign(path)
    if other:
        more = f" and {len(other) - 1} more" if len(other) > 1 else ""
        raise RunError(
            f"{path}: not empty and not a run folder (holds {other[0]}{more}); nothing was "
            "written: choose an empty or new --out"
        )


def is_temp(p: Path) -> bool:
    """A temporary file :mod:`cinr_lab.atomic` writes beside its target (``.<name>.*.tmp``)."""
    return p.name.startswith(".") and p.name.endswith(".tmp")


def lock(path: str | os.PathLike) -> None:
    """Take the exclusive lock of the run folder ``path`` for this process (if not held yet).

    The lock is ``path/.lock`` (``flock``, released when the process ends or by
    :func:`unlock`); it holds the PID of the process training the run. Taking it also
    removes temporary files a killed writer left in the folder.

    Raises:
        RunError: another process trains in ``path`` (named by its PID).
    """
    path = Path(path)
    key = path.resolve()
    if key in _LOCKS or fcntl is None:
        return
    fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise RunError(
            f"{path}: another trainer is using this run folder (PID {holder}); wait for it to "
            "finish or choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _LOCKS[key] = fd
    for stale in path.iterdir():  # left by a writer killed mid-write; no writer runs now
        if is_temp(stale) and stale.is_file():
            stale.unlink(missing_ok=True)


def discard(path: str | os.PathLike) -> None:
    """Delete the run folder ``path`` (if present) to start it afresh.

    Raises:
        RunError: ``path`` holds anything a run folder does not (it is left alone), or another
            process trains in it.
    """
    path = Path(path)
    if not path.exists():
        return
    if not path.is_dir():
        raise RunError(f"{path}: exists and is not a folder; not deleting it")
    other = foreign(path)
    if other:
        raise RunError(
            f"{path}: holds {other[0]}, which is not part of a run; not deleting it (move it away)"
        )
    lock(path)
    try:
        shutil.rmtree(path)
    finally:
        unlock(path)


def unlock(path: str | os.PathLike) -> None:
    """Release this process's lock of the run folder ``path`` (if held)."""
    fd = _LOCKS.pop(Path(path).resolve(), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock
