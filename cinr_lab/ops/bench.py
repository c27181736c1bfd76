"""Speed and memory figures for this machine (``cinr-lab bench``), printed as JSON.

Targets live here, not in timed tests: a test fails on a property, a benchmark reports a number
together with the machine it ran on. Measured:

* ``data``: loading each paper set's 1024 one-second clips, decoding wavs and from the cache;
* ``train``: training throughput (coordinates per second) of each named model at the default
  batch (16 notes × 8000 coordinates for a PCINR, 16 whole clips for the TCNN), and the peak
  resident memory of a fresh process that trains it;
* ``render``: seconds to render one second of 16 kHz audio from one latent (on the GPU when there
  is one, the copy back included), and the peak resident memory of a fresh process that does it
  (Python and torch included). Target for ``pcinr`` on
  the 2-core CI machine: under 0.25 s and under 1 GB;
* ``explorer``: seconds for one change in the explorer (latent, render, wav encoding). Target on
  the 2-core CI machine: under 0.3 s;
* ``stream``: the real-time factor (compute seconds per second of audio; under 1 is real time)
  of one second rendered whole, block by block with :func:`cinr_lab.ops.synth.render_stream` at
  256-4096 samples per block, and by the exported TorchScript synth at 1024. Target for
  ``pcinr`` on the 2-core machine (issue 15): whole ≤ 0.10, 1024-sample blocks within 20 % of it;
* ``fold``: the FiLM scale folded into each note's weights
  (:attr:`cinr_lab.pcinr.FiLMLayer.fold`) against the plain path, interleaved in one process:
  a training step at the default batch, a whole-second render and a 1024-block stream;
* ``jobs``: training steps in fresh processes on every core, with glibc's default and with
  freed memory kept (:func:`cinr_lab.ops.jobs.keep_freed_memory`), on one thread, and one
  single-thread process per core at once: what ``--jobs`` on ``table`` and ``beyond`` rests on;
* ``precision``: whether bf16 autocast (and on CUDA fp16 autocast and TF32 matrix multiplies)
  keeps a trained model's sound: the shipped 64-note pair rendered both ways
  (:func:`precision`);
* ``compile``: ``torch.compile`` against eager: a training step as ``cinr-lab train --compile``
  runs it and a 1 s render with the forward compiled (:func:`compiled`);
* ``paper`` (``--paper``): ``cinr_lab``'s faithful PCINR against the paper's own network from
  ``INR-collection`` 0.3 holding the same weights (:func:`cinr_lab.ops.reference.paper_model`),
  alternated in one process: training points per second (16 notes × 8000 coordinates, MSE and
  Adam on both; and ``cinr_lab``'s step through ``torch.compile``), a 1 s render, streaming RTF
  per block size (the paper's network has no split mapping network, so it runs per block) and
  the exported synth, each with its fraction of this machine's measured float32
  matrix-multiply peak.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cinr_lab import nsynth


def machine() -> dict[str, object]:
    """What this machine is: CPU, cores, Python, torch, and the accelerator if any."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def peak_memory_mb() -> int | None:
    """This process's peak resident memory (Linux ``VmHWM``; reset by exec, unlike ru_maxrss)."""
    try:
        with open("/proc/self/status") as fh:
            kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return round(kb / 1024)


def _sync() -> None:
    """Wait for queued GPU work, so a timing counts it (nothing on a CPU-only machine)."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        _sync()
        start = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - start)
    return min(times)


def data_load(root=None, subset: str = "keyboard", repeats: int = 3) -> dict[str, float]:
    """Seconds to load a paper set's 1024 one-second clips: decoded from wavs, and cached."""
    root = nsynth.resolve_root(root)
    decode = _best(lambda: nsynth.load(root, subset=subset, cache=False), repeats)
    nsynth.load(root, subset=subset)  # make sure the cache exists
    cached = _best(lambda: nsynth.load(root, subset=subset), repeats)
    return {"decode_s": round(decode, 4), "cached_s": round(cached, 4)}


