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
    StreamingDictation,
    VoiceActivity,
    agreed_prefix,
    run_microphone_dictation,
)
from voxpad.stt.fast_decoder import ShortContextDecoder, drop_repetition
from voxpad.stt.recognizer import SpeechRecognizer

BLOCK = 800  # 50 ms, what the microphone delivers


@pytest.fixture(scope="module")
def recognizer() -> SpeechRecognizer:
    return SpeechRecognizer.load()


@pytest.fixture(scope="module")
def clips(speech_clips) -> dict[str, tuple[np.ndarray, str]]:
    return {path.stem: (load_audio_file(path), reference) for path, reference in speech_clips}


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.float32)


def dictate(recognizer, audio: np.ndarray, block: int = BLOCK, finish: bool = True, made: list | None = None,
            **options) -> list[DictationEvent]:
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append, **options)
    if made is not None:
        made.append(dictation)
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

    events = dictate(recognizer, audio, partials=False)

    assert events and all(event.kind == "final" for event in events)
    assert wer([first_text + " " + second_text], [finals(events)]) <= 0.12, finals(events)
    times = [event.audio_time for event in events]
    assert times == sorted(times) and times[-1] <= len(audio) / 16000
    # The pause between the clips ended an utterance: the second clip's words are a final of their own.
    assert any(normalise(event.text).startswith("he hoped") for event in events[1:])
    # Utterance ends are found by the VAD, not by Stop: the last final came before finish().
    assert events[-1].audio_time < len(audio) / 16000 - 0.5


def test_block_size_does_not_matter(recognizer, clips) -> None:
    audio = np.concatenate([clips["picovoice_cheetah_test_en"][0], silence(1.0)])
    in_blocks = finals(dictate(recognizer, audio, block=BLOCK, partials=False))
    odd_blocks = finals(dictate(recognizer, audio, block=123, partials=False))
    all_at_once = finals(dictate(recognizer, audio, block=len(audio), partials=False))
    assert in_blocks == odd_blocks == all_at_once
    assert wer([clips["picovoice_cheetah_test_en"][1]], [in_blocks]) < 0.3  # "1 and 3" vs "one and three"


def room_tone(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: ventilation rumble (brown noise), mains hum with harmonics, faint hiss.

    (No recording of a real room is in the test data; this has the same ingredients.)
    """
    n = int(seconds * 16000)
    rumble = np.cumsum(rng.standard_normal(n))
    rumble -= np.convolve(rumble, np.ones(1600) / 1600, mode="same")  # keep it from drifting away
    rumble /= np.abs(rumble).max()
    t = np.arange(n) / 16000
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3))
    return (0.05 * rumble + 0.02 * hum + 0.003 * rng.standard_normal(n)).astype(np.float32)


@pytest.mark.parametrize("kind", ["silence", "quiet white noise", "loud white noise", "room tone"])
def test_silence_and_noise_give_no_text_and_no_decoding(recognizer, kind: str) -> None:
    rng = np.random.default_rng(11)
    audio = {
        "silence": silence(8.0),
        "quiet white noise": (rng.standard_normal(16000 * 8) * 0.01).astype(np.float32),
        "loud white noise": (rng.standard_normal(16000 * 8) * 0.3).astype(np.float32),
        "room tone": room_tone(8.0, rng),
    }[kind]
    made: list[StreamingDictation] = []
    assert dictate(recognizer, audio, made=made) == []
    assert made[0].decodes == 0  # the VAD kept it all away from Whisper


def test_noise_that_fools_the_vad_still_gives_no_text(recognizer) -> None:
    """Whisper's own guard: a burst the VAD lets through ("you", "Thank you.") is dropped."""
    rng = np.random.default_rng(5)
    # Speech-like: white noise shaped by a 4 Hz syllable envelope, the kind of sound the VAD may pass.
    n = 16000 * 3
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / 16000)
    burst = (0.2 * envelope * rng.standard_normal(n)).astype(np.float32)
    events = dictate(recognizer, np.concatenate([silence(0.5), burst, silence(1.0)]), threshold=0.0)
    assert finals(events).strip() == "", events


def test_stop_right_after_the_last_word_keeps_it(recognizer, clips) -> None:
    audio, _ = clips["librispeech_1089-134686-0002"]
    # "brothels" ends at 6.28 s: stop with no trailing silence, before the VAD could end the utterance.
    events = dictate(recognizer, audio[: int(6.3 * 16000)])
    assert normalise(finals(events)).split()[-1] == "brothels", finals(events)


