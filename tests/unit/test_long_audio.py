"""Long files stream: decoded in bounded blocks, cut only in pauses, transcribed chunk by chunk.

The inputs are the real speech set looped with pauses into temporary files (written clip by
clip, so the tests never hold them whole). No test here measures time.
"""

from __future__ import annotations

import argparse
import json
import random
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speech_metrics import wer

from voxpad.audio.decode import AudioFileDamaged, AudioFileStream
from voxpad.commands import transcribe
from voxpad.errors import Cancelled
from voxpad.stt.long_audio import PauseCutter, SpeechChunk, transcribe_audio_file, transcribe_blocks

RATE = 16000


@dataclass(frozen=True)
class Placed:
    """One clip in a built file: where it sits (seconds) and what it says."""

    start: float
    end: float
    text: str


def build_looped_speech(path: Path, speech_clips, minutes: float, seed: int = 5,
                        pauses: tuple[float, float] = (0.3, 3.0)) -> list[Placed]:
    """Write ``minutes`` of the speech set looped with pauses to ``path``; returns where each clip went."""
    clips = [(sf.read(p, dtype="float32")[0], text) for p, text in speech_clips]
    rng = random.Random(seed)
    placed, written = [], 0
    subtype = "PCM_16" if path.suffix == ".wav" else None  # ogg/flac: the format's own default
    with sf.SoundFile(path, "w", samplerate=RATE, channels=1, subtype=subtype) as out:
        while written < minutes * 60 * RATE:
            samples, text = clips[rng.randrange(len(clips))]
            pause = np.zeros(int(rng.uniform(*pauses) * RATE), dtype=np.float32)
            out.write(pause)
            written += len(pause)
            out.write(samples)
            placed.append(Placed(written / RATE, (written + len(samples)) / RATE, text))
            written += len(samples)
    return placed


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory, speech_clips) -> tuple[Path, list[Placed]]:
    path = tmp_path_factory.mktemp("long") / "ten_minutes.wav"
    return path, build_looped_speech(path, speech_clips, 10)


def cut_chunks(path: Path, cutter: PauseCutter) -> list[SpeechChunk]:
    """The chunks ``cutter`` makes of ``path`` (VAD only, no model)."""
    chunks = []
    for block in AudioFileStream(path):
        chunks += cutter.feed(block)
    return chunks + cutter.finish()


def cut_points(path: Path, cutter: PauseCutter) -> list[tuple[int, int]]:
    """(start, end) sample ranges of the chunks ``cutter`` makes of ``path``."""
    return [(c.start, c.end) for c in cut_chunks(path, cutter)]


def test_cuts_fall_in_pauses_and_chunks_stay_bounded(ten_minutes) -> None:
    path, placed = ten_minutes
    cutter = PauseCutter(chunk_seconds=60)
    ranges = cut_points(path, cutter)
    assert len(ranges) >= 8
    assert ranges[0][0] == 0 and ranges[-1][1] == sf.info(path).frames  # nothing lost or repeated
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert cutter.largest_buffer <= 66 * RATE  # 60 s plus one decoded block (5 s and a codec frame)
    for _, cut in ranges[:-1]:
        seconds = cut / RATE
        inside = [p for p in placed if p.start < seconds < p.end]
        assert not inside, f"cut at {seconds:.2f} s falls inside {inside}"


def test_speech_without_pauses_is_still_cut_bounded(tmp_path, speech_clips) -> None:
    path = tmp_path / "no_pauses.wav"
    build_looped_speech(path, speech_clips, 3, pauses=(0.0, 0.05))
    cutter = PauseCutter(chunk_seconds=40)
    chunks = cut_chunks(path, cutter)
    ranges = [(c.start, c.end) for c in chunks]
    # Cut between words, the speech on both sides of each cut still goes to the model.
    speech = sum(len(c.speech_audio()) for c in chunks)
    assert speech > 0.9 * sf.info(path).frames
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])) and ranges[-1][1] == sf.info(path).frames
    assert max(end - start for start, end in ranges) <= 46 * RATE  # 40 s plus at most one block
    assert cutter.largest_buffer <= 46 * RATE


def _peak_traced_bytes(path: Path) -> int:
    """Peak Python/numpy memory while a file is decoded and cut into chunks (no model)."""
    cutter = PauseCutter(chunk_seconds=60)
    tracemalloc.start()
    try:
        for block in AudioFileStream(path):
            cutter.feed(block)
        cutter.finish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_length(tmp_path, speech_clips) -> None:
    short, long = tmp_path / "short.flac", tmp_path / "long.flac"
    build_looped_speech(short, speech_clips, 2, seed=1)
    build_looped_speech(long, speech_clips, 8, seed=1)
    stream = AudioFileStream(long)
    for _ in stream:
        pass
    assert stream.largest_block <= 6 * RATE  # 5 s blocks, plus at most one codec frame
    short_peak, long_peak = _peak_traced_bytes(short), _peak_traced_bytes(long)
    # Four times the audio, about the same peak: bounded by the chunk, not the file.
    assert long_peak < 1.3 * short_peak + 4_000_000, (short_peak, long_peak)
    assert long_peak < 60_000_000  # a whole-file decode of 8 min alone would be 31 MB of float32


