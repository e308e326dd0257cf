"""Streaming dictation with the real model and real speech, fed the way a microphone feeds it."""

from __future__ import annotations

import time

import numpy as np
import pytest
from speech_metrics import normalise, wer

from voxpad.audio.decode import load_audio_file
from voxpad.audio.microphone import Microphone, ReplayInputStream
from voxpad.stt.dictation import (
    DictationEvent,
    DictationSession,
    StreamingDictation,
    VoiceActivity,
    run_microphone_dictation,
)
from voxpad.stt.recognizer import SpeechRecognizer

BLOCK = 800  # 50 ms, what the microphone delivers


class CountingRecognizer:
    """The real recognizer, counting how often dictation asks it to decode."""

    def __init__(self, real: SpeechRecognizer) -> None:
        self.real = real
        self.calls = 0

    def transcribe(self, audio, **options):
        self.calls += 1
        return self.real.transcribe(audio, **options)


@pytest.fixture(scope="module")
def recognizer() -> CountingRecognizer:
    return CountingRecognizer(SpeechRecognizer.load())


@pytest.fixture(scope="module")
def clips(speech_clips) -> dict[str, tuple[np.ndarray, str]]:
    return {path.stem: (load_audio_file(path), reference) for path, reference in speech_clips}


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.float32)


def dictate(recognizer, audio: np.ndarray, block: int = BLOCK, finish: bool = True, **options) -> list[DictationEvent]:
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append, **options)
    for start in range(0, len(audio), block):
        dictation.feed(audio[start : start + block])
    if finish:
        dictation.finish()
    return events


def finals(events: list[DictationEvent]) -> str:
    return " ".join(event.text for event in events if event.kind == "final")


def test_two_clips_with_pauses_become_finals(recognizer, clips) -> None:
    first, first_text = clips["jfk"]
    second, second_text = clips["librispeech_1089-134686-0000"]
    audio = np.concatenate([first, silence(1.0), second, silence(1.0)])

    events = dictate(recognizer, audio)

    assert events and all(event.kind == "final" for event in events)
    assert wer([first_text + " " + second_text], [finals(events)]) <= 0.12, finals(events)
    times = [event.audio_time for event in events]
    assert times == sorted(times) and times[-1] <= len(audio) / 16000
    # The pause between the clips ended an utterance: the second clip's words are a final of their own.
    assert normalise(events[-1].text).startswith("he hoped")
    # Utterance ends are found by the VAD, not by Stop: the last final came before finish().
    assert events[-1].audio_time < len(audio) / 16000 - 0.5


def test_block_size_does_not_matter(recognizer, clips) -> None:
    audio = np.concatenate([clips["picovoice_cheetah_test_en"][0], silence(1.0)])
    in_blocks = finals(dictate(recognizer, audio, block=BLOCK))
    odd_blocks = finals(dictate(recognizer, audio, block=123))
    all_at_once = finals(dictate(recognizer, audio, block=len(audio)))
    assert in_blocks == odd_blocks == all_at_once
    assert wer([clips["picovoice_cheetah_test_en"][1]], [in_blocks]) < 0.3  # "1 and 3" vs "one and three"


@pytest.mark.parametrize("kind", ["silence", "quiet noise", "loud noise"])
def test_silence_and_noise_give_no_text_and_no_decoding(recognizer, kind: str) -> None:
    rng = np.random.default_rng(11)
    audio = {
        "silence": silence(8.0),
        "quiet noise": (rng.standard_normal(16000 * 8) * 0.01).astype(np.float32),
        "loud noise": (rng.standard_normal(16000 * 8) * 0.3).astype(np.float32),
    }[kind]
    calls_before = recognizer.calls
    assert dictate(recognizer, audio) == []
    assert recognizer.calls == calls_before  # the VAD kept it all away from Whisper


def test_stop_right_after_the_last_word_keeps_it(recognizer, clips) -> None:
    audio, _ = clips["librispeech_1089-134686-0002"]
    # "brothels" ends at 6.28 s: stop with no trailing silence, before the VAD could end the utterance.
    events = dictate(recognizer, audio[: int(6.3 * 16000)])
    assert normalise(finals(events)).split()[-1] == "brothels", finals(events)


