"""Running many independent runs on a small CPU: side by side, one thread each, memory kept.

Two things measured on the 2-core dev machine, quiet (``cinr-lab bench --only jobs``;
``benchmarks/cpu-2core-amd-epyc-jobs.json``; a PCINR training step at the default batch, each
in a fresh process):

- glibc hands every large freed block back to the kernel and faults it in again on the next
  step: 37 % of a step's CPU time was spent in the kernel. :func:`keep_freed_memory` tells glibc
  to keep freed memory for reuse: 8.9 → 5.8 s a step on both cores (peak memory +18 %).
- One run on both cores trains 22,150 coordinates a second; two runs side by side, one thread
  each, 33,500 together (1.5×; 2.3× the glibc-default figure), as the 256-wide matrix products
  of one step do not keep two threads busy. So ``table`` and ``beyond --jobs 2`` on two cores.

Typical use (:func:`cinr_lab.experiments.run_grid`, behind ``table`` and ``beyond``, does this)::

    tasks = [functools.partial(train_and_measure, set_name, seed) for ...]  # module-level fns
    jobs.run("beyond", labels, tasks, jobs=2, keep=lambda i, record: records.append(record))
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import ctypes.util
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it to the kernel.

    Large tensors are allocated with ``mmap`` and unmapped when freed, so every training step
    page-faults its activations in afresh; with ``mmap`` off and trimming off the heap keeps
    them. The same as starting Python with ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647``
    (what the Makefile sets for notebooks and tests). Process-wide; the command line calls it.

    Returns:
        ``True`` where it took effect (glibc), ``False`` elsewhere (macOS, musl: nothing done).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def threads_per_job(jobs: int) -> int:
    """Torch threads for each of ``jobs`` workers sharing this machine's cores (at least 1)."""
    return max(1, (os.cpu_count() or 1) // jobs)


def _start_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    keep_freed_memory()


def pool(jobs: int) -> cf.ProcessPoolExecutor:
    """``jobs`` fresh worker processes (spawned: nothing inherited from this one's threads), each
    with :func:`threads_per_job` torch threads and :func:`keep_freed_memory`."""
    return cf.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(threads_per_job(jobs),),
    )


class Overall:
    """Progress over all the runs of a multi-run command (``table``, ``beyond``, ``runs``).

    A tqdm bar counts finished runs (each run's training shows its own bar beside it), and every
    run starts with one plain line, ``table: run 3 of 13: keyboard PCINR seed 0``, that a log file
    keeps (a bar's carriage returns do not read well there).
    """

    def __init__(self, what: str, total: int):
        from tqdm.auto import tqdm

        self.what, self.total, self.k = what, total, 0
        self.bar = tqdm(total=total, desc=f"{what}: runs", unit="run", disable=total == 0)

    def start(self, label: str) -> None:
        from tqdm.auto import tqdm

        self.k += 1
        tqdm.write(f"{self.what}: run {self.k} of {self.total}: {label}")

    def done(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def run(
    what: str,
    labels: Sequence[str],
    tasks: Sequence[Callable[..., Any]],
    jobs: int,
    keep: Callable[[int, Any], None],
) -> None:
    """Call every task, ``jobs`` at a time, and hand each result to ``keep(index, result)``.

    Each task is called as ``task(progress=...)``: with ``jobs=1`` in this process, in order,
    with its own progress bar; with more, in :func:`pool` workers (tasks must pickle: a
    ``functools.partial`` of a module-level function), without bars, ``keep`` called in this
    process as each one finishes, so results are saved in the order they come. Every run
    starts with a line ``what: run k of n: label`` (:class:`Overall`).

    Raises:
        The first error a task raised, once the tasks running beside it have finished and been
        kept (no new task starts after an error).
    """
    if len(labels) != len(tasks):
        raise ValueError(f"{len(labels)} labels for {len(tasks)} tasks")
    overall = Overall(what, len(tasks))
    try:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                overall.start(labels[i])
                keep(i, task(progress=True))
                overall.done()
            return
        with pool(min(jobs, len(tasks))) as workers:
            waiting, running = list(range(len(tasks))), {}
            error: Exception | None = None
            while (waiting and error is None) or running:
                while waiting and error is None and len(running) < jobs:
                    i = waiting.pop(0)
                    overall.start(labels[i])
                    running[workers.submit(tasks[i], progress=False)] = i
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    i = running.pop(future)
                    try:
                        result = future.result()
                    except Exception as err:  # the others still running finish and are kept
                        error = error or err
                        continue
                    keep(i, result)
                    overall.done()
            if error is not None:
                raise error
    finally:
        overall.close()
