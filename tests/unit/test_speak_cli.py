"""``voxpad speak``: WAV output, playback, streaming stdin, and one-sentence errors."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import awake_sink, start_recording, wait_until  # noqa: F401  (awake_sink is a fixture)
from speech_metrics import wer

from voxpad.commands import speak

# A throwaway runner: the real entry point (voxpad.cli) is wired by the lead.
RUNNER = """
import argparse, sys
from voxpad.commands import speak
parser = argparse.ArgumentParser(prog="voxpad")
speak.add_parser(parser.add_subparsers(dest="command"))
sys.exit(speak.run(parser.parse_args(sys.argv[1:])))
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="voxpad")
    speak.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["speak", *argv])


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    err = io.StringIO()
    code = speak.run(parse(*argv), stdin=io.StringIO(stdin), stderr=err)
    return code, err.getvalue()


def heard(whisper, audio) -> str:
    segments, _ = whisper.transcribe(audio, beam_size=1, language="en")
    return " ".join(segment.text for segment in segments)


def recorded_so_far(path: Path) -> np.ndarray:
    """The samples parec has written so far (its WAV header is 44 bytes)."""
    data = path.read_bytes()[44:]
    return np.frombuffer(data[:len(data) // 2 * 2], np.int16).astype(np.float32) / 32768


def test_writes_a_wav_that_whisper_understands(whisper, tmp_path):
    out = tmp_path / "speech.wav"
    code, err = run("Meet me at the library at noon.", "-o", str(out))
    assert (code, err) == (0, "")
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() > 22050
    assert wer(["Meet me at the library at noon."], [heard(whisper, str(out))]) <= 0.15


def test_reads_stdin_into_a_wav(tmp_path):
    out = tmp_path / "speech.wav"
    code, err = run("-", "-o", str(out), "--speed", "1.5", stdin="First line.\n\nSecond line.\n")
    assert code == 0 and "ready" in err
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > 22050


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["   "], "", "There is no text to speak."),
    ([], "", "Give the text to speak, or - to read it from stdin."),
    (["-", "-o", "{tmp}/empty.wav"], " \n\n", "There is no text to speak."),
    (["Hello.", "--voice", "{tmp}/missing.onnx"], "", "The voice file {tmp}/missing.onnx does not exist."),
    (["Hello.", "-o", "{tmp}/no/such/folder/out.wav"], "", "Cannot write the audio file {tmp}/no/such/folder/out.wav"),
])
def test_bad_input_is_one_sentence_and_exit_1(tmp_path, argv, stdin, message):
    code, err = run(*[arg.format(tmp=tmp_path) for arg in argv], stdin=stdin)
    lines = [line for line in err.splitlines() if "ready" not in line]
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("voxpad: " + message.format(tmp=tmp_path))
    assert not (tmp_path / "empty.wav").exists()


def test_play_speaks_the_text_through_the_default_device(awake_sink, whisper, tmp_path):
    recording_path = tmp_path / "heard.wav"
    recorder = start_recording(awake_sink, recording_path)
    try:
        code, err = run("The red bus stops here.", "--play")
    finally:
        recorder.terminate()
        recorder.wait(5)
    assert code == 0 and "voxpad:" not in err
    assert wer(["The red bus stops here."], [heard(whisper, str(recording_path))]) <= 0.2


def test_streaming_stdin_speaks_each_line_as_it_arrives(awake_sink, whisper, tmp_path):
    recording_path = tmp_path / "heard.wav"
    recorder = start_recording(awake_sink, recording_path)
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "speak", "--play", "-"],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **awake_sink.env})
    try:
        assert "ready" in process.stderr.readline()
        process.stdin.write("The first line arrives now.\n")
        process.stdin.flush()
        # Spoken while stdin is still open: the command does not wait for the end of input.
        wait_until(lambda: np.abs(recorded_so_far(recording_path)).max(initial=0) > 0.05, 10, "the first line")
        process.stdin.write("Then the second line follows.\n")
        process.stdin.close()
        assert process.wait(30) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        recorder.terminate()
        recorder.wait(5)
    text = heard(whisper, str(recording_path))
    assert wer(["The first line arrives now. Then the second line follows."], [text]) <= 0.2
