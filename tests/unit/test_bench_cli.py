"""``voxpad bench`` with files: short clips are measured, long or damaged ones refused in one sentence."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def _bench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voxpad", "bench", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_a_long_file_is_refused_at_once(tmp_path: Path) -> None:
    hour = tmp_path / "hour.flac"  # sox writes it lazily; bench must not decode it either
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(hour), "trim", "0", "3600"], check=True)
    started = time.monotonic()
    result = _bench(str(hour))
    assert result.returncode == 1 and result.stdout == ""  # refused before any model loaded
    assert result.stderr == (f"voxpad: {hour} is 1:00:00 long and bench measures clips of up to 10:00; "
                             f"use a shorter clip, or benchmarks/bench_long_file.py for long files.\n")
    print(f"refused in {time.monotonic() - started:.1f} s")


def test_a_cut_off_clip_is_refused(tmp_path: Path, jfk_wav: Path) -> None:
    cut = tmp_path / "cut.wav"
    cut.write_bytes(jfk_wav.read_bytes()[:100_044])
    result = _bench(str(cut))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"voxpad: The file {cut} is cut off at 0:03 of 0:11.\n"


def test_a_short_clip_is_measured(jfk_wav: Path) -> None:
    result = _bench("--repeat", "1", str(jfk_wav))
    assert result.returncode == 0, result.stderr
    assert "transcribe 11.0 s of audio, beam 5:" in result.stdout and "RTF" in result.stdout
