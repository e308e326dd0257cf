"""``voxpad transcribe``: the subcommand module driven through argparse as the CLI drives it."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speech_metrics import wer

from voxpad.commands import transcribe

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "speech"
BIRCH = SPEECH / "speechbrain_example1.wav"
BIRCH_TEXT = "THE BIRCH CANOE SLID ON THE SMOOTH PLANKS"
STUFF = SPEECH / "librispeech_1089-134686-0001.wav"
STUFF_TEXT = "STUFF IT INTO YOU HIS BELLY COUNSELLED HIM"


def voxpad(capsys, *argv: str) -> tuple[int, str, str]:
    """Parse and run ``voxpad transcribe ARGV`` in-process: (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="voxpad")
    transcribe.add_parser(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["transcribe", *argv])
        code = args.run(args)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_one_file_prints_its_text(capsys) -> None:
    code, out, err = voxpad(capsys, str(BIRCH))
    assert code == 0 and err == ""
    assert wer([BIRCH_TEXT], [out]) < 0.15, out


def test_json_format(capsys) -> None:
    code, out, _ = voxpad(capsys, "--format", "json", str(BIRCH))
    assert code == 0
    result = json.loads(out)
    assert result["file"] == str(BIRCH) and result["language"] == "en"
    assert result["duration"] == pytest.approx(3.26, abs=0.01)
    assert wer([BIRCH_TEXT], [result["text"]]) < 0.15
    assert result["segments"] and {"start", "end", "text"} == set(result["segments"][0])
    assert voxpad(capsys, "--json", str(BIRCH))[1] == out  # --json is the short way to say it


def test_srt_format(capsys, jfk_wav: Path) -> None:
    code, out, _ = voxpad(capsys, "--format", "srt", "--beam-size", "1", str(jfk_wav))
    assert code == 0
    cues = out.strip().split("\n\n")
    assert len(cues) >= 1
    for number, cue in enumerate(cues, start=1):
        index, times, text = cue.split("\n", 2)
        assert index == str(number)
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", times)
        assert text.strip()


def test_several_files_one_bad(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    code, out, err = voxpad(capsys, str(BIRCH), str(bad), str(tmp_path / "missing.wav"), str(STUFF))
    assert code == 1
    # Both good files printed, in order, each under a header naming it.
    assert out.index(f"==> {BIRCH} <==") < out.index(f"==> {STUFF} <==")
    birch_text, stuff_text = out.split(f"==> {STUFF} <==")
    assert wer([BIRCH_TEXT], [birch_text.split("<==")[1]]) < 0.15
    assert wer([STUFF_TEXT], [stuff_text]) < 0.3
    errors = err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("voxpad: ") and line.endswith(".") for line in errors)
    assert "notes.wav" in errors[0] and "missing.wav" in errors[1]


@pytest.mark.parametrize("what", ["missing", "folder", "empty", "text"])
def test_bad_input_is_one_sentence(capsys, tmp_path: Path, what: str) -> None:
    path = {"missing": tmp_path / "gone.mp3", "folder": tmp_path, "empty": tmp_path / "empty.wav",
            "text": tmp_path / "readme.m4a"}[what]
    if what == "empty":
        path.touch()
    if what == "text":
        path.write_text("hello")
    code, out, err = voxpad(capsys, str(path))
    assert code == 1 and out == ""
    assert err.startswith("voxpad: ") and err.count("\n") == 1


