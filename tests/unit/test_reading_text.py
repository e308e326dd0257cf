"""Text normalisation for reading aloud, and its map back to document offsets."""

from __future__ import annotations

from voxpad.tts.reading_text import prepare_for_reading


def spoken(text: str) -> str:
    return prepare_for_reading(text).spoken


def test_plain_prose_is_unchanged_and_maps_to_itself():
    text = "The train leaves at nine. Bring your ticket!"
    reading = prepare_for_reading(text)
    assert reading.spoken == text
    assert reading.source_range(4, 9) == (4, 9)


def test_markdown_markup_bullets_and_headings_are_not_spoken():
    said = spoken("# Title\n\n- **Bold** and *soft* words\n> quoted ~~gone~~ text\n---\n2. Second")
    assert "#" not in said and "*" not in said and ">" not in said and "~" not in said and "---" not in said
    assert "Title" in said and "Bold and soft words" in said and "2. Second" in said


def test_links_and_urls_are_said_as_a_person_would():
    assert spoken("Read [the guide](https://x.org/guide) now.") == "Read the guide now."
    assert spoken("Go to https://www.example.com/a/b?c=1.") == "Go to link to example.com."


def test_code_blocks_are_summarised_and_inline_code_loses_its_ticks():
    said = spoken("Run this:\n```\nfor i in range(3): print(i)\n```\nThen `make test` works.")
    assert "range" not in said and "Code block." in said and "Then make test works." in said


def test_dates_years_and_abbreviations_read_naturally():
    assert spoken("Due 2024-03-05.") == "Due March fifth, twenty twenty-four."
    assert spoken("Born in 1987, moved in 2005.") == "Born in nineteen eighty-seven, moved in two thousand five."
    assert spoken("It costs 1999 dollars.") == "It costs 1999 dollars."  # a price, not a year
    assert spoken("Fruit, e.g. apples & pears, etc.") == "Fruit, for example apples and pears, et cetera"


def test_rewritten_words_map_back_to_their_source_in_the_document():
    text = "See https://www.example.com/page and **bold** text."
    reading = prepare_for_reading(text)
    start = reading.spoken.index("example.com")
    assert text[slice(*reading.source_range(start, start + 11))] == "https://www.example.com/page"
    start = reading.spoken.index("bold")
    assert text[slice(*reading.source_range(start, start + 4))] == "bold"