def _training_step(name: str):
    """``(config, trainer, step)``: a trainer of model ``name`` at the default batch on random
    targets (speed does not depend on the data), and one training step of it."""
    import torch

    from cinr_lab import models, recipes, train

    config = recipes.recipe("v0", model=name)
    audio = np.random.default_rng(0).uniform(-0.1, 0.1, (config.batch, 16000)).astype(np.float32)
    clips = nsynth.Clips(audio, tuple({} for _ in audio), 16000, Path("."))
    trainer = train.Trainer(Path("."), models.config_for(name), config, clips)
    notes = torch.arange(config.batch)
    return config, trainer, lambda: trainer.train_step(notes)


def train_throughput(name: str, steps: int = 2) -> dict[str, float]:
    """Coordinates per second of training steps of model ``name`` at the default batch.

    Uses random targets (speed does not depend on the data); one warm-up step first.
    """
    from cinr_lab import train

    config, trainer, step = _training_step(name)

    step()
    seconds = _best(step, steps)
    points = train.points_per_step(config, trainer.model, config.batch)
    return {
        "points_per_step": points,
        "step_s": round(seconds, 4),
        "points_per_s": round(points / seconds),
        "peak_rss_mb": peak_memory_mb(),
    }


def render_one_second(name: str, repeats: int = 5) -> dict[str, float]:
    """Seconds to render 1 s at 16 kHz from one latent, and this process's peak memory."""
    import torch

    from cinr_lab import models, rendering

    torch.manual_seed(0)
    model = models.build(models.config_for(name)).eval().to(rendering.device())
    z = torch.randn(1, 256) * 1e-3
    rendering.render(model, z)  # warm-up
    seconds = _best(lambda: rendering.render(model, z), repeats)
    return {"render_1s_s": round(seconds, 4), "peak_rss_mb": peak_memory_mb()}


def explorer_update(name: str, repeats: int = 5) -> dict[str, float]:
    """Seconds for one explorer change: a latent from note, interpolation and 4 principal-
    direction offsets, 1 s rendered with both ω multipliers off 1 (a PCINR), encoded as a wav."""
    import torch

    from cinr_lab import models, recipes, rendering, widgets
    from cinr_lab.audio import wav_bytes

    torch.manual_seed(0)
    config = models.config_for(name)
    model = models.build(config).eval()
    latents = torch.randn(32, config.latent_dim) * 0.1
    run = rendering.Run(Path("."), model, latents, [str(i) for i in range(32)], config,
                    recipes.recipe("v0", model=name), 0)  # fmt: skip
    pca = widgets.latent_pca(latents)
    multipliers = (1.5, 0.75) if model.scales() else (1.0, 1.0)

    def update():
        z = widgets.latent(run, 0, 5, 0.3, pca, [0.5, -1.0, 0.2, 0.0])
        return wav_bytes(widgets.synthesize(model, z, *multipliers))

    update()  # warm-up
    return {"update_s": round(_best(update, repeats), 4), "peak_rss_mb": peak_memory_mb()}


BLOCKS = (256, 512, 1024, 2048, 4096)


def stream(name: str = "pcinr", repeats: int = 5) -> dict[str, object]:
    """Real-time factors of one second of one latent: whole, streamed per block size, exported.

    The RTF of a stream is its total compute over the second; its latency is one block.
    """
    import torch

    from cinr_lab import models, rendering
    from cinr_lab.ops import synth

    torch.manual_seed(0)
    model = models.build(models.config_for(name)).eval()
    z = torch.randn(1, model.config.latent_dim) * 1e-3
    seconds = model.config.samples / 16000
    rtf = {"whole": _best(lambda: rendering.render(model, z), repeats) / seconds}
    for block in BLOCKS:

        def run(block=block):
            for _ in synth.render_stream(model, z, block=block):
                pass

        run()  # warm-up
        rtf[f"block_{block}"] = _best(run, repeats) / seconds
    scripted = synth.torchscript(model, z)
    samples = model.config.samples

    def exported():
        with torch.no_grad():
            for start in range(0, samples, 1024):
                scripted(z, start, min(1024, samples - start))

    exported()
    exported()  # TorchScript optimises on its first calls
    rtf["exported_block_1024"] = _best(exported, repeats) / seconds
    return {key: round(value, 4) for key, value in rtf.items()}


