#!/usr/bin/env bash
# What a new user's `pip install .` does: build the wheel from this checkout, install it *with its
# dependencies* into a fresh venv (versions held to requirements.lock, nothing else from this
# checkout's .venv), and play a shipped model from outside the checkout. Fails if any dependency
# needs a system package to build (pyaudio needs PortAudio's headers: issue 29).
# Needs the network (PyPI) or a pip cache; `make install-check` runs it, and so does CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
PIP=("$WORK/venv/bin/python" -m pip --disable-pip-version-check)
# From a copy of the package sources, so no stale build/ folder can lend the wheel files.
mkdir "$WORK/src"
cp "$ROOT/pyproject.toml" "$ROOT/README.md" "$WORK/src/"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard cinr_lab | xargs -0 cp --parents -t "$WORK/src")
"${PIP[@]}" wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
start=$(date +%s)
"${PIP[@]}" install --quiet -c "$ROOT/requirements.lock" ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} "$WORK"/dist/cinr_lab-*.whl
echo "install-check: installed the wheel with its dependencies in $(( $(date +%s) - start )) s"
if "$WORK/venv/bin/python" -c "import pyaudio" 2>/dev/null; then
  echo "install-check: pyaudio was installed: a dependency still asks for it" >&2
  exit 1
fi
cd "$WORK"  # not the checkout: the installed package alone
env -u CINR_MODELS -u CINR_NSYNTH CINR_HOME="$WORK/home" "$WORK/venv/bin/python" - <<'PY'
import numpy as np
import cinr_lab
from cinr_lab import pretrained

assert "/venv/" in cinr_lab.__file__, cinr_lab.__file__
wave = pretrained.load("pcinr-keyboard").render([0])[0].numpy()
rms = float(np.sqrt((wave**2).mean()))
assert wave.shape == (16000,) and rms > 1e-3, (wave.shape, rms)
print(f"install-check: {cinr_lab.__file__} plays pcinr-keyboard note 0 (rms {rms:.3f})")
PY
