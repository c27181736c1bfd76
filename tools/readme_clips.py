"""Write the README's listening clips: one keyboard note, its truth and both paper-scale runs.

The runs are Table 1's seed-0 PCINR and TCNN at the paper's scale (all 1024 keyboard notes, the
paper's recipe, 155 s each on an H200: see results/paper_gpu.md; made by tools/gpu_check.py, kept
in runs/paper/, not shipped: their checkpoints carry the optimiser state). The note is the one
nearest the median of the two models' mean per-note SNR, so the clips are typical, not the best.
Writes figures/clips/{truth,pcinr,tcnn}.wav (16-bit, 16 kHz) and prints the note and its SNRs.

With ``--fitted`` the same from the shipped models that have learned their notes
(``pcinr-keyboard``, ``tcnn-keyboard``: the fit scale's seed-0 runs, 16 keyboard notes), written
as figures/clips/fitted_{truth,pcinr,tcnn}.wav.

Usage: .venv/bin/python tools/readme_clips.py [--runs runs/paper/keyboard | --fitted]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cinr_lab import metrics, nsynth, pretrained, rendering
from cinr_lab.audio import write_wav

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "paper" / "keyboard")
    parser.add_argument("--fitted", action="store_true", help="the shipped fitted models instead")
    args = parser.parse_args()
    if args.fitted:
        runs = {kind: pretrained.load(f"{kind}-keyboard") for kind in ("pcinr", "tcnn")}
    else:
        runs = {
            kind: rendering.load_run(args.runs / f"{kind.upper()}-seed0")
            for kind in ("pcinr", "tcnn")
        }
    prefix = "fitted_" if args.fitted else ""
    notes = runs["pcinr"].notes
    assert runs["tcnn"].notes == notes
    truth = nsynth.load(subset=notes, seconds=1.0).audio  # the embedded set (same notes)
    snr = {}
    for kind, run in runs.items():
        estimate = np.concatenate([run.render(list(range(i, min(i + 128, len(notes))))).numpy()
                                   for i in range(0, len(notes), 128)])  # fmt: skip
        snr[kind] = (metrics.snr(truth, estimate), estimate)
    mean = (snr["pcinr"][0] + snr["tcnn"][0]) / 2
    pick = int(np.argmin(np.abs(mean - np.median(mean))))
    out = ROOT / "figures" / "clips"
    out.mkdir(parents=True, exist_ok=True)
    write_wav(out / f"{prefix}truth.wav", truth[pick])
    for kind, (values, estimate) in snr.items():
        write_wav(out / f"{prefix}{kind}.wav", estimate[pick])
        print(f"{kind}: {notes[pick]} SNR {values[pick]:.1f} dB (set mean {values.mean():.2f} dB)")
    print(f"wrote {out}/{prefix}{{truth,pcinr,tcnn}}.wav")
    return 0


if __name__ == "__main__":
    sys.exit(main())
