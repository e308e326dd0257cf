"""Joining dictated text into a document: spacing and capitals that read naturally.

Whisper returns each utterance as a small sentence (" hello world."). Inserted at a
cursor it must fit what is around it: a space after a word but not after a newline or
an opening bracket, a capital at the start of a sentence, no space before punctuation.
"""

from __future__ import annotations

_SENTENCE_ENDS = ".!?"
_NO_SPACE_AFTER = "([{“‘/\n\t-"
_STRAIGHT_QUOTES = "\"'"
_NO_SPACE_BEFORE = ".,;:!?)]}\"'”’%"


def _starts_sentence(before: str) -> bool:
    stripped = before.rstrip(" \t")
    if not stripped or stripped.endswith("\n"):
        return True
    core = stripped.rstrip("\"'”’)")
    return not core or core[-1] in _SENTENCE_ENDS


def join_dictation(before: str, text: str, after: str = "") -> str:
    """The text to insert between ``before`` and ``after`` so the result reads naturally.

    ``before``/``after`` are the document text around the cursor (a few characters are
    enough). Returns the string to insert, including any leading/trailing space.
    """
    text = " ".join(text.split())
    if not text:
        return ""
    if _starts_sentence(before):
        text = text[0].upper() + text[1:]
    elif text[0].isupper() and _is_plain_capitalised_word(text):
        # Whisper capitalises every utterance; mid-sentence that capital is wrong,
        # except for "I" and words that are always capitalised (kept: cannot know them).
        text = text[0].lower() + text[1:]
    needs_space_before = bool(before) and before[-1] not in _NO_SPACE_AFTER and not before[-1].isspace()
    if before[-1:] and before[-1] in _STRAIGHT_QUOTES and (len(before) == 1 or before[-2].isspace()):
        needs_space_before = False  # an opening straight quote: the text goes right after it
    if text[0] in _NO_SPACE_BEFORE:
        needs_space_before = False
    if needs_space_before:
        text = " " + text
    if after and not after[0].isspace() and after[0] not in _NO_SPACE_BEFORE:
        text += " "
    return text


def _is_plain_capitalised_word(text: str) -> bool:
    """True for "Hello ..." but not "I ...", "I'm", acronyms like "NASA" or names we cannot judge."""
    first = text.split(" ", 1)[0].strip(",.;:!?")
    if first in ("I",) or first.startswith("I'"):
        return False
    return len(first) > 1 and first[1:].islower() and first.lower() in _COMMON_SENTENCE_STARTERS


# Words Whisper capitalises only because they open its utterance. Lower-casing only these
# keeps proper nouns ("Paris", "Anna") intact when a dictation continues a sentence.
_COMMON_SENTENCE_STARTERS = frozenset(
    """a an and the but or so then this that these those it its we you he she they
    there here what when where which who why how if because also as at by for from in
    into of on to with my your our their his her is are was were be been have has had
    do does did can could will would should may might must not no yes well now just
    please thanks thank okay ok let lets let's i'll i'm after before while until""".split()
)
