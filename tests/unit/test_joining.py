"""Dictated text joins the document as a person would have typed it."""

import pytest

from voxpad.text.joining import join_dictation


@pytest.mark.parametrize(
    ("before", "text", "after", "expected"),
    [
        ("", " hello world.", "", "Hello world."),
        ("First sentence.", " Second one.", "", " Second one."),
        ("First sentence.", "second one.", "", " Second one."),
        ("I went to", " The shop.", "", " the shop."),
        ("I went to", " Paris.", "", " Paris."),
        ("Dear Anna,\n", "thanks for the note.", "", "Thanks for the note."),
        ("Is it done? ", "yes.", "", "Yes."),
        ("(", "see above", "", "see above"),
        ("She wrote \"", "hello", "", "hello"),
        ("word", "  ", "", ""),
        ("and then", " I think so", "", " I think so"),
        ("", "hello", "world", "Hello "),
        ("", "hello", ".", "Hello"),
        ("He said \"Done.\"", " then left.", "", " Then left."),
        ("It costs", " 5 euros.", "", " 5 euros."),
    ],
)
def test_join_dictation(before, text, after, expected):
    assert join_dictation(before, text, after) == expected


def test_whitespace_inside_dictation_is_collapsed():
    assert join_dictation("", "one   two\tthree") == "One two three"
