"""ReplayInputStream fed block by block from a decoder: same samples, real-time pace, bounded reading.

The replay plays real speech files through a real Microphone; only the clock is the replay's own
(there is no sound device in the loop: that is the point of the replay).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxpad.audio.decode import AudioFileDamaged, AudioFileStream, load_audio_file
from voxpad.audio.microphone import Microphone, ReplayInputStream

RATE = 16000


def _play_to_the_end(factory, timeout: float = 30.0) -> list[np.ndarray]:
    """Every block the Microphone hands out until the replay says it is exhausted."""
    microphone = Microphone(stream_factory=factory)
    microphone.start()
    blocks = []
    deadline = time.monotonic() + timeout
    while not factory.stream.exhausted.is_set():
        assert time.monotonic() < deadline, "the replay never finished"
        if (block := microphone.read(timeout=0.05)) is not None:
            blocks.append(block.samples)
    blocks += [block.samples for block in microphone.stop()]
    return blocks


def test_a_decoder_stream_plays_exactly_the_samples_of_the_file(jfk_wav: Path) -> None:
    factory = ReplayInputStream.factory(AudioFileStream(jfk_wav, block_seconds=1.3), pace=20.0)
    blocks = _play_to_the_end(factory)
    # Decoder blocks of 1.3 s are re-cut into the microphone's 50 ms blocks: none lost, none repeated.
    assert {len(b) for b in blocks[:-1]} == {800}
    assert np.array_equal(np.concatenate(blocks), load_audio_file(jfk_wav))
    assert factory.stream.error is None and factory.stream.started_at is not None


def test_an_array_still_plays_as_before(jfk_wav: Path) -> None:
    audio = load_audio_file(jfk_wav)[: 3 * RATE + 123]  # not a whole number of blocks
    factory = ReplayInputStream.factory(audio, pace=20.0)
    blocks = _play_to_the_end(factory)
    assert len(blocks[-1]) == 123 and np.array_equal(np.concatenate(blocks), audio)


def test_the_pace_is_real_time_times_pace(jfk_wav: Path) -> None:
    # Only a lower bound: a replay must never run ahead of its clock (a slow machine may lag).
    factory = ReplayInputStream.factory(AudioFileStream(jfk_wav), pace=5.0)
    _play_to_the_end(factory)
    finished = time.monotonic()
    assert finished - factory.stream.started_at >= 11.0 / 5.0 - 0.06


def test_the_file_is_decoded_only_as_fast_as_it_is_played(tmp_path: Path, speech_clips) -> None:
    long = tmp_path / "long.flac"
    with sf.SoundFile(long, "w", RATE, 1) as out:  # 3 minutes, written clip by clip
        while out.frames < 180 * RATE:
            for path, _ in speech_clips:
                out.write(sf.read(path, dtype="float32")[0])
    decoder = AudioFileStream(long)
    factory = ReplayInputStream.factory(decoder, pace=4.0)
    microphone = Microphone(stream_factory=factory)
    microphone.start()
    time.sleep(1.0)  # about 4 s of audio played
    read_while_playing = decoder.seconds_read
    microphone.stop()
    # One 5 s decoder block ahead at most (plus a codec frame), not the whole 3 minutes.
    assert 0 < read_while_playing <= 10.5
    assert not factory.stream.exhausted.is_set() and factory.stream.error is None


def test_a_file_that_breaks_off_plays_what_is_there_then_gives_the_reason(tmp_path: Path, jfk_wav: Path) -> None:
    cut = tmp_path / "cut.wav"
    cut.write_bytes(jfk_wav.read_bytes()[: 44 + 2 * (4 * RATE + 123)])  # 4 s of the 11, not whole blocks
    factory = ReplayInputStream.factory(AudioFileStream(cut), pace=20.0)
    blocks = _play_to_the_end(factory)
    assert np.array_equal(np.concatenate(blocks), load_audio_file(jfk_wav)[: 4 * RATE + 123])  # to the last sample
    error = factory.stream.error
    assert isinstance(error, AudioFileDamaged) and str(error) == f"The file {cut} is cut off at 0:04 of 0:11."


def test_stopping_early_closes_the_decoder(jfk_wav: Path) -> None:
    closed = []

    def blocks():
        try:
            yield from AudioFileStream(jfk_wav)
        finally:
            closed.append(True)

    factory = ReplayInputStream.factory(blocks(), pace=1.0)
    microphone = Microphone(stream_factory=factory)
    microphone.start()
    time.sleep(0.3)
    microphone.stop()
    assert closed == [True] and not factory.stream.exhausted.is_set()


def test_pace_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ReplayInputStream(np.zeros(10, np.float32), pace=0, callback=lambda *a: None)
