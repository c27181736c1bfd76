#!/usr/bin/env bash
# Re-resolve pyproject.toml's dependencies (core + dev) into requirements.lock.
# tinysoundfont is installed without its pyaudio dependency: pyaudio is only for live playback,
# which cinr_lab never uses, and it needs PortAudio headers to build on Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
venv=$(mktemp -d)/venv
"$python" -m venv "$venv"
deps=$("$venv/bin/python" - <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = project["dependencies"] + [r for g in project["optional-dependencies"].values() for r in g]
print("\n".join(r for r in reqs if not r.startswith("tinysoundfont")))
PY
)
mapfile -t deps <<<"$deps"
"$venv/bin/pip" install --quiet "${deps[@]}"
"$venv/bin/pip" install --quiet --no-deps "tinysoundfont>=0.3.7"
{
  echo "# Exact versions \`make study\` and \`make test\` install (regenerate with \`make lock\`)."
  echo "# torch is installed first, on its own, so pip can add the platform's own torch dependencies."
  "$venv/bin/pip" freeze --all | grep -viE '^(pip|wheel|cinr.lab|-e )\b|^nvidia-|^triton==' | sed -E 's/^(torch==[^+]+)\+.*/\1/'
} > requirements.lock
rm -rf "$(dirname "$venv")"
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
