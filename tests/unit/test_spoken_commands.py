"""Spoken punctuation and commands: they fire when said as commands, never on ordinary use."""

from __future__ import annotations

import pytest

from voxpad.text.joining import join_dictation
from voxpad.text.spoken_commands import CommandResult, apply_spoken_commands, join_spoken


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        # At the end of the utterance, or where Whisper marked the pause with punctuation.
        ("Hello comma, how are you question mark", "Hello, how are you?"),
        ("Thanks full stop.", "Thanks."),
        ("It ends here period. Then it goes on.", "It ends here. Then it goes on."),
        ("That is great exclamation mark", "That is great!"),
        ("Watch out exclamation point", "Watch out!"),
        ("Dear Anna colon", "Dear Anna:"),
        ("Hello. Comma. How are you?", "Hello, how are you?"),
        # Line breaks: no space around them, a capital after them.
        ("Dear Anna colon new line thanks for the letter full stop", "Dear Anna:\nThanks for the letter."),
        ("That is great exclamation mark new paragraph Next point.", "That is great!\n\nNext point."),
        ("First point full stop new paragraph second point", "First point.\n\nSecond point"),
        # A capital after a sentence end the user spoke, lower case after a spoken comma.
        ("it works full stop. it really does", "it works. It really does"),  # the first word: the joiner's job
        ("Yes comma. And then we left.", "Yes, and then we left."),
    ],
)
def test_commands_become_punctuation(spoken: str, written: str) -> None:
    assert apply_spoken_commands(spoken) == CommandResult(written)


@pytest.mark.parametrize(
    "ordinary",
    [
        "We need a comma-separated list.",
        "The period of time was long.",
        "I waited for a period.",
        "Put a colon there.",
        "The colon is part of the gut.",
        "Start a new line of products.",
        "She asked a question mark would fit.",
        "His full stop was late.",
        # Said without a pause, the neighbours decide: a noun being talked about stays.
        "We need a comma separated list.",  # an article before it (and Whisper dropped the hyphen)
        "Comma separated values are common.",  # no clause starts after it
        "I like the Oxford comma but she does not.",  # an article two words before
        "Split the text on comma and trim it.",  # a preposition right before
        "I waited for a long period and then left.",
        "We need new line items.",
        "Never stop dictating when you can.",  # actions always need a pause
        "Scratch that and go on.",
        "He came to a full-stop.",  # hyphenated, with an article: still the noun
    ],
)
def test_ordinary_use_of_the_words_stays(ordinary: str) -> None:
    assert apply_spoken_commands(ordinary) == CommandResult(ordinary)


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        # "Hello comma how are you" said without a pause: Whisper may write "comma" as a plain
        # word, with or without punctuation on either side of it.
        ("Hello comma how are you?", "Hello, how are you?"),
        ("Hello comma, how are you?", "Hello, how are you?"),
        ("Hello, comma, how are you?", "Hello, how are you?"),
        ("Hello, comma how are you?", "Hello, how are you?"),
        ("Hello comma How are you?", "Hello, how are you?"),
        ("Apples comma and pears.", "Apples, and pears."),
        ("It works full stop it really does.", "It works. It really does."),
        ("Dear Anna new line thanks for the letter.", "Dear Anna\nThanks for the letter."),
        ("Are you there question mark I am waiting.", "Are you there? I am waiting."),
        # What tiny.en wrote for piper speech of "Hello comma how are you (question mark)" and
        # "It works full stop it really does", said without pauses.
        ("Hello, comma. How are you?", "Hello, how are you?"),
        ("Hello, comma. How are you question mark?", "Hello, how are you?"),
        ("It works full-stop, it really does.", "It works. It really does."),  # Whisper hyphenated it
        ("Dear Anna colon new-line thanks", "Dear Anna:\nThanks"),
    ],
)
def test_commands_said_without_a_pause_fire_before_a_new_clause(spoken: str, written: str) -> None:
    assert apply_spoken_commands(spoken) == CommandResult(written)


def test_scratch_that_alone_removes_the_previous_utterance() -> None:
    assert apply_spoken_commands("Scratch that.") == CommandResult("", scratch_previous=True)


def test_scratch_that_after_words_removes_them_and_keeps_what_follows() -> None:
    result = apply_spoken_commands("I like apples. Scratch that. I like pears.")
    assert result == CommandResult("I like pears.")


def test_stop_dictating_stops_and_keeps_the_words_before_it() -> None:
    assert apply_spoken_commands("Stop dictating.") == CommandResult("", stop=True)
    assert apply_spoken_commands("That's all for today. Stop dictating.") == CommandResult(
        "That's all for today.", stop=True)
    assert apply_spoken_commands("Never stop dictating your notes.").stop is False


def test_result_joins_into_a_document_without_space_before_punctuation() -> None:
    # A command alone in its utterance inserts just the mark, glued to the text before it.
    assert apply_spoken_commands("Comma.").text == ","
    assert join_dictation("Dear Anna", apply_spoken_commands("Comma.").text) == ","
    assert join_spoken("Dear Anna:", apply_spoken_commands("new line").text) == "\n"
    assert join_spoken("Dear Anna", apply_spoken_commands("colon new line thanks").text) == ":\nThanks"
    assert join_spoken("End.", "new paragraph") == " New paragraph"  # commands are applied before joining
    assert apply_spoken_commands("Question mark").text == "?"


def test_empty_and_plain_text_pass_through() -> None:
    assert apply_spoken_commands("") == CommandResult("")
    assert apply_spoken_commands("Just some words.") == CommandResult("Just some words.")
