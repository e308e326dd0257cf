"""When each word of a synthesised sentence starts sounding, for word-by-word highlighting.

piper can report how many audio samples each phoneme took (its "alignments"); phonemes
come in words separated by a space phoneme, so a word's first sample is known exactly when
the voice's words and the text's words pair up one to one. Where they do not (a voice
without alignments, or "25" spoken as two words) the sentence's duration is shared out in
proportion to each word's length, which is what most readers do anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A word is a run of non-space characters with at least one letter or digit in it:
# a lone dash or bullet is not spoken, so it gets no highlight either.
_TOKEN = re.compile(r"\S+")
_SPOKEN = re.compile(r"\w")
# Phonemes that are not sounds of a word: sentence start/end marks and punctuation.
_NOT_WORD_PHONEMES = frozenset("^$_.,;:!?¡¿—…\"'()-")


@dataclass(frozen=True)
class TimedWord:
    """A word of the spoken text: characters ``start..end`` begin sounding at ``sample``."""

    start: int
    end: int
    sample: int


def word_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each spoken word in ``text``."""
    return [m.span() for m in _TOKEN.finditer(text) if _SPOKEN.search(m.group())]


def phoneme_word_starts(alignments: Sequence[tuple[str, int]]) -> list[int]:
    """The sample at which each phonemised word starts, from (phoneme, samples) pairs in order."""
    starts: list[int] = []
    position = 0
    in_word = False
    for phoneme, samples in alignments:
        if phoneme == " " or phoneme in "^$":
            in_word = False
        elif phoneme not in _NOT_WORD_PHONEMES and not in_word:
            starts.append(position)
            in_word = True
        position += int(samples)
    return starts


def time_words(text: str, total_samples: int,
               alignments: Sequence[tuple[str, int]] | None = None) -> list[TimedWord]:
    """Each spoken word of ``text`` with the sample at which it starts.

    ``alignments`` are piper's (phoneme, sample count) pairs for the whole of ``text``;
    without them, or when they do not pair up with the words, timing is proportional.
    """
    bounds = word_bounds(text)
    if not bounds:
        return []
    starts = None
    if alignments:
        aligned = phoneme_word_starts(alignments)
        if len(aligned) == len(bounds):
            aligned_total = sum(int(samples) for _, samples in alignments)
            # The model's counts can differ from the audio by a few samples: rescale.
            scale = total_samples / aligned_total if aligned_total else 1.0
            starts = [int(s * scale) for s in aligned]
    if starts is None:
        starts = _proportional_starts(bounds, total_samples)
    return [TimedWord(start, end, sample) for (start, end), sample in zip(bounds, starts)]


def _proportional_starts(bounds: list[tuple[int, int]], total_samples: int) -> list[int]:
    """Share the audio among words by length (+1 for the gap after each word)."""
    weights = [end - start + 1 for start, end in bounds]
    total = sum(weights)
    starts, done = [], 0
    for weight in weights:
        starts.append(int(total_samples * done / total))
        done += weight
    return starts
