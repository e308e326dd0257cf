"""A corrupt or missing chosen model: a sentence naming the file, and the bundled model instead."""

from __future__ import annotations

import shutil

import pytest

from voxpad.engines import Engines
from voxpad.errors import ModelError
from voxpad.models.defaults import bundled_voice, bundled_whisper_model
from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.tts.voice import Voice


@pytest.fixture(scope="module")
def corrupt_whisper(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrupt") / "tiny-corrupt"
    shutil.copytree(bundled_whisper_model(), folder)
    data = (folder / "model.bin").read_bytes()
    (folder / "model.bin").write_bytes(data[: len(data) // 3])  # a download cut short
    return folder


@pytest.fixture(scope="module")
def corrupt_voice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voice")
    paths = bundled_voice()
    model = folder / "broken-voice.onnx"
    model.write_bytes(paths.model.read_bytes()[:50_000])
    shutil.copy(paths.config, folder / "broken-voice.onnx.json")
    return model


def test_a_corrupt_speech_model_is_named_in_the_error(corrupt_whisper):
    with pytest.raises(ModelError) as raised:
        SpeechRecognizer.load(corrupt_whisper)
    assert str(corrupt_whisper) in str(raised.value)


def test_a_corrupt_voice_is_named_in_the_error(corrupt_voice):
    with pytest.raises(ModelError) as raised:
        Voice.load(corrupt_voice)
    assert "broken-voice.onnx" in str(raised.value)


@pytest.mark.parametrize("which", ["corrupt", "missing"])
def test_engines_fall_back_to_the_bundled_speech_model_and_say_why(which, corrupt_whisper, tmp_path, jfk_wav):
    chosen = corrupt_whisper if which == "corrupt" else tmp_path / "gone"
    engines = Engines(speech_model=str(chosen), idle_unload_seconds=0)
    events = []
    engines.add_listener(events.append)
    recognizer = engines.recognizer()
    assert recognizer.path == bundled_whisper_model()
    assert "country" in recognizer.transcribe_file(jfk_wav).text.lower()
    [event] = [e for e in events if e.action == "fallback"]
    assert str(chosen) in event.message and "bundled speech model instead" in event.message


def test_engines_fall_back_to_the_bundled_voice_and_say_why(corrupt_voice):
    engines = Engines(voice_model=str(corrupt_voice), idle_unload_seconds=0)
    events = []
    engines.add_listener(events.append)
    voice = engines.voice()
    assert voice.model_path == bundled_voice().model
    assert voice.synthesize("Still speaking.").size > 0
    [event] = [e for e in events if e.action == "fallback"]
    assert "broken-voice.onnx" in event.message and "bundled voice instead" in event.message


def test_the_cli_reports_a_corrupt_chosen_model_instead_of_guessing(corrupt_whisper, jfk_wav):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "voxpad", "transcribe", "--model", str(corrupt_whisper),
                             str(jfk_wav)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("voxpad: ") and str(corrupt_whisper) in result.stderr
    assert "Traceback" not in result.stderr