def test_broken_model_is_one_sentence(capsys, tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\0" * 1000)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "vocabulary.txt").write_text("a\n")
    code, out, err = voxpad(capsys, "--model", str(tmp_path), str(BIRCH))
    assert code == 1 and out == ""
    assert err.startswith(f"voxpad: The speech model in {tmp_path}") and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--beam-size", "0", "x.wav"],
        ["--format", "docx", "x.wav"],
        ["--live", "a.wav", "b.wav"],
        ["--pace", "2", "x.wav"],
        ["--live", "--pace", "0", "x.wav"],
        ["--live", "--format", "srt", "x.wav"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys, argv: list[str]) -> None:
    code, out, err = voxpad(capsys, *argv)
    assert code == 2 and out == "" and err


def test_live_json_events(capsys, tmp_path: Path) -> None:
    # Two utterances with a pause, so a final comes before the end of the file.
    stuff, rate = sf.read(STUFF, dtype="float32")
    birch, _ = sf.read(BIRCH, dtype="float32")
    clip = tmp_path / "two.wav"
    sf.write(clip, np.concatenate([stuff, np.zeros(rate), birch]), rate)
    duration = sf.info(clip).duration
    pace = 4.0

    code, out, err = voxpad(capsys, "--live", "--json", "--pace", str(pace), str(clip))

    assert code == 0 and err == ""
    events = [json.loads(line) for line in out.strip().splitlines()]
    assert events[-1]["type"] == "done" and set(events[-1]) == {"type", "t"}
    assert all(set(e) == {"t", "type", "text"} and e["type"] in ("partial", "final") for e in events[:-1])
    times = [e["t"] for e in events]
    assert times == sorted(times)
    finals = [e for e in events if e["type"] == "final"]
    assert len(finals) == 2
    # The first utterance was final while the file was still playing; the last came after end of file.
    assert finals[0]["t"] < duration / pace <= finals[1]["t"]
    assert wer([STUFF_TEXT + " " + BIRCH_TEXT], [" ".join(e["text"] for e in finals)]) < 0.25


def test_live_plain_prints_finals(capsys) -> None:
    code, out, err = voxpad(capsys, "--live", "--pace", "8", str(BIRCH))
    assert code == 0 and err == ""
    assert wer([BIRCH_TEXT], [out]) < 0.15


def test_silent_file_prints_no_words(capsys, tmp_path: Path) -> None:
    path = tmp_path / "room_tone.flac"
    sf.write(path, (np.random.default_rng(4).standard_normal(16000 * 4) * 0.01).astype(np.float32), 16000)
    code, out, err = voxpad(capsys, str(path))
    assert code == 0 and out.strip() == "" and err == ""


def test_live_bad_file_is_one_sentence(capsys, tmp_path: Path) -> None:
    code, out, err = voxpad(capsys, "--live", "--json", str(tmp_path / "gone.wav"))
    assert code == 1 and out == "" and err.startswith("voxpad: ") and err.count("\n") == 1


def test_live_file_that_breaks_off_prints_its_text_then_says_so(capsys, tmp_path: Path) -> None:
    # Streamed from the decoder as it plays: the cut is only found when the replay reaches it.
    stuff, rate = sf.read(STUFF, dtype="float32")
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.concatenate([stuff, np.zeros(rate, np.float32), stuff]), rate, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * (len(stuff) + rate)])  # the first utterance and the pause

    code, out, err = voxpad(capsys, "--live", "--json", "--pace", "4", str(cut))

    assert code == 1
    events = [json.loads(line) for line in out.strip().splitlines()]
    assert events[-1]["type"] == "done" and set(events[-1]) == {"type", "t"}  # the JSON-lines contract holds
    finals = [e["text"] for e in events if e["type"] == "final"]
    assert "belly" in " ".join(finals).lower()  # the utterance before the cut was heard
    assert err == f"voxpad: The file {cut} is cut off at 0:04 of 0:07; the text before that is kept.\n"


def test_live_not_audio_is_one_sentence(capsys, tmp_path: Path) -> None:
    # The first block is decoded before the model loads, so this fails at once.
    path = tmp_path / "notes.wav"
    path.write_text("dear diary\n" * 50)
    code, out, err = voxpad(capsys, "--live", str(path))
    assert code == 1 and out == "" and err == f"voxpad: {path} is not an audio file Voxpad can read.\n"