def test_stop_mid_sentence_keeps_the_words_so_far(recognizer, clips) -> None:
    audio, _ = clips["librispeech_1089-134686-0000"]
    cut = audio[: int(6.5 * 16000)]  # "… fat mutton pieces| to be ladled out …"
    unfinished = dictate(recognizer, cut, finish=False)
    assert finals(unfinished) == ""  # still speaking: nothing is final yet, only previews
    words = normalise(finals(dictate(recognizer, cut))).split()
    assert words[:3] == ["he", "hoped", "there"] and "mutton" in words
    assert words[-1].startswith("piece"), words


def test_partials_preview_the_utterance_then_a_final_settles_it(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    events = dictate(recognizer, np.concatenate([audio, silence(1.0)]), partials=True, max_utterance=20.0)
    kinds = [event.kind for event in events]
    assert kinds.count("partial") >= 5 and kinds[-1] == "final" and kinds.count("final") == 1
    partial_words = [len(event.text.split()) for event in events if event.kind == "partial"]
    assert partial_words[-1] > partial_words[0]  # the preview grows as the speaker goes on
    assert wer([reference], [finals(events)]) <= 0.12


def test_long_speech_is_split_to_fit_whisper(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    events = dictate(recognizer, np.concatenate([audio, silence(1.0)]), max_utterance=4.0)
    assert sum(1 for event in events if event.kind == "final") >= 2
    assert wer([reference], [finals(events)]) <= 0.2, finals(events)


def test_finish_resets_for_the_next_session(recognizer, clips) -> None:
    audio, reference = clips["speechbrain_example1"]
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append)
    for _ in range(2):
        dictation.feed(audio)
        dictation.finish()
        assert dictation.audio_time == 0.0
    texts = [event.text for event in events if event.kind == "final"]
    assert len(texts) == 2 and texts[0] == texts[1]
    assert wer([reference], [texts[0]]) < 0.2


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


def test_replay_stream_keeps_real_time_pace(clips) -> None:
    audio = clips["speechbrain_example1"][0][: 16000]  # 1 s
    replay = ReplayInputStream.factory(audio, pace=4.0)
    with Microphone(stream_factory=replay):
        assert replay.stream.exhausted.wait(5)
        elapsed = time.monotonic() - replay.stream.started_at
    assert 0.2 <= elapsed < 0.6  # 1 s of audio at 4x: 0.25 s


# -- streaming design: LocalAgreement commits, end-pointing, pre-roll, keeping up -------------


def test_agreed_prefix_commits_what_two_decodes_share_but_never_the_last_word() -> None:
    assert agreed_prefix([], ["and", "so"]) == 0
    assert agreed_prefix(["and", "so", "my"], ["and", "so", "my", "fellow"]) == 3
    assert agreed_prefix(["and", "so", "am", "I"], ["and", "so", "my", "fellow"]) == 2
    # Everything agrees, but the newest last word may still be growing ("fell" → "fellow").
    assert agreed_prefix(["and", "so", "my", "fell"], ["and", "so", "my", "fell"]) == 3


def test_committed_words_only_grow_and_the_final_agrees(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append, max_utterance=20.0)  # one utterance
    commits = [""]
    for start in range(0, len(audio), BLOCK):
        dictation.feed(audio[start : start + BLOCK])
        if dictation.committed_text != commits[-1]:
            commits.append(dictation.committed_text)
    last_commit = commits[-1]
    dictation.finish()
    assert len(commits) >= 4, commits  # words settle while the speaker goes on
    for before, after in zip(commits, commits[1:]):
        assert after.startswith(before)  # once committed, never changed
    final = finals(events)
    assert wer([reference], [final]) <= 0.12, final
    assert wer([last_commit], [" ".join(final.split()[: len(last_commit.split())])]) <= 0.2  # the final agrees
    # Every partial shows the committed words as they were then: the preview never rewrites them.
    partials = [event.text for event in events if event.kind == "partial"]
    assert all(any(p.startswith(c) for c in commits) for p in partials)


def test_partials_come_while_speaking_and_each_new_word_soon(recognizer, clips) -> None:
    audio, _ = clips["jfk"]
    events = dictate(recognizer, audio[: 16000 * 4], finish=False)  # "And so my fellow Americans" …
    partials = [event for event in events if event.kind == "partial"]
    # A preview at least every ~0.6 s of speech once talking starts (interval 0.3 s).
    times = [event.audio_time for event in partials]
    assert len(partials) >= 3 and times[0] < 1.5
    assert "fellow" in normalise(" ".join(event.text for event in partials))


@pytest.mark.parametrize("timeout", [0.4, 1.2])
def test_silence_timeout_decides_when_an_utterance_ends(recognizer, clips, timeout: float) -> None:
    audio, _ = clips["speechbrain_example1"]
    speech_end = len(audio) / 16000
    events = dictate(recognizer, np.concatenate([audio, silence(0.8), audio, silence(2.0)]),
                     silence_timeout=timeout, partials=False, finish=False)
    if timeout < 0.8:  # the 0.8 s pause ends the first utterance: two finals, the first soon after it
        assert len(events) == 2
        assert speech_end < events[0].audio_time <= speech_end + timeout + 0.5
    else:  # a pause shorter than the timeout keeps it one utterance
        assert len(events) == 1
    assert events[-1].audio_time <= 2 * speech_end + 0.8 + timeout + 0.5


def test_preroll_keeps_the_first_word(recognizer, clips) -> None:
    audio, _ = clips["jfk"]
    # Speech from the very first sample, and speech after a second of silence: "And" survives both.
    for lead in (0.0, 1.0):
        text = finals(dictate(recognizer, np.concatenate([silence(lead), audio[: 16000 * 3]]), partials=False))
        assert normalise(text).split()[:2] == ["and", "so"], text


def test_preroll_reaches_before_the_vad_triggers(recognizer, clips) -> None:
    audio, _ = clips["jfk"]
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append, preroll=0.4, partials=False)
    dictation.feed(np.concatenate([silence(1.0), audio[: 16000 * 2]]))
    assert dictation.in_utterance
    # The utterance starts 0.4 s before the first voiced window the VAD reported.
    assert 0.4 <= (dictation._last_voice_end - dictation._utterance_start) / 16000


