"""What a ``pip install`` of the project carries: the package, its subsets and the shipped models.

The wheel is built from a copy of this checkout's package sources (so no stale ``build/`` folder
can lend it files) and installed into a folder of its own; a fresh interpreter
that imports ``cinr_lab`` from there (dependencies from the current environment) must find and play
the shipped models without the checkout's help.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cinr_lab import pretrained
from cinr_lab.ops import ship

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "cinr_lab", source / "cinr_lab", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(source)],
        check=True,
    )  # fmt: skip
    (built,) = out.glob("cinr_lab-*.whl")
    return built


def test_the_wheel_carries_every_shipped_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in pretrained.SHIPPED:
        for file in ship.MODEL_FILES:
            assert f"cinr_lab/weights/{name}/{file}" in names, (name, file)
    assert "cinr_lab/weights/README.md" in names
    assert "cinr_lab/sounds/steel_drums-060-100.wav" in names
    assert not any(n.startswith("cinr_lab/weights/runs") for n in names)  # study runs stay out


def test_an_installed_copy_loads_and_plays_a_shipped_model(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    script = (
        "import cinr_lab, numpy as np\n"
        "from cinr_lab import pretrained\n"
        "print(cinr_lab.__file__)\n"
        "wave = pretrained.load('pcinr-keyboard').render([0])[0].numpy()\n"
        "print(wave.shape[0], float(np.sqrt((wave ** 2).mean())))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINR_")}
    env["PYTHONPATH"] = str(target)
    env["CINR_HOME"] = str(tmp_path / "home")  # nothing cached to lean on
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    where, shape = done.stdout.splitlines()
    assert Path(where).resolve().is_relative_to(target.resolve())  # not the checkout's copy
    samples, rms = shape.split()
    assert int(samples) == 16000
    assert float(rms) > 1e-3  # a note, not silence