def _fresh_process(function: str, name: str) -> dict[str, float]:
    """``bench.<function>(name)`` in a new interpreter, so the peak memory is its own."""
    return _processes([f"{function}({name!r})"])[0]


def fold(name: str = "pcinr", rounds: int = 3, repeats: int = 3) -> dict[str, object]:
    """Seconds of a training step (default batch), a 1 s render and a 1024-block stream of model
    ``name``, with :attr:`~cinr_lab.pcinr.FiLMLayer.fold` off and on, alternating ``rounds``
    times so both see the same machine; each entry the best of its rounds."""
    import torch

    from cinr_lab import models, rendering
    from cinr_lab.ops import synth
    from cinr_lab.pcinr import FiLMLayer

    torch.manual_seed(0)
    model_config = models.config_for(name)
    model = models.build(model_config).eval()
    z = torch.randn(1, model_config.latent_dim) * 1e-3
    _, _, train_step = _training_step(name)

    def stream_1024():
        for _ in synth.render_stream(model, z, block=1024):
            pass

    tasks = {
        "train_step_s": train_step,
        "render_1s_s": lambda: rendering.render(model, z),
        "stream_1024_s": stream_1024,
    }
    seconds = {(task, on): [] for task in tasks for on in (False, True)}
    before = FiLMLayer.fold
    try:
        for _ in range(rounds):
            for on in (False, True):
                FiLMLayer.fold = on
                for task, fn in tasks.items():
                    fn()  # warm-up
                    seconds[task, on].append(_best(fn, repeats))
    finally:
        FiLMLayer.fold = before
    result: dict[str, object] = {}
    for task in tasks:
        plain, folded = min(seconds[task, False]), min(seconds[task, True])
        speed_up = round(plain / folded, 3)
        result[task] = {"plain": round(plain, 4), "folded": round(folded, 4), "speed_up": speed_up}
    return result


def training_step(name: str, threads: int, keep_memory: bool, steps: int = 3) -> dict[str, float]:
    """This process with ``threads`` torch threads (and :func:`cinr_lab.ops.jobs.keep_freed_memory`
    if asked): the best of ``steps`` training steps of model ``name`` at the default batch, the
    coordinates per second, the share of its CPU time spent in the kernel, its peak memory."""
    import resource

    import torch

    from cinr_lab import train
    from cinr_lab.ops import jobs

    torch.set_num_threads(threads)
    if keep_memory:
        jobs.keep_freed_memory()
    config, trainer, step = _training_step(name)
    step()
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds = _best(step, steps)
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, kernel = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {
        "step_s": round(seconds, 3),
        "points_per_s": round(train.points_per_step(config, trainer.model, config.batch) / seconds),
        "kernel_share": round(kernel / (user + kernel), 3),
        "peak_rss_mb": peak_memory_mb(),
    }