def test_falling_behind_skips_previews_not_words(recognizer, clips) -> None:
    audio, reference = clips["librispeech_1089-134686-0000"]
    made: list[StreamingDictation] = []
    # 2 s blocks: what the microphone hands over when decoding could not keep up.
    events = dictate(recognizer, np.concatenate([audio, silence(1.0)]), block=32000, made=made)
    assert made[0].skipped_partials >= 3
    assert all(event.kind == "final" for event in events)
    assert wer([reference], [finals(events)]) <= 0.1


def test_long_dictation_keeps_up_with_real_time(recognizer, clips) -> None:
    """Decoding a 40 s dictation with partials costs well under its duration on these cores."""
    audio = np.concatenate([np.concatenate([clip, silence(0.25)]) for clip, _ in clips.values()])
    made: list[StreamingDictation] = []
    events = dictate(recognizer, audio, made=made)
    duration = len(audio) / 16000
    assert made[0].decode_seconds < 0.8 * duration, made[0].decode_seconds
    references = " ".join(text for _, text in clips.values())
    assert wer([references], [finals(events)]) <= 0.15


def test_short_context_decoder_matches_offline_accuracy(recognizer, speech_clips) -> None:
    decoder = ShortContextDecoder(recognizer)
    references, short, offline = [], [], []
    for path, reference in speech_clips:
        audio = load_audio_file(path)
        references.append(reference)
        short.append(decoder.decode(audio).text)
        offline.append(recognizer.transcribe(audio, beam_size=5).text)
    # Measured: 8.3 % vs 7.4 % (one word on one clip); allow a little noise, not a different model.
    assert wer(references, short) <= wer(references, offline) + 0.02


def test_repetition_loops_are_cut() -> None:
    assert drop_repetition(" And so my fellow Americans. And so my fellow Americans.") == " And so my fellow Americans."
    assert drop_repetition(" S, S, S, S, S, S, S, S") == " S,"
    # Real speech repeating three words is kept ("can do for you … can do for your country").
    jfk = " ask not what your country can do for you, ask what you can do for your country."
    assert drop_repetition(jfk) == jfk
    assert drop_repetition(" And so my fellow Americans", committed="And so my fellow Americans.") == ""


