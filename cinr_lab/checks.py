"""Checks of config values and arguments, in one place, with errors that name the field.

The configs (:class:`cinr_lab.recipes.TrainConfig`, :class:`cinr_lab.models.ModelConfig`) and the
functions behind the command line validate their values with these helpers, so the Python API and
``cinr-lab`` refuse the same inputs with the same words. A :class:`ConfigError` names the field;
the command line prints it as its option (``steps`` → ``--steps``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config field or function argument has an invalid value.

    Attributes:
        field: the field's name (``"checkpoint_every"``); :attr:`option` spells it as an option.
        message: what is wrong, without the name.
    """

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")

    @property
    def option(self) -> str:
        """The field as a command-line option: ``checkpoint_every`` → ``--checkpoint-every``."""
        return "--" + self.field.replace("_", "-")


def integer(field: str, value: Any, minimum: int = 1, optional: bool = False) -> None:
    """``value`` must be an ``int`` (not a bool) of at least ``minimum`` (``None`` if optional)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(field, f"must be at least {minimum}, got {value}")


def number(
    field: str,
    value: Any,
    minimum: float = 0.0,
    maximum: float = math.inf,
    strict: bool = False,
    optional: bool = False,
) -> None:
    """``value`` must be a finite real in ``[minimum, maximum]`` (``(minimum, …]`` if ``strict``).

    Args:
        optional: ``None`` is allowed (a field whose default is computed elsewhere).
    """
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(field, f"must be a finite number, got {value}")
    low = "greater than" if strict else "at least"
    if value < minimum or (strict and value == minimum):
        raise ConfigError(field, f"must be {low} {minimum:g}, got {value:g}")
    if value > maximum:
        raise ConfigError(field, f"must be at most {maximum:g}, got {value:g}")


def choice(field: str, value: Any, allowed: tuple) -> None:
    """``value`` must be one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(field, f"must be one of {', '.join(map(str, allowed))}, got {value!r}")


def flag(field: str, value: Any) -> None:
    """``value`` must be a bool."""
    if not isinstance(value, bool):
        raise ConfigError(field, f"must be true or false, got {value!r}")


class RecordError(ValueError):
    """A results file (``runs.jsonl``, ``recipe_*.jsonl``) cannot be read back."""


def read_jsonl(path, keys: tuple[str, ...] = ()) -> list[dict]:
    """The records of a JSON-lines results file (``[]`` if it is absent).

    Args:
        path: the file; each line one JSON object.
        keys: fields every record must have.

    Raises:
        RecordError: a line is not a JSON object with ``keys``; names the file and line.
    """
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise RecordError(
                f"{path}, line {number}: not valid JSON ({err.msg}); fix or delete that line "
                "(its run is then measured again)"
            ) from None
        missing = [k for k in keys if not isinstance(record, dict) or k not in record]
        if missing:
            raise RecordError(
                f"{path}, line {number}: not a result record (no {missing[0]!r}); fix or delete "
                "that line"
            )
        records.append(record)
    return records