def _processes(calls: list[str]) -> list[dict]:
    """Each ``bench.<call>`` in a new interpreter, all started together; their JSON results."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import json; from cinr_lab.ops import bench; print(json.dumps(bench.{call}))",
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            text=True,
        )
        for call in calls
    ]
    outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a benchmark process failed: {calls}")
    return [json.loads(out.strip().splitlines()[-1]) for out in outs]


def side_by_side(name: str = "pcinr") -> dict[str, object]:
    """What :mod:`cinr_lab.ops.jobs` rests on: training steps of model ``name`` in fresh processes,
    one on every core as before (``all_threads_glibc_default``), then with freed memory kept
    (``all_threads``), on one thread (``one_thread``), and one single-thread process per core
    at once (``jobs``: the runs side by side, each process's figures and the points per second
    of all of them together); ``speed_up``: ``jobs`` over ``all_threads_glibc_default``."""
    cores = os.cpu_count() or 1
    result: dict[str, object] = {
        "all_threads_glibc_default": _processes([f"training_step({name!r}, {cores}, False)"])[0],
        "all_threads": _processes([f"training_step({name!r}, {cores}, True)"])[0],
        "one_thread": _processes([f"training_step({name!r}, 1, True)"])[0],
    }
    together = _processes([f"training_step({name!r}, 1, True)"] * cores)
    total = sum(r["points_per_s"] for r in together)
    result["jobs"] = {"processes": together, "points_per_s": total}
    before = result["all_threads_glibc_default"]["points_per_s"]  # type: ignore[index]
    result["speed_up"] = round(total / before, 2)
    return result


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate, FLOP/s (best of ``repeats`` square products)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    return 2 * size**3 / _best(lambda: torch.mm(a, b), repeats)


def forward_flops(model, points: int) -> int:
    """Multiply-add FLOPs of the coordinate network's linear layers at ``points`` coordinates (the
    mapping network, once per latent, and elementwise work left out)."""
    from torch import nn

    return sum(2 * points * m.in_features * m.out_features
               for name, m in model.named_modules()
               if isinstance(m, nn.Linear) and not name.startswith("mapping"))  # fmt: skip


def paper(name: str = "pcinr", rounds: int = 3, repeats: int = 3) -> dict[str, object]:
    """``cinr_lab`` and the paper's code side by side (see the module docstring), best of
    ``rounds`` alternations of ``repeats`` timings each; needs ``inr-collection``."""
    import torch

    from cinr_lab import models
    from cinr_lab.ops import reference, synth

    torch.manual_seed(0)
    ours = models.build(models.config_for(name))
    theirs, _ = reference.paper_model(ours)
    cfg = ours.config
    batch, coords, seconds = 16, 8000, cfg.samples / 16000
    grid = models.grid(cfg.samples)
    z = torch.randn(batch, cfg.latent_dim) * 1e-2
    t = grid[torch.randint(cfg.samples, (batch, coords))]
    target = torch.randn(batch, coords) * 0.1

    def forward_of(model):
        if model is ours:
            return lambda z, t: ours(z, t)
        return lambda z, t: reference.paper_forward(theirs, z, t)

    def trainer(model, compiled=False):
        latents = z.clone().requires_grad_()
        optim = torch.optim.Adam([*model.parameters(), latents], lr=1e-6)
        forward = forward_of(model)

        def loss(latents):
            return torch.nn.functional.mse_loss(forward(latents, t), target)

        loss = torch.compile(loss) if compiled else loss  # as train --compile: forward and loss

        def step():
            optim.zero_grad()
            loss(latents).backward()
            optim.step()

        return step

    def renderer(model, block):
        forward, z1 = forward_of(model), z[:1]

        def render():
            with torch.no_grad():
                if block is None:
                    return forward(z1, grid[None])
                if model is ours:
                    return [b for b in synth.render_stream(ours, z1, block=block)]
                return [forward(z1, grid[None, i : i + block]) for i in range(0, len(grid), block)]

        return render

    scripted = synth.torchscript(ours, z[:1])

    def exported():
        with torch.no_grad():
            for start in range(0, cfg.samples, 1024):
                scripted(z[:1], start, min(1024, cfg.samples - start))

    tasks = {"train_step_s": trainer, "render_1s_s": lambda m: renderer(m, None)}
    tasks |= {f"stream_{b}_s": (lambda m, b=b: renderer(m, b)) for b in BLOCKS}
    fns = {(task, who): make(model) for task, make in tasks.items()
           for who, model in (("cinr_lab", ours), ("paper", theirs))}  # fmt: skip
    fns["exported_1024_s", "cinr_lab"] = exported
    compiled_step = trainer(ours, compiled=True)
    try:
        compiled_step()  # compiles, or raises where it cannot
        fns["train_step_s", "cinr_lab compiled"] = compiled_step
    except Exception as err:  # inductor raises many kinds when it cannot build
        compile_error = f"{type(err).__name__}: {err}"[:300]
    else:
        compile_error = None
    times: dict[tuple[str, str], list[float]] = {key: [] for key in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            fn()  # warm-up
            times[key].append(_best(fn, repeats))
    peak = matmul_peak()
    train_flops = 3 * forward_flops(ours, batch * coords)  # forward, and backward's two
    render_flops = forward_flops(ours, cfg.samples)
    result: dict[str, object] = {"matmul_peak_gflops": round(peak / 1e9, 1), "model": name}
    for (task, who), values in times.items():
        best = min(values)
        flop = train_flops if task == "train_step_s" else render_flops
        entry = result.setdefault(task.removesuffix("_s"), {})
        entry[who] = {"seconds": round(best, 4), "peak_fraction": round(flop / best / peak, 3)}
        if task == "train_step_s":
            entry[who]["points_per_s"] = round(batch * coords / best)
        else:
            entry[who]["rtf"] = round(best / seconds, 4)
    if compile_error:
        result["train_step"]["cinr_lab compiled"] = {"error": compile_error}
    for entry in result.values():
        if isinstance(entry, dict) and {"cinr_lab", "paper"} <= set(entry):
            entry["speed_up"] = round(entry["paper"]["seconds"] / entry["cinr_lab"]["seconds"], 3)
        if isinstance(entry, dict) and "seconds" in entry.get("cinr_lab compiled", {}):
            entry["speed_up_compiled"] = round(
                entry["paper"]["seconds"] / entry["cinr_lab compiled"]["seconds"], 3
            )
    return result


def compiled(name: str = "pcinr", repeats: int = 3) -> dict[str, object]:
    """``torch.compile`` against eager, the same model and weights: a training step at the
    default batch as ``cinr-lab train --compile`` runs it (:meth:`Trainer.compile`; its
    compilation reported apart) and a 1 s render with the decoder's forward compiled. Where
    compiling fails (no C++ compiler, an unsupported platform) the error is reported instead."""
    import torch

    from cinr_lab import rendering

    _, trainer, step = _training_step(name)
    model = trainer.model
    z = torch.randn(1, 256, generator=torch.Generator().manual_seed(0)) * 1e-3

    def render():
        return rendering.render(model, z)

    step(), render()
    eager = {"train_step_s": _best(step, repeats), "render_1s_s": _best(render, repeats)}
    result: dict[str, object] = {"eager": {k: round(v, 4) for k, v in eager.items()}}
    compiled: dict[str, object] = {}
    eager_forward = model.forward
    try:  # the render first: compiled after the training step, it runs no faster (measured)
        model.forward = torch.compile(eager_forward)
        render()
        compiled["render_1s_s"] = round(_best(render, repeats), 4)
    except Exception as err:  # inductor raises many kinds when it cannot build
        compiled["render_error"] = f"{type(err).__name__}: {err}"[:300]
    finally:
        model.forward = eager_forward
    start = time.perf_counter()
    failed = trainer.compile()
    if failed:
        compiled["error"] = failed
    else:
        compiled["compile_s"] = round(time.perf_counter() - start, 1)
        compiled["train_step_s"] = round(_best(step, repeats), 4)
    result["compiled"] = compiled
    for key in ("train_step_s", "render_1s_s"):
        if key in compiled:
            result[f"speed_up_{key.removesuffix('_s')}"] = round(eager[key] / compiled[key], 3)
    return result


def _precision_modes(device: str) -> dict[str, Callable[[], object]]:
    """Context factories for each reduced-precision mode this device offers."""
    import contextlib

    import torch

    @contextlib.contextmanager
    def tf32():
        saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved

    modes = {"bf16 autocast": lambda: torch.autocast(device, dtype=torch.bfloat16)}
    if device == "cuda":
        modes["fp16 autocast"] = lambda: torch.autocast(device, dtype=torch.float16)
        modes["tf32 matmul"] = tf32
    return modes


def precision(name: str = "pcinr-keyboard-64", notes: int = 8, repeats: int = 2) -> dict:
    """Whether reduced precision keeps a trained model's sound: the shipped model ``name``
    rendered on its first ``notes`` notes in float32 and under each mode of
    :func:`_precision_modes` (bf16 autocast everywhere; fp16 autocast and TF32 matrix
    multiplies on CUDA). Per mode: the largest sample difference from the float32 render, the
    difference's level below the render (dB, higher is closer), the mean per-note SNR against
    the truth beside float32's, and the render time of the notes.
    """
    import torch

    from cinr_lab import metrics, pretrained, rendering

    run = pretrained.load(name)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    items = list(range(min(notes, len(run.notes))))
    truth = run.truth()[items]

    def render():
        return rendering.render(run.model, run.latents[items]).float().numpy()

    reference = render()
    result: dict[str, object] = {
        "model": name,
        "notes": len(items),
        "float32": {
            "seconds": round(_best(render, repeats), 4),
            "snr_db": round(float(metrics.snr(truth, reference).mean()), 3),
        },
    }
    for mode, context in _precision_modes(device).items():
        with context():
            out = render()
            seconds = _best(render, repeats)
        diff = out.astype(np.float64) - reference
        level = 10 * np.log10(
            np.sum(reference.astype(np.float64) ** 2) / max(np.sum(diff**2), 1e-30)
        )
        result[mode] = {
            "seconds": round(seconds, 4),
            "max_abs_difference": float(f"{np.abs(diff).max():.3g}"),
            "difference_below_render_db": round(float(level), 1),
            "snr_db": round(float(metrics.snr(truth, out).mean()), 3),
        }
    return result


PARTS = (
    "data", "train", "render", "explorer", "stream", "fold", "jobs", "precision", "compile",
    "paper",
)  # fmt: skip
"""The benchmark's parts, in the order :func:`run` measures them."""