def test_a_decode_that_stops_early_goes_on_with_the_rest_of_the_audio(recognizer, clips, monkeypatch) -> None:
    # Beam 5 after this forced prefix closes its segment at <|5.00|> and ends, 5 s before the
    # audio does; the streaming final then lost "fat mutton pieces … sauce" (seen in bench_live).
    from voxpad.stt import fast_decoder

    audio, _reference = clips["librispeech_1089-134686-0000"]
    audio = np.concatenate([silence(0.4), audio])
    committed = "He hoped there would be stew for dinner, turnips and carrots and bruised potatoes and"
    decoder = ShortContextDecoder(recognizer, language="en")

    continued = decoder.decode(audio, beam_size=5, committed=committed)
    assert normalise(continued.text).startswith("fat mutton pieces") and "sauce" in continued.text

    monkeypatch.setattr(fast_decoder, "_MAX_CONTINUATIONS", 0)
    assert decoder.decode(audio, beam_size=5, committed=committed).text == ""  # the failure it guards against


class _ScriptedDictation(StreamingDictation):
    """Partial decodes say what ``script`` lists, in turn (the last one from then on): no model."""

    def __init__(self, script: list[list[str]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.script = script
        self.committed_seen: list[str] = []

    def _decode(self, start: int, end: int, beam_size: int, prompt: bool = True,
                revisable: bool = False) -> list[str]:
        words = self.script[min(self.decodes, len(self.script) - 1)]
        self.decodes += 1
        return list(words)

    def feed(self, samples) -> None:
        super().feed(samples)
        self.committed_seen.append(self.committed_text)


def test_a_wider_agreement_gap_does_not_commit_a_mishearing_two_close_decodes_share(recognizer, clips) -> None:
    # The word being spoken is misheard by two partials 0.3 s apart, then heard right: with
    # agreement between neighbouring decodes (the default) "birds" is committed; with decodes
    # 0.6 s apart it is not.
    script = [["The", "birds"], ["The", "birds", "can"], ["The", "birch", "canoe"], ["The", "birch", "canoe", "slid"]]
    audio = clips["jfk"][0][: 16000 * 3]

    def run(**options) -> _ScriptedDictation:
        dictation = _ScriptedDictation(script, recognizer, lambda event: None, **options)
        for start in range(0, len(audio), BLOCK):
            dictation.feed(audio[start : start + BLOCK])
        return dictation

    assert not any("birds" in text for text in run(agreement_gap=0.6).committed_seen)
    assert any(text.startswith("The birch") for text in run(agreement_gap=0.6).committed_seen)
    assert any("birds" in text for text in run().committed_seen)  # neighbours agreed


def test_a_final_corrects_committed_preview_words_the_whole_utterance_hears_better(recognizer, clips) -> None:
    # 0.25 s pauses set: partials heard the utterance's first words with little audio after them
    # and committed "The bridge canoe slid on the smooth"; a decode of the whole utterance with
    # nothing forced says "birch" and the model is surer of it than of the forced text.
    audio, _reference = clips["speechbrain_example1"]
    decoder = ShortContextDecoder(recognizer, language="en")
    wrong = "The bridge canoe slid on the smooth"
    forced = decoder.decode(audio, committed=wrong)
    assert not forced.revised and "birch" not in forced.text
    revised = decoder.decode(audio, committed=wrong, revisable=True)
    assert revised.revised and normalise(revised.text) == "the birch canoe slid on the smooth planks"
    # Committed words the model agrees with stay, and the decode goes on after them.
    right = "And so my fellow Americans, ask not"
    kept = decoder.decode(clips["jfk"][0], committed=right, revisable=True)
    assert not kept.revised and normalise(kept.text).startswith("what your country")


def test_only_preview_words_are_revised_never_a_final(recognizer, clips) -> None:
    audio, _reference = clips["speechbrain_example1"]
    events: list[DictationEvent] = []
    dictation = StreamingDictation(recognizer, events.append, partials=False)
    dictation.feed(np.concatenate([clips["jfk"][0][: 16000 * 3], silence(1.0)]))
    first_final = [event.text for event in events if event.kind == "final"]
    assert first_final and normalise(first_final[0]).startswith("and so")
    dictation.feed(audio)
    assert dictation.in_utterance
    dictation._committed = "The bridge canoe slid on the smooth".split()  # what the previews settled
    dictation.finish()
    texts = [event.text for event in events if event.kind == "final"]
    assert texts[0] == first_final[0]  # an earlier final is never touched
    assert normalise(texts[-1]) == "the birch canoe slid on the smooth planks"
    # Switched off, the final keeps the committed words.
    events.clear()
    dictation = StreamingDictation(recognizer, events.append, partials=False, revise_committed=False)
    dictation.feed(audio)
    dictation._committed = "The bridge canoe slid on the smooth".split()
    dictation.finish()
    assert normalise(finals(events)).startswith("the bridge canoe")
