"""What a person means, as text for the voice: markup dropped, links and dates said naturally.

The voice would otherwise spell out "**", "https://…" or "- " symbol by symbol. Each
rewrite remembers where its words came from, so the word being spoken can still be
highlighted at its place in the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ("January February March April May June July August September October "
           "November December").split()
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_ENDINGS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                    "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}

# Abbreviations espeak reads letter by letter or not at all; matched case-sensitively.
_ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately", "Dr.": "Doctor", "Prof.": "Professor", "St.": "Saint",
    "Jan.": "January", "Feb.": "February", "Aug.": "August", "Sept.": "September",
    "Oct.": "October", "Nov.": "November", "Dec.": "December", "No.": "number",
}

# Each rule: a pattern and how to say a match (a string, or a function of the match).
# Order matters: code before everything (its symbols are not markup), links before URLs.
_FENCED_CODE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\s]+\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_LINE_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+•◦▪][ \t]+|\d+[.)][ \t]+|- \[[ xX]\][ \t]+)", re.M)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_TABLE_BAR = re.compile(r"[ \t]*\|[ \t]*")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR = re.compile(r"(?<![\d,.$£€])\b(1[1-9]\d\d|20\d\d)\b(?!\d|[.,]\d|%)")
_ABBREVIATION = re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?!\w)")
_AMPERSAND = re.compile(r"(?<=\s)&(?=\s)")


@dataclass(frozen=True)
class ReadingText:
    """Text to speak, and for each of its characters the document range it stands for."""

    spoken: str
    sources: list[tuple[int, int]]  # per spoken character: (start, end) in the original

    def source_range(self, start: int, end: int) -> tuple[int, int]:
        """The original range that spoken characters ``start..end`` came from."""
        if not self.sources:
            return 0, 0
        start = min(max(start, 0), len(self.sources) - 1)
        end = min(max(end, start + 1), len(self.sources))
        pieces = self.sources[start:end]
        return min(p[0] for p in pieces), max(p[1] for p in pieces)


def prepare_for_reading(text: str) -> ReadingText:
    """``text`` as a person would read it aloud, mapped back to ``text``'s offsets."""
    spoken: list[str] = []
    sources: list[tuple[int, int]] = []
    for start, end, replacement in _rewrites(text):
        if replacement is None:  # kept as typed: each character maps to itself
            spoken.extend(text[start:end])
            sources.extend((i, i + 1) for i in range(start, end))
        else:
            spoken.extend(replacement)
            sources.extend([(start, end)] * len(replacement))
    return ReadingText("".join(spoken), sources)


def _rewrites(text: str) -> list[tuple[int, int, str | None]]:
    """The text cut into kept pieces (None) and replaced pieces, in order, covering it all."""
    edits: list[tuple[int, int, str]] = []  # non-overlapping (start, end, replacement)
    taken = bytearray(len(text))

    def claim(start: int, end: int, replacement: str) -> None:
        if any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        edits.append((start, end, replacement))

    for match in _FENCED_CODE.finditer(text):
        claim(match.start(), match.end(), "Code block.")
    for match in _INLINE_CODE.finditer(text):
        # The code itself is usually a word or a command worth hearing; the ticks are not.
        claim(match.start(), match.start(1), "")
        claim(match.end(1), match.end(), "")
    for match in _IMAGE.finditer(text):
        claim(match.start(), match.end(), f"Image: {match.group(1)}." if match.group(1) else "Image.")
    for match in _LINK.finditer(text):
        claim(match.start(), match.start(1), "")
        claim(match.end(1), match.end(), "")
    for match in _URL.finditer(text):
        claim(match.start(), match.end(), f"link to {_site(match.group())}")
    for match in _RULE.finditer(text):
        claim(match.start(), match.end(), "")
    for match in _LINE_MARKUP.finditer(text):
        marker = match.group().strip()
        # A numbered item keeps its number ("1."), which is worth hearing; bullets go.
        claim(match.start(), match.end(), marker + " " if marker[:1].isdigit() else "")
    for match in _EMPHASIS.finditer(text):
        claim(match.start(), match.start(2), "")
        claim(match.end(2), match.end(), "")
    for match in _TABLE_BAR.finditer(text):
        line_has_table = text.count("|", text.rfind("\n", 0, match.start()) + 1,
                                    _line_end(text, match.start())) >= 2
        if line_has_table:
            claim(match.start(), match.end(), ", ")
    for match in _ISO_DATE.finditer(text):
        said = _say_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if said:
            claim(match.start(), match.end(), said)
    for match in _ABBREVIATION.finditer(text):
        claim(match.start(), match.end(), _ABBREVIATIONS[match.group()])
    for match in _YEAR.finditer(text):
        if _looks_like_year(text, match.start()):
            claim(match.start(), match.end(), _say_year(int(match.group())))
    for match in _AMPERSAND.finditer(text):
        claim(match.start(), match.end(), "and")

    edits.sort()
    pieces: list[tuple[int, int, str | None]] = []
    position = 0
    for start, end, replacement in edits:
        if start > position:
            pieces.append((position, start, None))
        pieces.append((start, end, replacement))
        position = end
    if position < len(text):
        pieces.append((position, len(text), None))
    return pieces


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _site(url: str) -> str:
    """The part of a URL a person would say: its host without "www."."""
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/")[0].split("?")[0]
    return host or url


def _looks_like_year(text: str, start: int) -> bool:
    """A four-digit number read as a year: after a month, "in", "since", "of" and the like."""
    before = text[max(0, start - 16):start].lower()
    return bool(re.search(r"(?:\b(?:in|since|by|of|from|until|to|year|during|before|after)|"
                          r"\b[a-z]+ \d{1,2}(?:st|nd|rd|th)?,?|[a-z]{3,}\.?) $", before)) and \
        not re.search(r"\b(?:costs?|pay|paid|number|no\.|page|room|pin|code)\s*$", before)


def _number_words(n: int) -> str:
    """0..99 in words."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("-" + _ONES[ones] if ones else "")


def _ordinal(n: int) -> str:
    words = _number_words(n)
    last = words.split("-")[-1]
    if last in _ORDINAL_ENDINGS:
        said = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        said = last[:-1] + "ieth"
    else:
        said = last + "th"
    return words[: len(words) - len(last)] + said


def _say_year(year: int) -> str:
    """1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 2024 -> "twenty twenty-four"."""
    century, rest = divmod(year, 100)
    if 2000 <= year < 2010:
        return "two thousand" + (" " + _ONES[rest] if rest else "")
    if rest == 0:
        return _number_words(century) + " hundred"
    if rest < 10:
        return _number_words(century) + " oh " + _ONES[rest]
    return _number_words(century) + " " + _number_words(rest)


def _say_date(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{_MONTHS[month - 1]} {_ordinal(day)}, {_say_year(year)}"
