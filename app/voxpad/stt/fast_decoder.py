"""Whisper decoding with a short encoder context, for live dictation.

faster-whisper pads every decode to 30 s of features, so even half a second of speech costs
the full 30 s encoder pass (~0.47 s with tiny.en on 2 cores). The CTranslate2 encoder accepts
shorter inputs (whisper.cpp calls this ``audio_ctx``): here the utterance is followed by ~1 s
of silence and padded to at least 8 s, so the encoder costs ~50 ms instead of 470 ms.

Measured on ../shared/testdata/speech (7 clips, WER vs the manifest): faster-whisper 30 s
beam 5: 7.4 %, greedy 11.1 %; this decoder greedy or beam 5: 8.3 % (one word on one clip).
Without the trailing silence tiny.en loops ("… are used. Today, only platforms …", 150 %
WER); with less than ~8 s of context it invents words on the short fragments partials decode.

``committed`` text is forced as the decoder's prefix (LocalAgreement: words that must not
change), and ``previous`` is given as Whisper's previous-text prompt.

Language "auto" (None) with a multilingual model: each decode detects the language from the
encoder output it computes anyway (CTranslate2's detect_language on it is one decoder step,
~25 ms with base, against ~1.1-2.5 s for faster-whisper's own 30 s detection pass), and the
first decode of at least ``detect_seconds`` of audio that is sure enough settles it for every
later decode. At each new utterance (``recheck_language``) its decodes of that length detect
once more until one is sure; two sure detections in a row of the same other language replace
the settled one (a bilingual speaker may change language between sentences). One is not
enough: on espeak's French after 0.37 s of silence, 2 s of audio said "th" at 0.96 and 3 s
"fr". Unsure or short audio keeps the settled language. English-only models (tiny.en) always
decode English and detect nothing.
"""

from __future__ import annotations

import logging
import math
import threading
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE

if TYPE_CHECKING:
    from voxpad.stt.recognizer import SpeechRecognizer

log = logging.getLogger(__name__)

# Same hallucination guards as SpeechRecognizer (see recognizer.py for where they come from).
_NO_SPEECH_PROB = 0.6
_CONFIDENT_LOGPROB = -0.5
_FALLBACK_LOGPROB = -1.0
_MAX_COMPRESSION = 2.4
_FRAMES_PER_SECOND = 100
_MAX_SECONDS = 30.0
# A decode that stops this many seconds before the audio ends left speech undecoded: go on from there.
_UNDECODED_REST = 1.0
_MAX_CONTINUATIONS = 2
# Language detection on the short-context encoder output (base, the 7 English clips, measured):
# on 1 s of audio it said "en" with 0.58-0.99, on 1.5 s once "zh" (0.55, "The birch canoe"),
# from 2 s on "en" with >= 0.98 on every clip (30 s detection: >= 0.93). So a language is
# settled from 2 s of audio when its probability is at least 0.7, and from 4 s whatever it is;
# shorter decodes use what their own audio says.
_DETECT_SECONDS = 2.0
_DETECT_CONFIDENT = 0.7
_DETECT_ANYWAY_SECONDS = 4.0


@dataclass(frozen=True)
class Decoded:
    """One decode of a stretch of audio: the words, and how sure the model was."""

    text: str
    tokens: tuple[int, ...]
    no_speech_prob: float
    avg_logprob: float
    revised: bool = False  # ``text`` replaces the ``committed`` words instead of following them
    language: str | None = None  # what it was decoded as ("en", "de"; None: nothing was decoded)

    @property
    def hallucination(self) -> bool:
        """The model thinks there is no speech and is not confident about the words."""
        return self.no_speech_prob > _NO_SPEECH_PROB and self.avg_logprob < _CONFIDENT_LOGPROB


