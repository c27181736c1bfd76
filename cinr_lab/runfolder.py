"""Run folders: what one holds, who may write it, and how it is read back.

A run folder holds everything about one training run::

    RUN/config.json      model and training configs, the notes (so a run rebuilds itself)
    RUN/checkpoint.pt    model, latents, optimizer, step and RNG state (atomically replaced)
    RUN/loss.csv         the loss curve, one row per step
    RUN/snapshots/       weights and latents at chosen steps (``TrainConfig.snapshots``)
    RUN/audio/*.wav      each note's reconstruction at the end of training (float32)
    RUN/.lock            held by the process training it (its PID inside)

A trainer writes its folder through a :class:`Writer`: it takes an exclusive ``flock`` on
``RUN/.lock`` (:func:`lock`, released by :func:`unlock`), starts a new run only in a folder
:func:`check_new` accepts (absent, empty, or what an interrupted start left), so a folder of the
user's own files is never trained into, writes a step-0 checkpoint before ``config.json`` (a
folder with ``config.json`` can always be resumed), and stamps every checkpoint with the run's
:func:`run_id`, so it cannot be loaded into another run's folder. :func:`read` reads one back;
:func:`discard` deletes only what a run wrote.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cinr_lab import atomic, models, nsynth
from cinr_lab.audio import write_wav
from cinr_lab.recipes import TrainConfig

try:  # where fcntl is missing (Windows) runs are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

CHECKPOINT_FORMAT = 1
LOSS_COLUMNS = ("step", "loss", "mse", "deriv", "stft", "wr", "seconds")


class RunError(ValueError):
    """A run folder or checkpoint is missing, corrupt, or does not match the request."""


START_FILES = ("checkpoint.pt", "loss.csv", ".lock")
"""What a start interrupted before it wrote ``config.json`` can leave in a run folder."""
RUN_FILES = ("config.json", "audio", "snapshots", *START_FILES)
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


class Writer:
    """The run folder a :class:`cinr_lab.train.Trainer` writes: held locked, under one run id.

    :meth:`create` starts a new run's folder, :meth:`resume` an existing one's; the trainer then
    hands it checkpoint states (:meth:`save`, :meth:`snapshot`), loss rows (:meth:`losses`) and
    the final audio (:meth:`write_audio`), and :meth:`close` releases the folder.
    """

    def __init__(self, path: Path, run_id: str):
        self.path, self.run_id = path, run_id

    @classmethod
    def create(cls, path: Path, config: dict[str, Any], state: dict[str, Any]) -> Writer:
        """Start the run ``config`` in ``path`` from its step-0 ``state``; ``config.json`` last."""
        path.mkdir(parents=True, exist_ok=True)
        lock(path)
        check_new(path)  # again, now that no other trainer can start here
        folder = cls(path, run_id(config))
        folder.save(state)  # step 0: a folder with config.json can always be resumed
        atomic.write_text(path / "loss.csv", ",".join(LOSS_COLUMNS) + "\n")
        atomic.write_text(path / "config.json", json.dumps(config, indent=1))  # now a run
        return folder

    @classmethod
    def resume(cls, path: Path, config: dict[str, Any], step: int) -> Writer:
        """The folder of the run ``config`` in ``path`` (see :func:`read`), locked, to go on
        from its checkpoint of ``step``: the loss rows after it are dropped (written again)."""
        lock(path)
        _truncate_csv(path / "loss.csv", step)
        return cls(path, run_id(config))

    def save(self, state: dict[str, Any]) -> None:
        """Atomically replace ``checkpoint.pt`` with ``state``, stamped with the run's id."""
        atomic.write_bytes(self.path / "checkpoint.pt", self._bytes(state))

    def snapshot(self, state: dict[str, Any]) -> Path:
        """Keep ``state`` (weights only) as the snapshot of its step; returns the file."""
        path = snapshot_path(self.path, state["step"])
        path.parent.mkdir(exist_ok=True)
        atomic.write_bytes(path, self._bytes(state))
        return path

    def _bytes(self, state: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        torch.save({"format": CHECKPOINT_FORMAT, "run": self.run_id, **state}, buffer)
        return buffer.getvalue()

    @contextlib.contextmanager
    def losses(self) -> Iterator[Any]:
        """``loss.csv`` open for appending rows (:data:`LOSS_COLUMNS`), line-buffered, so a crash
        leaves whole lines."""
        with open(self.path / "loss.csv", "a", newline="", buffering=1) as fh:
            yield csv.writer(fh, lineterminator="\n")

    def write_audio(self, names: list[str], waves: torch.Tensor) -> None:
        """Each note's rendering as ``RUN/audio/<note_str>.wav`` (float32, 16 kHz)."""
        folder = self.path / "audio"
        folder.mkdir(exist_ok=True)
        for name, wave in zip(names, waves, strict=True):
            write_wav(folder / f"{name}.wav", wave.numpy(), subtype="FLOAT")

    def close(self) -> None:
        """Release the folder's lock."""
        unlock(self.path)


LATER_FIELDS = {"precision": "float32"}
"""TrainConfig fields added after runs were shipped, with the value every earlier run had: at that
value they are left out of :func:`run_id`, so an earlier run keeps its identity."""


NOT_IDENTITY = ("steps", "checkpoint_every", "snapshots")
"""TrainConfig fields that say how long a run trains and what it keeps on the way, not what it
is: a resume may change them, and :func:`run_id` leaves them out."""


def run_id(config: dict[str, Any]) -> str:
    """What makes a run itself: its model, settings (but :data:`NOT_IDENTITY`), notes and data,
    hashed. Its checkpoints carry it."""
    train_fields = {
        k: v
        for k, v in config["train"].items()
        if k not in NOT_IDENTITY and LATER_FIELDS.get(k, ...) != v
    }
    key = {k: config.get(k) for k in ("model", "notes", "data")} | {"train": train_fields}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def read(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run in ``path``: its config and checkpoint state, checked to belong together and to
    hold finite weights."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise RunError(f"{path}: not a run folder (no config.json)")
    try:
        config = json.loads((path / "config.json").read_text())
        models.ModelConfig.from_dict(config["model"])
        TrainConfig.from_dict(config["train"])
    except (ValueError, KeyError, TypeError) as err:
        raise RunError(f"{path / 'config.json'}: malformed ({err})") from err
    ckpt = path / "checkpoint.pt"
    if not ckpt.is_file():
        raise RunError(
            f"{ckpt}: missing (the run was stopped before its first checkpoint); delete {path} "
            "and train it again"
        )
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        raise RunError(f"{ckpt}: corrupt or unreadable ({type(err).__name__}: {err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{ckpt}: not a cinr_lab checkpoint (format {CHECKPOINT_FORMAT})")
    if state["model_config"] != config["model"]:
        raise RunError(
            f"{ckpt}: was written by another model than {path / 'config.json'} describes"
        )
    if state["latents"].shape[0] != len(config["notes"]):
        raise RunError(
            f"{ckpt}: holds {state['latents'].shape[0]} latents, "
            f"the run has {len(config['notes'])} notes"
        )
    if state.get("run", "") and state["run"] != run_id(config):  # older checkpoints lack it
        raise RunError(
            f"{ckpt}: belongs to another run (other notes, data or settings) than "
            f"{path / 'config.json'} describes; it was copied here from elsewhere"
        )
    tensors = {"latents": state["latents"], **state["model"]}
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise RunError(
            f"{ckpt}: NaN or infinity in {', '.join(bad[:3])} (a diverged run); it cannot be "
            "rendered, resumed or exported"
        )
    return config, state


def snapshot_path(path, step: int) -> Path:
    """Where the run in ``path`` keeps its snapshot of ``step`` (``TrainConfig.snapshots``)."""
    return Path(path) / "snapshots" / f"step-{step:06d}.pt"


def snapshot_steps(path) -> list[int]:
    """The steps the run in ``path`` has snapshots of, ascending."""
    return sorted(int(p.stem.split("-")[1]) for p in (Path(path) / "snapshots").glob("step-*.pt"))


def check_data(path: Path, recorded: dict | None, root: Path) -> None:
    """Refuse to train further or evaluate the run in ``path`` against other data than its own.

    Args:
        path: the run folder (named in the error).
        recorded: the run's ``data`` (:func:`cinr_lab.nsynth.identity` when it was created), or
            ``None`` for a run saved before runs recorded it: those trained on the embedded set
            unless told otherwise, so only a SoundFont rendering is accepted for them.
        root: the folder about to be used.

    Raises:
        RunError: naming both data sets.
    """
    current = nsynth.identity(root)
    if recorded is None:
        if current["source"] == "soundfont":
            return
        raise RunError(
            f"{path}: the run does not record the data it was trained on (saved by an older "
            f"cinr_lab, most likely on the embedded set); it cannot be checked against "
            f"{nsynth.describe(current)}. Train it again on this data"
        )
    if not nsynth.same_data(recorded, current):
        raise RunError(
            f"{path}: trained on {nsynth.describe(recorded)}, but the data now is "
            f"{nsynth.describe(current)} (set --data or CINR_NSYNTH to the run's data, or train "
            "a new run)"
        )


def loss_curve(path) -> dict[str, np.ndarray]:
    """A run's ``loss.csv`` as arrays: ``{"step": ..., "loss": ..., "mse": ..., ...}``."""
    with open(Path(path) / "loss.csv") as fh:
        rows = list(csv.DictReader(fh))
    columns = [k for k in LOSS_COLUMNS if not rows or k in rows[0]]  # 0.1's lack "deriv"
    return {k: np.array([float(r[k]) for r in rows]) for k in columns}


def training_seconds(curve: Mapping[str, np.ndarray]) -> float:
    """Seconds a run spent on the steps of its loss ``curve`` (:func:`loss_curve`), summed over
    its (re)starts: each start's ``seconds`` count from zero again."""
    seconds = np.asarray(curve["seconds"], dtype=float)
    if seconds.size == 0:
        return 0.0
    restarts = np.flatnonzero(np.diff(seconds) < 0)  # the last row before each restart
    return float(seconds[restarts].sum() + seconds[-1])


def _truncate_csv(path: Path, step: int) -> None:
    """Keep the loss rows up to ``step`` (the checkpoint a resume starts from), whole rows only.

    A row torn by a crash (too few fields, or a field that is not a number) ends the kept rows,
    as do rows written after the checkpoint. Rows of a run written by cinr_lab 0.1 (no ``deriv``
    column) are rewritten with ``deriv`` 0.
    """
    rows = []
    if path.exists():
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            for row in reader:
                if None in row or any(row.get(k) in (None, "") for k in columns):
                    break  # torn: fewer fields than the header, or more
                try:
                    for k in columns:
                        float(row[k])
                except ValueError:
                    break
                if int(float(row["step"])) > step:
                    break
                rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, LOSS_COLUMNS, restval="0", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, buffer.getvalue())