DEFAULT_PARTS = PARTS[:-1]
"""What ``cinr-lab bench`` measures unless told: all but ``paper`` (``--paper`` adds it)."""


def run(root=None, only: tuple[str, ...] = PARTS) -> dict[str, object]:
    """The benchmarks named in ``only`` (default: every one); a JSON-ready dict."""
    from cinr_lab import models

    parts = {
        "data": lambda: {subset: data_load(root, subset) for subset in nsynth.SETS},
        "train": lambda: {
            name: _fresh_process("train_throughput", name) for name in models.PRESETS
        },
        "render": lambda: {
            name: _fresh_process("render_one_second", name) for name in models.PRESETS
        },
        "explorer": lambda: {
            name: _fresh_process("explorer_update", name) for name in ("pcinr", "tcnn")
        },
        "stream": lambda: {name: stream(name) for name in ("pcinr", "pcinr-wide")},
        "fold": lambda: {name: fold(name) for name in ("pcinr", "pcinr-wide")},
        "jobs": lambda: {"pcinr": side_by_side("pcinr")},
        "precision": lambda: {
            name: precision(name) for name in ("pcinr-keyboard-64", "tcnn-keyboard-64")
        },
        "compile": lambda: {name: compiled(name) for name in ("pcinr", "tcnn")},
        "paper": lambda: {name: paper(name) for name in ("pcinr", "pcinr-wide")},
    }
    return {"machine": machine()} | {part: parts[part]() for part in PARTS if part in only}
