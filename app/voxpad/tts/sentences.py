"""Split a document into the sentences read-aloud speaks one at a time.

Each span keeps its character offsets into the original text so the UI can highlight the
sentence being spoken. Spans are short on purpose: synthesis time grows with length, and
the reader must start sounding within a fraction of a second whatever the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longest span handed to the synthesiser; longer sentences are cut at a clause boundary.
# ~300 characters is ~18 s of speech and ~1 s of synthesis on a slow machine.
MAX_SPAN_CHARS = 300

# Words whose trailing "." never ends a sentence: they announce the word that follows.
_TITLES = frozenset(
    """mr mrs ms mx dr prof rev fr sr st mt gen col capt cpt lt sgt cmdr adm gov sen rep
    hon pres supt vs cf fig figs no nos vol vols ch sec pp approx ca est dept univ ave
    blvd rd jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# Abbreviations that may end a sentence: split only when a capitalised word follows.
_ENDABLE_ABBREVIATIONS = frozenset("etc inc ltd co corp jr bros al".split())

# A terminator run (., !, ?, …, or several), any closing quotes/brackets after it, then
# whitespace or the end of the text.
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)")
_VISIBLE = re.compile(r"\S")
# Two or more line breaks (with only spaces between) start a new paragraph.
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# Inside an over-long sentence, the places a speaker would naturally pause, best first.
_CLAUSE_BREAKS = (
    re.compile(r"[;:—–](?=\s)|\s[—–](?=\s)"),
    re.compile(r",(?=\s)"),
    re.compile(r"\s"),
)


@dataclass(frozen=True)
class SentenceSpan:
    """One piece of text to speak: ``text == document[start:end]``."""

    text: str
    start: int
    end: int

    def shifted(self, offset: int) -> SentenceSpan:
        """The same span with offsets moved by ``offset`` (text taken from a larger document)."""
        return SentenceSpan(self.text, self.start + offset, self.end + offset)


def split_sentences(text: str, max_chars: int = MAX_SPAN_CHARS) -> list[SentenceSpan]:
    """Split ``text`` into sentence spans in reading order, skipping ones with nothing to say."""
    spans: list[SentenceSpan] = []
    for start, end in _sentence_bounds(text):
        for piece_start, piece_end in _limit_length(text, start, end, max_chars):
            span = _trimmed(text, piece_start, piece_end)
            if span is not None:
                spans.append(span)
    return spans


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, untrimmed, covering the text in order."""
    cuts = {0, len(text)}
    for match in _PARAGRAPH.finditer(text):
        cuts.add(match.start())
    for match in re.finditer(r"\n", text):
        if _line_break_ends_sentence(text, match.start()):
            cuts.add(match.start())
    for match in _TERMINATOR.finditer(text):
        if _terminator_ends_sentence(text, match.start(), match.end()):
            cuts.add(match.end())
    ordered = sorted(cuts)
    return list(zip(ordered, ordered[1:]))


def _line_break_ends_sentence(text: str, index: int) -> bool:
    """A single line break ends a sentence unless it is a wrap in the middle of one.

    Lists and headings rarely carry punctuation, so a line break is a boundary; but
    hard-wrapped prose continues on the next line with a lower-case word.
    """
    following = _next_visible(text, index + 1)
    preceding = _previous_visible(text, index)
    if not following or not preceding:
        return True
    continues = following.islower() and (preceding.isalnum() or preceding in ",;:-")
    return not continues


def _terminator_ends_sentence(text: str, start: int, end: int) -> bool:
    punctuation = text[start:end].rstrip("\"'”’»)]")
    following = _next_visible(text, end)
    if not following:
        return True
    if punctuation[-1] in "!?":
        return True
    # Only "." and "…" are ambiguous: abbreviations, initials, and trailing-off speech.
    if following.islower():
        return False
    if punctuation != ".":
        return True
    word = _word_before(text, start)
    lower = word.lower()
    if lower in _TITLES:
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        return False  # an initial: "J. R. R. Tolkien"
    if "." in word:
        return False  # dotted abbreviations: "e.g.", "U.S."
    if lower in _ENDABLE_ABBREVIATIONS:
        return following.isupper()
    return True


# The neighbours of a boundary are found by searching, never by slicing the rest of the
# text, so splitting stays linear in the document's length.
def _next_visible(text: str, index: int) -> str:
    """The first non-space character at or after ``index``, or ""."""
    match = _VISIBLE.search(text, index)
    return match.group() if match else ""


def _previous_visible(text: str, index: int) -> str:
    """The last character before ``index`` that is not a space, tab or carriage return, or ""."""
    while index > 0 and text[index - 1] in " \t\r":
        index -= 1
    return text[index - 1] if index > 0 else ""


def _word_before(text: str, index: int) -> str:
    """The run of letters and dots ending just before ``index`` (without leading dots)."""
    begin = index
    while begin > 0 and (text[begin - 1].isalpha() or text[begin - 1] == "."):
        begin -= 1
    return text[begin:index].lstrip(".")


def _limit_length(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces of at most ``max_chars``, at the most natural pause."""
    pieces = []
    while end - start > max_chars:
        cut = _best_cut(text, start, start + max_chars)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _best_cut(text: str, start: int, limit: int) -> int:
    # Prefer the last clause break in the window, but not one so early that the piece is
    # a stub (a third of the window); a word break anywhere beats cutting a word.
    floor = start + (limit - start) // 3
    for pattern in _CLAUSE_BREAKS:
        best = None
        for match in pattern.finditer(text, start, limit):
            cut = match.end()
            if cut > floor or pattern is _CLAUSE_BREAKS[-1]:
                best = cut
        if best is not None and best > start:
            return best
    return limit


def _trimmed(text: str, start: int, end: int) -> SentenceSpan | None:
    """The span without surrounding whitespace, or None if it holds nothing speakable."""
    piece = text[start:end]
    stripped_left = len(piece) - len(piece.lstrip())
    stripped_right = len(piece) - len(piece.rstrip())
    start, end = start + stripped_left, end - stripped_right
    if start >= end or not any(char.isalnum() for char in text[start:end]):
        return None
    return SentenceSpan(text[start:end], start, end)
