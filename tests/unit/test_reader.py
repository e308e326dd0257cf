"""Reading aloud through the real voice and sound server, heard back by Whisper."""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import awake_sink, start_recording  # noqa: F401  (awake_sink is a fixture)
from speech_metrics import wer

from voxpad.audio.speaker import Speaker
from voxpad.errors import AudioDeviceError
from voxpad.tts.reader import SentenceReader
from voxpad.tts.sentences import SentenceSpan

DOCUMENT = ("Title line\n\nThe train leaves at nine. Please bring your ticket! "
            "Is the station far from here?")
SPOKEN = ["The train leaves at nine.", "Please bring your ticket!", "Is the station far from here?"]


def stop_recording(process, path: Path) -> np.ndarray:
    process.terminate()
    process.wait(5)
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768


class Events:
    """Collects the reader's callbacks, from whichever thread they come."""

    def __init__(self) -> None:
        self.sentences: list[SentenceSpan] = []
        self.finished = threading.Event()
        self.errors: list[Exception] = []
        self.first_sentence = threading.Event()

    def reader(self, voice, speaker) -> SentenceReader:
        return SentenceReader(voice, speaker, on_sentence=self._sentence,
                              on_finished=self.finished.set, on_error=self.errors.append)

    def _sentence(self, span: SentenceSpan) -> None:
        self.sentences.append(span)
        self.first_sentence.set()


def test_reads_sentences_in_order_highlighting_each_in_the_document(awake_sink, voice, whisper, tmp_path):
    prefix = "Some earlier text. "
    document = prefix + DOCUMENT
    events = Events()
    recording = start_recording(awake_sink, tmp_path / "heard.wav")
    with Speaker() as speaker:
        reader = events.reader(voice, speaker)
        reader.read(DOCUMENT, base_offset=len(prefix))
        assert reader.is_reading
        assert events.finished.wait(30)
        assert not reader.is_reading
    audio = stop_recording(recording, tmp_path / "heard.wav")
    assert events.errors == []
    assert [span.text for span in events.sentences] == ["Title line", *SPOKEN]
    for span in events.sentences:
        assert document[span.start:span.end] == span.text
    segments, _ = whisper.transcribe(audio, beam_size=1, language="en")
    heard = " ".join(segment.text for segment in segments)
    assert wer([" ".join(["Title line", *SPOKEN])], [heard]) <= 0.2


def test_stop_mid_read_silences_quickly_and_ends_callbacks(awake_sink, voice, tmp_path):
    events = Events()
    long_text = " ".join(f"This is sentence number {n} of a long document." for n in range(1, 41))
    recording = start_recording(awake_sink, tmp_path / "heard.wav")
    with Speaker() as speaker:
        reader = events.reader(voice, speaker)
        reader.read(long_text)
        assert events.first_sentence.wait(10)
        time.sleep(0.5)
        reader.stop()
        stopped_with = len(events.sentences)
        assert not reader.is_reading
        time.sleep(1.0)
        assert len(events.sentences) == stopped_with == 1
        assert not events.finished.is_set() and events.errors == []
    audio = stop_recording(recording, tmp_path / "heard.wav")
    loud = np.nonzero(np.abs(audio) > 0.05)[0] / 16_000
    # Speech began, then the stop 0.5 s in cut it within a block and the device's buffer.
    assert len(loud) and loud[-1] - loud[0] < 0.5 + 0.3


def test_a_new_read_replaces_the_current_one(awake_sink, voice):
    events = Events()
    with Speaker() as speaker:
        reader = events.reader(voice, speaker)
        reader.read("First text that will be interrupted. It has a second sentence.")
        assert events.first_sentence.wait(10)
        reader.read("Replacement.", base_offset=100)
        assert events.finished.wait(10)
    assert events.sentences[-1] == SentenceSpan("Replacement.", 100, 112)
    assert "It has a second sentence." not in [span.text for span in events.sentences]


def test_pause_and_resume(awake_sink, voice):
    events = Events()
    with Speaker() as speaker:
        reader = events.reader(voice, speaker)
        reader.read("One short sentence. Another short sentence.")
        assert events.first_sentence.wait(10)
        reader.pause()
        assert reader.is_paused
        time.sleep(0.2)
        held = speaker.queued_seconds
        time.sleep(0.3)
        # Nothing is consumed while paused (synthesis may still add to the queue).
        assert speaker.queued_seconds >= held and not events.finished.is_set()
        assert len(events.sentences) == 1
        reader.resume()
        assert events.finished.wait(15)
    assert [span.text for span in events.sentences] == ["One short sentence.", "Another short sentence."]


def test_nothing_to_say_finishes_at_once(voice):
    events = Events()
    speaker = Speaker(stream_factory=lambda **kwargs: pytest.fail("no stream is needed"))
    reader = events.reader(voice, speaker)
    reader.read("  ...  \n\n ")
    assert events.finished.wait(5)
    assert events.sentences == [] and not reader.is_reading


def test_a_sound_card_that_cannot_open_is_reported_through_on_error_with_a_fake(voice):
    import sounddevice

    def refuse(**kwargs):
        raise sounddevice.PortAudioError("Device unavailable")

    events = Events()
    reader = events.reader(voice, Speaker(stream_factory=refuse))
    reader.read("Hello there.")
    assert reader.wait(10)
    assert len(events.errors) == 1 and isinstance(events.errors[0], AudioDeviceError)
    assert not reader.is_reading and not events.finished.is_set()