def test_stop_mid_sentence_keeps_the_words_so_far(recognizer, clips) -> None:
    audio, _ = clips["librispeech_1089-134686-0000"]
    cut = audio[: int(6.5 * 16000)]  # "… fat mutton pieces| to be ladled out …"
    unfinished = dictate(recognizer, cut, finish=False)
    assert unfinished == []  # still speaking: nothing is final yet
    words = normalise(finals(dictate(recognizer, cut))).split()
    assert words[:3] == ["he", "hoped", "there"] and "mutton" in words
    assert words[-1].startswith("piece"), words


def test_partials_preview_the_utterance_then_a_final_settles_it(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    events = dictate(recognizer, np.concatenate([audio, silence(1.0)]), partials=True)
    kinds = [event.kind for event in events]
    assert kinds.count("partial") >= 5 and kinds[-1] == "final" and kinds.count("final") == 1
    partial_words = [len(event.text.split()) for event in events if event.kind == "partial"]
    assert partial_words[-1] > partial_words[0]  # the preview grows as the speaker goes on
    assert wer([reference], [finals(events)]) <= 0.1


def test_long_speech_is_split_to_fit_whisper(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    events = dictate(recognizer, np.concatenate([audio, silence(1.0)]), max_utterance=4.0)
    assert len(events) >= 2
    assert wer([reference], [finals(events)]) <= 0.2, finals(events)


def test_finish_resets_for_the_next_session(recognizer, clips) -> None:
    audio, reference = clips["speechbrain_example1"]
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append)
    for _ in range(2):
        dictation.feed(audio)
        dictation.finish()
        assert dictation.audio_time == 0.0
    assert len(events) == 2 and events[0] == events[1]
    assert wer([reference], [events[0].text]) < 0.2


def test_incremental_vad_matches_whole_recording(clips) -> None:
    from faster_whisper.vad import get_vad_model

    audio = clips["jfk"][0][: 512 * 300]
    whole = get_vad_model()(audio).reshape(-1)
    vad = VoiceActivity()
    windows = audio.reshape(-1, 512)
    pieces = [vad.probabilities(windows[i : i + n]) for i, n in ((0, 1), (1, 7), (8, 100), (108, 192))]
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-5)


# -- microphone → dictation, with a file standing in for the sound card --------------------


def test_run_microphone_dictation_transcribes_and_finishes(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0002"]
    replay = ReplayInputStream.factory(audio, pace=20.0)
    events: list[DictationEvent] = []
    levels: list[float] = []
    run_microphone_dictation(
        Microphone(stream_factory=replay),
        StreamingDictation(recognizer, events.append),
        should_stop=lambda: replay.stream is not None and replay.stream.exhausted.is_set(),
        on_level=levels.append,
    )
    assert wer([reference], [finals(events)]) <= 0.1
    assert max(levels) > 0.2 and levels[-1] == 0.0


def test_dictation_session_runs_on_its_own_thread(recognizer, clips) -> None:
    audio, reference = clips["speechbrain_example1"]
    replay = ReplayInputStream.factory(np.concatenate([audio, silence(0.5)]), pace=10.0)
    events: list[DictationEvent] = []
    done: list[object] = []
    session = DictationSession(Microphone(stream_factory=replay), StreamingDictation(recognizer, events.append),
                               on_done=done.append)
    session.start()
    assert session.running
    assert replay.stream.exhausted.wait(10)
    session.stop()
    assert session.wait(30) is None
    assert not session.running and done == [None]
    assert wer([reference], [finals(events)]) < 0.2


def test_replay_stream_keeps_real_time_pace(clips) -> None:
    audio = clips["speechbrain_example1"][0][: 16000]  # 1 s
    replay = ReplayInputStream.factory(audio, pace=4.0)
    with Microphone(stream_factory=replay):
        assert replay.stream.exhausted.wait(5)
        elapsed = time.monotonic() - replay.stream.started_at
    assert 0.2 <= elapsed < 0.6  # 1 s of audio at 4x: 0.25 s