class ShortContextDecoder:
    """Decodes up to 30 s of 16 kHz audio with the encoder fed only as much as it needs.

    The features are the audio followed by at least ``margin`` seconds of silence, rounded up
    to whole ``pad_to`` seconds. Measured on the speech set: with no margin tiny.en loops
    ("… are used. Today, only platforms …") because it never sees the speech end; with ~1 s of
    silence and timestamp tokens it stops by itself, and text the model places after the
    audio's end is dropped. Below ``min_context`` (8 s) seconds the model loops and invents
    words on the half-second fragments partials decode ("and so, and so, and so"); 8 s of
    context costs ~50 ms of encoder and made such fragments as accurate as a 30 s decode.
    Shares the recognizer's model and lock.

    ``language`` None ("auto") with a multilingual model: detected (see the module docstring);
    :attr:`language` is None until it is settled. English-only models: always "en".
    """

    def __init__(self, recognizer: "SpeechRecognizer", *, margin: float = 1.0, pad_to: float = 1.0,
                 min_context: float = 8.0, language: str | None = None,
                 detect_seconds: float = _DETECT_SECONDS) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        whisper = recognizer.whisper_model
        self._model = whisper.model  # ctranslate2.models.Whisper
        self._features = whisper.feature_extractor
        self._lock: threading.Lock = recognizer.lock
        self._margin = margin
        self._pad_to = pad_to
        self._min_context = min_context
        self.multilingual = bool(self._model.is_multilingual)
        self._hf_tokenizer = whisper.hf_tokenizer
        self._tokenizers: dict[str | None, Tokenizer] = {}
        # The language every decode uses; None: not settled yet, each decode detects it.
        self.language: str | None = (language or None) if self.multilingual else "en"
        self._detecting = self.multilingual and not language  # "auto"
        self._recheck = False  # a new utterance's long-enough decodes detect again
        self._other_language: str | None = None  # a recheck's sure answer, waiting for a second
        self.detect_seconds = detect_seconds
        self._tokenizer = self._tokenizer_for(self.language or "en")  # special tokens, text decoding
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])
        self._timestamp_begin = self._tokenizer.timestamp_begin
        self._eot = self._tokenizer.eot

    def _tokenizer_for(self, language: str):
        from faster_whisper.tokenizer import Tokenizer

        key = language if self.multilingual else None
        if key not in self._tokenizers:
            self._tokenizers[key] = Tokenizer(self._hf_tokenizer, self.multilingual, task="transcribe", language=key)
        return self._tokenizers[key]

    def recheck_language(self) -> None:
        """A new utterance begins: with "auto", check its language once it is long enough to tell."""
        self._recheck = self._detecting and self.language is not None
        self._other_language = None

    def _language_for(self, encoded, duration: float) -> str:
        """The language to decode ``encoded`` in: the settled one, or what detection says."""
        if self.language is not None and not (self._recheck and duration >= self.detect_seconds):
            return self.language
        return self._detect(encoded, duration)

    def _detect(self, encoded, duration: float) -> str:
        """The language of the encoded audio; settles :attr:`language` once the audio says it
        clearly, and changes a settled one on a recheck only for a sure detection."""
        ranked = self._model.detect_language(encoded)[0]
        token, probability = ranked[0]
        detected = token[2:-2]  # "<|de|>"
        if self.language is None:
            if duration >= self.detect_seconds and (probability >= _DETECT_CONFIDENT
                                                    or duration >= _DETECT_ANYWAY_SECONDS):
                self.language = detected
            return detected
        # A recheck. The settled language confirmed: done. Another one, sure: it takes over when
        # the next decode says it again. Unsure: asked again of a longer decode, up to 4 s.
        sure = probability >= _DETECT_CONFIDENT
        if sure and detected != self.language and self._other_language != detected:
            self._other_language = detected
            return self.language
        if sure and detected != self.language:
            log.info("The dictated language changed from %s to %s (p=%.2f).", self.language, detected, probability)
            self.language = detected
        if sure or (duration >= _DETECT_ANYWAY_SECONDS and self._other_language is None):
            self._recheck = False
        if not sure:
            self._other_language = None  # the two sure answers must come in a row
        return self.language

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel features of ``audio`` followed by silence, ``pad_to``-second multiples long."""
        wanted = len(audio) / SAMPLE_RATE + self._margin
        seconds = min(_MAX_SECONDS, max(self._min_context, math.ceil(wanted / self._pad_to - 1e-9) * self._pad_to))
        padded = np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.float32)
        usable = min(len(audio), len(padded))
        padded[:usable] = audio[:usable]
        # Padding the audio (not the features, as faster-whisper does) is what Whisper was trained on.
        features = self._features(padded, padding=0)
        frames = int(round(seconds * _FRAMES_PER_SECOND))
        if features.shape[-1] < frames:
            features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        return np.ascontiguousarray(features[:, :frames], dtype=np.float32)

    def decode(self, audio: np.ndarray, *, beam_size: int = 1, committed: str = "", previous: str = "",
               revisable: bool = False, committed_language: str | None = None,
               previous_language: str | None = None, _depth: int = 0, _language: str | None = None) -> Decoded:
        """The text of ``audio`` after ``committed`` (forced as the start), raw with its leading space.

        ``previous`` is text said just before (the last utterance): given as Whisper's
        previous-text prompt, it helps the first words of a new utterance and its punctuation.

        If the model closes its segment and stops at a timestamp well before the audio ends
        (seen after a long forced prefix: "… bruised potatoes and<|5.00|>" then end of text,
        on a 10 s utterance whose last 5 s were clear speech), the rest is decoded from that
        timestamp on, as Whisper's long-form decoding seeks to its last timestamp, with what
        was said so far as the prompt.

        ``revisable`` (greedy decodes): ``committed`` is only a preview the user has not been
        given as final text, so it may be replaced. The audio is then also decoded with nothing
        forced (same encoder pass, one batched generate), and that decode is kept instead when
        the model is surer of it (higher average log-prob over the whole sequence, both scored
        alike) and it did not stop early; ``Decoded.revised`` then says ``text`` replaces
        ``committed``.
        Partials agreeing on the first words can settle a mishearing made while those words
        were the newest audio ("The bridge canoe" for "The birch canoe"); the whole utterance
        heard at once corrects it.

        ``committed_language`` / ``previous_language``: what those texts were decoded in. When
        this decode is in another language (the speaker changed language), the previous text is
        not given (Whisper translates into the prompt's language: espeak's Spanish came out as
        "Good days, today I want to write a letter…"), and the committed words, previews in the
        old language, are replaced (``Decoded.revised``).
        """
        import ctranslate2

        audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: int(SAMPLE_RATE * (_MAX_SECONDS - self._margin))]
        if audio.size == 0:
            return Decoded("", (), 1.0, 0.0)
        duration = len(audio) / SAMPLE_RATE
        features = self.features(audio)
        # About 5 tokens a second of speech; the cap stops a runaway loop early.
        limit = int(16 + 10 * duration)
        revised = False
        with self._lock:
            encoded = self._model.encode(ctranslate2.StorageView.from_array(features[None]), to_cpu=False)
            language = _language or self._language_for(encoded, duration)
            if previous_language not in (None, language):
                previous = ""
            if committed.strip() and committed_language not in (None, language):
                committed, revised = "", True
            tokenizer = self._tokenizer_for(language)
            prompt = []
            if previous.strip():
                prompt = [tokenizer.sot_prev] + tokenizer.encode(" " + previous.strip())[-64:]
            prompt += list(tokenizer.sot_sequence)
            forced: list[int] = []
            if committed.strip():
                forced = [self._timestamp_begin] + tokenizer.encode(" " + committed.strip())[-200:]
                prompt += forced
            # Greedy only: CTranslate2 returns no per-step logits from beam search to score with.
            if revisable and forced and beam_size == 1:
                free_prompt = prompt[: len(prompt) - len(forced)]
                pair = ctranslate2.StorageView.from_array(np.repeat(np.asarray(encoded), 2, axis=0))
                result, free = self._generate_batch(pair, [prompt, free_prompt], beam_size, limit, logits=True)
                tokens, logprob = self._tokens_and_logprob(result, forced)
                tokens_f, logprob_f = self._tokens_and_logprob(free, [])
                # CTranslate2's scores leave out forced tokens: score both sequences from their logits.
                if (list(free.sequences_ids[0]) != list(result.sequences_ids[0])
                        and _sequence_logprob(free, self._eot) > _sequence_logprob(result, self._eot)
                        and self._stopped_early(tokens_f, duration) is None):
                    result, tokens, logprob = free, tokens_f, logprob_f
                    prompt, forced, committed, revised = free_prompt, [], "", True
            else:
                result = self._generate(encoded, prompt, beam_size, limit)
                tokens, logprob = self._tokens_and_logprob(result, forced)
            text = self._text(tokens, duration)
            # Whisper's own fallback: a repetitive or unsure beam decode is retried greedily.
            if beam_size > 1 and (_compression(text) > _MAX_COMPRESSION or logprob < _FALLBACK_LOGPROB):
                greedy = self._generate(encoded, prompt, 1, limit)
                tokens_g, logprob_g = self._tokens_and_logprob(greedy, forced)
                if logprob_g > logprob:
                    result, tokens, logprob = greedy, tokens_g, logprob_g
                    text = self._text(tokens, duration)
        stopped_at = self._stopped_early(tokens, duration)
        if stopped_at is not None and _depth < _MAX_CONTINUATIONS:
            said = " ".join(part.strip() for part in (committed, text) if part.strip())
            rest = self.decode(audio[int(stopped_at * SAMPLE_RATE):], beam_size=beam_size,
                               previous=said or previous, _depth=_depth + 1, _language=language)
            if any(ch.isalnum() for ch in rest.text) and not rest.hallucination:
                text = text.rstrip() + rest.text if text.strip() else rest.text
                tokens = tokens + list(rest.tokens)
        text = drop_repetition(text, committed)
        if _compression(text) > _MAX_COMPRESSION:
            text = ""  # a loop ("the the the …") is never what was said
        return Decoded(text, tuple(tokens), float(result.no_speech_prob), float(logprob), revised, language)

    def _stopped_early(self, tokens: list[int], duration: float) -> float | None:
        """Where the decode's last timestamp is, if at least ``_UNDECODED_REST`` s of audio lie after it."""
        if not tokens or tokens[-1] < self._timestamp_begin:
            return None  # ended inside a segment: cut by the length limit, or nothing decoded
        at = (tokens[-1] - self._timestamp_begin) * 0.02
        return at if 0 < at <= duration - _UNDECODED_REST else None

    def _text(self, tokens: list[int], duration: float) -> str:
        """Words of the segments that lie within the audio; timestamp tokens dropped."""
        kept: list[int] = []
        segment: list[int] = []
        for token in tokens:
            if token >= self._eot and token < self._timestamp_begin:
                continue  # other special tokens
            if token < self._eot:
                segment.append(token)
                continue
            at = (token - self._timestamp_begin) * 0.02
            if at > duration + 0.3:
                # With a short context the last end time is often late; its words are real,
                # anything after it is not.
                kept += segment
                segment = []
                break
            kept += segment
            segment = []
        kept += segment
        return self._tokenizer.decode(kept)

    def _generate(self, encoded, prompt: list[int], beam_size: int, max_new_tokens: int):
        return self._generate_batch(encoded, [prompt], beam_size, max_new_tokens)[0]

    def _generate_batch(self, encoded, prompts: list[list[int]], beam_size: int, max_new_tokens: int,
                        logits: bool = False):
        return self._model.generate(
            encoded, prompts,
            beam_size=beam_size,
            return_logits_vocab=logits,
            max_length=min(448, max(len(prompt) for prompt in prompts) + max_new_tokens),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )

    @staticmethod
    def _tokens_and_logprob(result, forced: list[int]) -> tuple[list[int], float]:
        tokens = list(result.sequences_ids[0])
        score = result.scores[0] if result.scores else 0.0
        logprob = float(score * len(tokens) / (len(tokens) + 1))
        # CTranslate2 returns the forced prefix as part of the result: keep only what is new.
        if forced and tokens[: len(forced)] == forced:
            tokens = tokens[len(forced):]
        return tokens, logprob


