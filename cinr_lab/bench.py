"""Speed figures for this machine (``cinr-lab bench``), reported with the machine they ran on.

Targets live here, not in timed tests: a test fails on a property, a benchmark reports a number.
Current benchmarks: decoding a 1024-note set from wavs, and reloading it from the cache.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

from cinr_lab import nsynth


def machine() -> str:
    """One line naming this machine: CPU, core count, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def data_load(root=None, subset: str = "keyboard", repeats: int = 3) -> dict[str, float]:
    """Seconds to load a paper set's 1024 one-second clips: decoded from wavs, and cached.

    Returns:
        ``{"decode_s": ..., "cached_s": ...}``, the best of ``repeats`` runs each.
    """
    root = nsynth.resolve_root(root)
    decode = _best(lambda: nsynth.load(root, subset=subset, cache=False), repeats)
    nsynth.load(root, subset=subset)  # make sure the cache exists
    cached = _best(lambda: nsynth.load(root, subset=subset), repeats)
    return {"decode_s": decode, "cached_s": cached}


def run(root=None) -> str:
    """Run every benchmark; return a Markdown report."""
    lines = [f"machine: {machine()}", "", "| benchmark | seconds |", "|---|---|"]
    for subset in nsynth.SETS:
        result = data_load(root, subset)
        lines.append(f"| load {subset} (1024 × 1 s), decoding wavs | {result['decode_s']:.3f} |")
        lines.append(f"| load {subset} (1024 × 1 s), from cache | {result['cached_s']:.3f} |")
    return "\n".join(lines)
