"""Execute notebooks in place, as `jupyter nbconvert --execute --inplace` does, without its hang.

`make study` runs this. nbclient (behind nbconvert) waits for each cell's execute_reply with one
asyncio poll of the shell socket for the whole cell timeout. On this project's stack (pyzmq 26-27,
jupyter_client 8.6-8.10, ipykernel 6.29-7.4, measured on the 2-core machine) that poll misses
the reply's wake-up in roughly half the runs of notebook 05 under load - the reply sits in the
socket until the cell timeout (15 minutes) expires. A fresh poll finds it at once, so here the
wait is cut into one-second polls. nbval, which CI runs, reads the socket synchronously and is
not affected.

    python tools/execute_notebook.py [--jobs N] notebooks/05_stationary_points.ipynb [...]

With ``--jobs N`` (``make study JOBS=N``) N notebooks run at once, each in its own process and
kernel; their lines are printed in the order given. The notebooks only read the shared runs
(``make runs`` puts them in place first), so their order does not matter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient

from cinr_lab.ops.jobs import threads_per_job

SLICE_S = 1.0
CELL_TIMEOUT_S = 900


class SlicedPollClient(NotebookClient):
    """A NotebookClient whose shell-channel waits are a series of short polls."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        channel = kc.shell_channel
        get_msg = channel.get_msg

        async def sliced(timeout: float | None = None):
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = SLICE_S if deadline is None else deadline - time.monotonic()
                try:
                    return await get_msg(timeout=max(0.0, min(SLICE_S, left)))
                except Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise

        channel.get_msg = sliced
        return kc


def execute(path: Path) -> float:
    """Run every cell of ``path`` in its own folder and write it back (atomically)."""
    nb = nbformat.read(path, as_version=4)
    client = SlicedPollClient(nb, timeout=CELL_TIMEOUT_S, record_timing=False,
                              resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    start = time.monotonic()
    client.execute()
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return time.monotonic() - start


def _one(name: str, jobs: int) -> str:
    """``name`` executed by a fresh interpreter (its own kernel, with its share of the cores
    unless ``OMP_NUM_THREADS`` is set); its two lines, or its error."""
    threads = str(threads_per_job(jobs))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads} | dict(os.environ)
    out = subprocess.run([sys.executable, __file__, name], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stdout}{out.stderr}")
    return out.stdout.rstrip()


if __name__ == "__main__":
    args = sys.argv[1:]
    jobs = 1
    if args[:1] == ["--jobs"]:
        jobs, args = int(args[1]), args[2:]
    if jobs > 1:
        start = time.monotonic()
        with ThreadPoolExecutor(jobs) as pool:  # threads only wait on the processes
            for lines in pool.map(_one, args, [jobs] * len(args)):
                print(lines, flush=True)
        print(f"all {len(args)}: {time.monotonic() - start:.0f} s, {jobs} at a time", flush=True)
    else:
        for name in args:
            print(f"executing {name}", flush=True)
            print(f"  {execute(Path(name)):.0f} s", flush=True)
