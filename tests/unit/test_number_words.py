"""The TTS -> ASR comparison counts "9" and "nine" as the same word heard."""

from __future__ import annotations

import pytest
from number_words import cardinal, spell_numbers, spoken_wer


@pytest.mark.parametrize("written, said", [
    ("9 in the morning", "nine in the morning"),
    ("up to 10 books", "up to ten books"),
    ("the 3rd floor and the 21st time", "the third floor and the twenty first time"),
    ("at 10:30 and 9:05", "at ten thirty and nine oh five"),
    ("leaves at 7.45", "leaves at seven forty five"),
    ("costs $25 each", "costs twenty five dollars each"),
    ("in 2019 and 1984", "in twenty nineteen and nineteen eighty four"),
    ("2005", "two thousand five"),
    ("1,200 people", "one thousand two hundred people"),
    ("no digits here", "no digits here"),
])
def test_numbers_are_spelt_as_said(written, said):
    assert spell_numbers(written) == said


def test_cardinals():
    assert cardinal(0) == "zero" and cardinal(115) == "one hundred fifteen"
    assert cardinal(3_000_040) == "three million forty"


def test_digits_and_words_compare_equal_both_ways():
    assert spoken_wer(["Opens at nine, ten books."], ["Opens at 9, 10 books."]) == 0
    assert spoken_wer(["Opens at 9."], ["opens at nine"]) == 0
    assert spoken_wer(["Opens at nine."], ["opens at five"]) > 0  # a wrong number is still wrong
