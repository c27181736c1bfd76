"""Runs side by side (cinr_lab.ops.jobs): every result kept, errors surface, memory kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from cinr_lab.ops import jobs


def _square(x: int, progress: bool) -> tuple[int, bool]:
    return x * x, progress


def _threads(progress: bool) -> int:
    import torch

    return torch.get_num_threads()


def _slow_square(x: int, progress: bool) -> tuple[int, bool]:
    time.sleep(1.0)
    return x * x, progress


def _fail(progress: bool) -> None:
    raise ValueError("task 1 broke")


def test_every_result_is_kept_with_its_index(capsys):
    kept = {}
    tasks = [lambda progress, x=x: _square(x, progress) for x in range(3)]
    jobs.run("demo", ["a", "b", "c"], tasks, 1, kept.__setitem__)
    assert kept == {0: (0, True), 1: (1, True), 2: (4, True)}  # in process: with its bar
    assert "demo: run 3 of 3: c" in capsys.readouterr().out

    import functools

    kept.clear()
    tasks = [functools.partial(_square, x) for x in range(5)] + [_threads, _threads]
    jobs.run("demo", list("abcdefg"), tasks, 2, kept.__setitem__)
    assert {i: kept[i] for i in range(5)} == {i: (i * i, False) for i in range(5)}  # no bars
    assert kept[5] == kept[6] == jobs.threads_per_job(2)  # the cores shared out


def test_an_error_surfaces_after_the_task_beside_it_is_kept():
    import functools

    kept = {}
    tasks = [functools.partial(_slow_square, 3), _fail, functools.partial(_square, 5)]
    with pytest.raises(ValueError, match="task 1 broke"):
        jobs.run("demo", ["slow", "fail", "never"], tasks, 2, kept.__setitem__)
    assert kept == {0: (9, False)}  # the slow one finished and was kept; none started after


def test_labels_and_tasks_must_pair():
    with pytest.raises(ValueError, match="2 labels for 1 tasks"):
        jobs.run("demo", ["a", "b"], [_fail], 1, print)


def test_threads_share_out_the_cores(monkeypatch):
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 8)
    assert [jobs.threads_per_job(n) for n in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]


_FAULTS = """
import resource, sys
import torch
from cinr_lab.ops import jobs
if sys.argv[1] == "keep":
    assert jobs.keep_freed_memory()
def step():  # a training step's pattern: large tensors alive at once, all freed at its end
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    tensors = [torch.ones(8 * 2**20) for _ in range(4)]  # 4 x 32 MB, touched
    del tensors
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(max([step() for _ in range(8)][-2:]))  # the heap settles within a few steps
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_kept_memory_is_not_faulted_in_again():
    def settled_step_faults(mode: str) -> int:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # make's
        out = subprocess.run(
            [sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True,
            env=env,
        )  # fmt: skip
        return int(out.stdout.split()[-1])

    pages = 128 * 2**20 // 4096
    assert settled_step_faults("default") > pages / 2  # unmapped when freed, faulted again
    assert settled_step_faults("keep") < pages / 20  # the freed blocks are reused


def test_a_build_keeps_the_records_another_build_wrote_meanwhile(tmp_path):
    """Two builds on one results file (`table --rows TCNN` and `table --rows "PCINR Wide"`, side
    by side): each adds its records to what the file holds when the record comes, not to what it
    held when the build began."""
    from cinr_lab import checks
    from cinr_lab.ops import builds

    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps({"scale": "fit", "set": "keyboard", "arch": "A", "seed": 0}) + "\n")

    def task(st, seed, row):
        def run(progress):
            other = {"scale": "fit", "set": st, "arch": "B", "seed": seed}  # the other build's
            path.write_text(path.read_text() + json.dumps(other) + "\n")
            return {"scale": "fit", "set": st, "arch": row, "seed": seed}

        return run

    records = builds.run_grid("table", path, "arch", "fit", ("keyboard",), 2, ("A",), task)
    on_disk = {(r["arch"], r["seed"]) for r in checks.read_jsonl(path)}
    assert on_disk == {("A", 0), ("A", 1), ("B", 1)}
    assert {(r["arch"], r["seed"]) for r in records} == on_disk
