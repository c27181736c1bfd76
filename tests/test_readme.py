"""The README's Python snippets run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_the_readme_has_its_two_snippets():
    assert len(SNIPPETS) == 2
    assert "pretrained.load" in SNIPPETS[0] and "torch.jit.load" in SNIPPETS[1]


def test_pretrained_snippet(tmp_path, monkeypatch, embedded_home):
    monkeypatch.chdir(tmp_path)
    exec(compile(SNIPPETS[0], "README.md", "exec"), {})
    assert (tmp_path / "halfway.wav").stat().st_size > 30000


def test_torchscript_snippet_after_the_export_command(tmp_path, monkeypatch):
    from cinr_lab.ops.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export-model", "pcinr-keyboard", "--torchscript", "--out", "synth.pt"]) == 0
    scope: dict = {}
    exec(compile(SNIPPETS[1], "README.md", "exec"), scope)
    assert tuple(scope["block"].shape) == (1, 1024) and tuple(scope["dense"].shape) == (1, 2048)
    assert scope["block"].abs().max() > 0


@pytest.mark.parametrize("name", ["tcnn-keyboard"])
def test_a_shipped_tcnn_is_refused_by_name(name, tmp_path, capsys):
    from cinr_lab.ops.cli import main

    assert main(["export-model", name, "--torchscript", "--out", str(tmp_path / "s.pt")]) == 2
    assert "cannot export a kind 'tcnn' model" in capsys.readouterr().err
    assert not (tmp_path / "s.pt").exists()