def _voxpad(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="voxpad")
    transcribe.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["transcribe", *argv])
    code = args.run(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_ten_minutes_transcribe_chunk_by_chunk_with_absolute_times(capsys, ten_minutes) -> None:
    path, placed = ten_minutes
    code, out, err = _voxpad(capsys, "--format", "json", "--beam-size", "1", str(path))
    assert code == 0 and err == ""
    result = json.loads(out)
    segments = result["segments"]
    assert result["duration"] == pytest.approx(sf.info(path).duration, abs=0.01)
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts) and all(s["start"] <= s["end"] <= result["duration"] for s in segments)
    assert all(a["end"] <= b["start"] + 0.5 for a, b in zip(segments, segments[1:]))
    assert wer([" ".join(p.text for p in placed)], [result["text"]]) < 0.2
    # Times are absolute: the words heard around each clip's place in the file are that clip's words.
    heard = [" ".join(s["text"] for s in segments if p.start - 1 <= (s["start"] + s["end"]) / 2 <= p.end + 1)
             for p in placed]
    assert wer([p.text for p in placed], heard) < 0.25
    assert segments[-1]["end"] > placed[-1].start  # the end of the file was reached


def test_cancel_part_way_stops_reading(speech_clips, ten_minutes, recognizer) -> None:
    path, _ = ten_minutes
    stream = AudioFileStream(path)
    seen = []
    with pytest.raises(Cancelled):
        transcribe_blocks(recognizer, stream, beam_size=1, on_segment=seen.append, cancelled=lambda: bool(seen))
    assert len(seen) >= 1 and stream.seconds_read < 200


def test_progress_rises_to_one_through_the_file(recognizer, tmp_path, speech_clips) -> None:
    path = tmp_path / "two_minutes.ogg"
    build_looped_speech(path, speech_clips, 2)
    fractions: list[float] = []
    transcribe_blocks(recognizer, AudioFileStream(path), beam_size=1, progress=fractions.append,
                      total_seconds=sf.info(path).duration, cutter=PauseCutter(chunk_seconds=40))
    assert len(fractions) > 5 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert 0 < fractions[0] < 0.5


def test_decoder_failing_part_way_keeps_the_text_before_it(recognizer, speech_clips) -> None:
    # A fake decoder (a real one cannot be made to fail on cue): two clips of speech, then damage.
    def damaged_blocks():
        for path, _ in speech_clips[:2]:
            yield sf.read(path, dtype="float32")[0]
            yield np.zeros(RATE, dtype=np.float32)
        raise AudioFileDamaged("The file song.flac is damaged after 0:23 (the rest could not be decoded)", 23.0)

    result = transcribe_blocks(recognizer, damaged_blocks(), beam_size=1)
    assert wer([speech_clips[0][1] + " " + speech_clips[1][1]], [result.transcript.text]) < 0.2
    assert result.damage == ("The file song.flac is damaged after 0:23 (the rest could not be decoded); "
                             "the text before that is kept.")


def test_a_whole_file_has_no_damage(recognizer, jfk_wav) -> None:
    result = transcribe_audio_file(recognizer, jfk_wav, beam_size=1)
    assert result.damage is None and "country" in result.transcript.text.lower()


@pytest.mark.parametrize("suffix", ["wav", "ogg"])
def test_a_cut_off_file_gives_its_text_and_one_damage_sentence(recognizer, tmp_path, speech_clips, suffix) -> None:
    # wav: FFmpeg takes the length from the file size, so only the header gives the cut away;
    # ogg: no stated length at all, only the missing end-of-stream page.
    whole = tmp_path / f"whole.{suffix}"
    placed = build_looped_speech(whole, speech_clips, 1.0, seed=3)
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = transcribe_audio_file(recognizer, cut, beam_size=1)
    # Every clip that began before the cut: the one the cut goes through may be heard whole or in part.
    said = [p.text for p in placed if p.start < result.transcript.duration]
    assert len(said) >= 4
    assert wer([" ".join(said)], [result.transcript.text]) < 0.35
    assert result.damage is not None and result.damage.startswith(f"The file {cut} is cut off at 0:")
    assert result.damage.endswith("; the text before that is kept.") and "\n" not in result.damage
    if suffix == "wav":
        assert f" of {_clock(sf.info(whole).duration)};" in result.damage


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def test_file_cut_off_part_way_prints_its_text_and_says_so(capsys, tmp_path, speech_clips) -> None:
    whole = tmp_path / "whole.flac"
    build_looped_speech(whole, speech_clips, 1.5)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    code, out, err = _voxpad(capsys, "--beam-size", "1", str(cut))
    assert code == 1
    assert len(out.split()) > 40  # the first half's words are printed, not dropped
    assert err.startswith(f"voxpad: The file {cut} is cut off at 0:") and err.count("\n") == 1
    assert err.endswith("; the text before that is kept.\n")


def test_a_cut_off_wav_prints_its_text_and_says_so(capsys, tmp_path, jfk_wav) -> None:
    # The case FFmpeg alone misses: a WAV's length is worked out from the file's size.
    speech, _ = sf.read(jfk_wav, dtype="float32")
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.concatenate([speech, np.zeros(RATE, dtype=np.float32), speech]), RATE, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * 14 * RATE])  # 14 s of the 23 s
    code, out, err = _voxpad(capsys, "--beam-size", "1", str(cut))
    assert code == 1
    assert "country" in out.lower()  # the first speech, before the cut, is printed
    assert err == f"voxpad: The file {cut} is cut off at 0:14 of 0:23; the text before that is kept.\n"


def test_garbage_in_the_middle_still_gives_text_or_one_sentence(capsys, tmp_path, speech_clips) -> None:
    whole = tmp_path / "whole.mp3"
    build_looped_speech(whole, speech_clips, 1)
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 20_000] = np.random.default_rng(9).bytes(20_000)
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(bytes(data))
    code, out, err = _voxpad(capsys, "--beam-size", "1", str(broken))
    if code == 0:
        assert len(out.split()) > 40 and err == ""
    else:
        assert err.startswith("voxpad: ") and err.count("\n") == 1


@pytest.fixture(scope="module")
def recognizer():
    from voxpad.stt.recognizer import SpeechRecognizer

    return SpeechRecognizer.load()
