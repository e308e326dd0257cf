"""The ``voxpad`` command itself: help, version, self-test, and errors as sentences."""

from __future__ import annotations

import os
import subprocess
import sys

from voxpad import __version__


def _voxpad(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 180):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "voxpad", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_version():
    result = _voxpad("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"voxpad {__version__}"


def test_help_lists_the_commands():
    result = _voxpad("--help")
    assert result.returncode == 0
    for command in ("transcribe", "speak", "bench", "--self-test"):
        assert command in result.stdout


def test_self_test_passes_offscreen():
    result = _voxpad("--self-test", env_extra={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Self-test passed." in result.stdout
    assert "speak a sentence and transcribe it back" in result.stdout
    assert "open and close the main window" in result.stdout
    assert "word timings from the voice" in result.stdout


def test_self_test_names_a_broken_speech_model(tmp_path):
    # A user-chosen model folder that is broken: the self-test says so in a sentence.
    config = tmp_path / "config"
    config.mkdir()
    broken = tmp_path / "my-model"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model")
    (broken / "config.json").write_text("{}")
    (config / "settings.json").write_text('{"speech_model": "%s"}' % broken)
    result = _voxpad("--self-test", env_extra={"QT_QPA_PLATFORM": "offscreen", "VOXPAD_CONFIG_DIR": str(config)})
    assert "Traceback" not in result.stderr
    assert "my-model" in result.stdout + result.stderr


def test_unknown_command_is_a_usage_error():
    result = _voxpad("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