def _sequence_logprob(result, eot: int) -> float:
    """Average log-prob of a result's whole sequence (forced tokens included) and its end of text.

    The first step (the opening timestamp) is left out: when it is forced CTranslate2 reports
    its logits before the timestamp rules apply, which would mark every forced decode down.
    """
    sequence = list(result.sequences_ids[0]) + [eot]
    steps = result.logits[0] if result.logits else []
    values = []
    for step, (token, logits) in enumerate(zip(sequence, steps)):
        if step == 0:
            continue
        row = np.asarray(logits, dtype=np.float32).reshape(-1)
        top = float(row.max())
        values.append(float(row[token]) - top - math.log(float(np.exp(row - top).sum())))
    return sum(values) / len(values) if values else -math.inf


def _word_key(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum() or ch == "'")


def drop_repetition(text: str, committed: str = "") -> str:
    """``text`` cut where it starts repeating four words already said in ``committed`` + ``text``.

    A short context makes Whisper loop ("Americans. And so my fellow Americans."); in real
    dictation the same four words twice within one utterance is rare enough to give up.
    """
    before = committed.split()
    words = text.split()
    keys = [_word_key(w) for w in before + words]
    seen: set[tuple[str, ...]] = set()
    for index in range(len(keys) - 3):
        gram = tuple(keys[index:index + 4])
        if index >= len(before) and gram in seen:
            cut = index - len(before)
            kept = " ".join(words[:cut])
            return (" " + kept) if kept and text[:1].isspace() else kept
        seen.add(gram)
    return text


def _compression(text: str) -> float:
    if not text:
        return 0.0
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data))
