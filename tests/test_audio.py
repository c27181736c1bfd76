"""Wav writing and atomic replacement."""

from __future__ import annotations

import numpy as np
import pytest

from cinr_lab import atomic
from cinr_lab.audio import read_pcm16, to_pcm16, write_wav


def test_pcm16_round_trip_is_exact(tmp_path):
    x = np.arange(-32768, 32768, 7, dtype=np.int16).astype(np.float32) / 32768
    write_wav(tmp_path / "a.wav", x)
    np.testing.assert_array_equal(read_pcm16(tmp_path / "a.wav"), x)


def test_quantization_clips_to_int16():
    np.testing.assert_array_equal(to_pcm16(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])),
                                  [-32768, -32768, 0, 16384, 32767, 32767])  # fmt: skip


def test_write_refuses_non_mono(tmp_path):
    with pytest.raises(ValueError, match="expected a mono"):
        write_wav(tmp_path / "s.wav", np.zeros((2, 10)))
    assert not (tmp_path / "s.wav").exists()


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "keep.txt"
    atomic.write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
