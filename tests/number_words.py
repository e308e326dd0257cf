"""Numbers written the same way on both sides of a TTS -> ASR comparison.

Whisper writes what it hears as "9" or "nine", "3rd" or "third", "10:30" or "ten thirty",
as its training data happened to; neither is a recognition error. ``spell_numbers`` turns
every written number into words, applied to the reference and to what was heard alike,
so the word error rate counts only words that were heard wrong.
"""

from __future__ import annotations

import re

from speech_metrics import wer

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"))
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:(st|nd|rd|th)\b|[:.](\d\d)\b)?")
_MONEY = re.compile(r"[$£€](\d[\d,]*)")
_CURRENCIES = {"$": "dollars", "£": "pounds", "€": "euros"}


def cardinal(n: int) -> str:
    """Any whole number up to billions in words: 2019 -> "two thousand nineteen"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (" " + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + (" " + cardinal(rest) if rest else "")
    for size, name in _SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            return cardinal(high) + " " + name + (" " + cardinal(rest) if rest else "")
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    words = cardinal(n).split()
    last = words[-1]
    if last in _ORDINALS:
        words[-1] = _ORDINALS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _year_words(n: int) -> str:
    """How a four-digit year is said: 1984 -> "nineteen eighty four"."""
    century, rest = divmod(n, 100)
    if 2000 <= n < 2010 or rest == 0:
        return cardinal(n) if rest else cardinal(century) + " hundred"
    return cardinal(century) + (" oh " + _ONES[rest] if rest < 10 else " " + cardinal(rest))


def spell_numbers(text: str) -> str:
    """``text`` with digits in words; years 1100-2099 as years are said ("nineteen eighty four")."""

    def say(match: re.Match[str]) -> str:
        digits, suffix, minutes = match.groups()
        n = int(digits.replace(",", ""))
        if suffix:
            return ordinal(n)
        if minutes is not None:  # a time, "10:30" (Whisper also writes "10.30")
            m = int(minutes)
            return cardinal(n) + ("" if m == 0 else " oh " + _ONES[m] if m < 10 else " " + cardinal(m))
        if len(digits) == 4 and 1100 <= n <= 2099 and n % 1000 >= 10:
            return _year_words(n)
        return cardinal(n)

    text = _MONEY.sub(lambda m: f"{m.group(1)} {_CURRENCIES[m.group()[0]]}", text)  # "$25": "25 dollars"
    return _NUMBER.sub(say, text).replace("-", " ")


def spoken_wer(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate with numbers spelt out on both sides (then the usual normalisation)."""
    return wer([spell_numbers(r) for r in references], [spell_numbers(h) for h in hypotheses])
