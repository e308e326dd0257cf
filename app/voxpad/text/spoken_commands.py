"""Spoken punctuation and dictation commands: "comma", "new paragraph", "scratch that", …

Pure functions on the text of one final utterance; the window applies the result.

The rule that keeps ordinary words ordinary: a command phrase counts only when it stands
alone, i.e.

* it ends at a pause: it is the last word(s) of the utterance, or Whisper put punctuation
  right after it ("Hello comma, how are you" – Whisper marks the pause the speaker made), or
  another command follows it ("full stop new paragraph"); "new line"/"new paragraph" right
  after a command that fired need no pause of their own ("Dear Anna colon new line Thanks");
* it is a word of its own: "comma-separated" is not "comma";
* no article or possessive comes right before it ("a period", "the colon", "this full stop",
  "my new line" are things being talked about, not commands).

Said without a pause ("Hello comma how are you", which Whisper may write with no
punctuation near "comma"), a phrase also fires when the words around it make the ordinary
noun unlikely: the next word opens a clause (a pronoun, conjunction or question word:
"how", "and", "I", "thanks"…), no article or possessive is among the two words before it
("the Oxford comma but") and no preposition right before it ("split on comma and trim").
That rule is deliberately narrow: a missed command only costs the speaker a pause, while a
command firing on an ordinary word silently corrupts the text. It can still misfire on
e.g. "I use comma and semicolon"; saying "a comma" or "commas" keeps the word.

So "a comma-separated list", "the period of time", "the colon is part of the gut" and
"I waited for a period." all stay as spoken, while "Dear Anna colon", "Thanks full stop"
and "Hello comma how are you" turn into punctuation. Capitals follow sentence ends the commands create, and no space is
left before punctuation or after a line break.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxpad.text.joining import _COMMON_SENTENCE_STARTERS, join_dictation

# Phrase (as normalised words) -> what it inserts. Longest phrases are tried first.
_PUNCTUATION = {
    ("comma",): ",",
    ("full", "stop"): ".",
    ("period",): ".",
    ("question", "mark"): "?",
    ("exclamation", "mark"): "!",
    ("exclamation", "point"): "!",
    ("colon",): ":",
    ("semicolon",): ";",
    ("new", "line"): "\n",
    ("new", "paragraph"): "\n\n",
}
_SCRATCH = ("scratch", "that")
_STOP = ("stop", "dictating")
_PHRASES = sorted([*_PUNCTUATION, _SCRATCH, _STOP], key=len, reverse=True)

_DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their one each every per any no another".split())
# Words before which a clause starts: after a command said without a pause, these tell the
# command from the noun ("Hello comma how are you" vs "comma separated values").
_CLAUSE_OPENERS = frozenset(
    """i i'm i'll i've i'd you you're we we're they they're he she it it's there here how what
    when where why who which and but or so because then please thanks thank yes no well if
    although though however let's dear""".split())
_PREPOSITIONS = frozenset(
    """by with without on in at of for to from into onto after before between than like as
    about per via""".split())
_SENTENCE_END = ".?!"
_TRAILING_PUNCTUATION = ".,;:!?…"


@dataclass(frozen=True)
class CommandResult:
    """What one utterance means once commands are applied.

    ``text`` is to be inserted (it may start with punctuation or a line break, which the
    joiner attaches to what is before). ``scratch_previous``: the utterance began with
    "scratch that", so the previous utterance is to be removed. ``stop``: "stop dictating".
    """

    text: str
    scratch_previous: bool = False
    stop: bool = False


def _core(word: str) -> str:
    """The word without surrounding punctuation, lower case; hyphenated words stay whole."""
    return word.strip("\"'“”‘’()[],.;:!?…").lower()


def _ends_at_pause(words: list[str], end: int) -> bool:
    """True if the phrase whose last word is ``words[end - 1]`` is followed by a pause or a command."""
    if end == len(words):
        return True
    if words[end - 1].rstrip("\"'”’)")[-1:] in _TRAILING_PUNCTUATION:
        return True
    return _phrase_at(words, end) is not None


def _said_as_command(words: list[str], start: int, end: int, phrase: tuple[str, ...]) -> bool:
    """For a punctuation phrase at words[start:end] with no pause marked after it: do its neighbours say "command"?

    Only when a clause clearly starts after it and nothing before it makes it a noun being
    talked about (see the module docstring).
    """
    if phrase not in _PUNCTUATION:
        return False  # "scratch that", "stop dictating": actions need a pause ("never stop dictating when …")
    if end >= len(words) or _core(words[end]) not in _CLAUSE_OPENERS:
        return False
    before = [_core(word) for word in words[max(0, start - 2):start]]
    if any(word in _DETERMINERS for word in before):
        return False
    return not (before and before[-1] in _PREPOSITIONS)


def _phrase_at(words: list[str], start: int) -> tuple[str, ...] | None:
    cores = [_core(word) for word in words[start:start + 2]]
    for phrase in _PHRASES:
        if tuple(cores[: len(phrase)]) == phrase and all("-" not in words[start + i] for i in range(len(phrase))):
            return phrase
    # Whisper sometimes hyphenates a two-word command ("It works full-stop, it really does").
    if cores and tuple(cores[0].split("-")) in _PHRASES and len(cores[0].split("-")) == 2:
        return tuple(cores[0].split("-"))
    return None


def _span(words: list[str], start: int, phrase: tuple[str, ...]) -> int:
    """How many of ``words`` from ``start`` the phrase takes: one if Whisper hyphenated it."""
    return 1 if "-" in _core(words[start]) else len(phrase)


def apply_spoken_commands(utterance: str) -> CommandResult:
    """Turn the command phrases in one final utterance into punctuation and actions."""
    words = utterance.split()
    pieces: list[str] = []  # words and punctuation, joined later
    scratch_previous = False
    stop = False
    index = 0
    fired_until = -1  # where the last command that fired ended
    while index < len(words):
        phrase = _phrase_at(words, index)
        end = index + _span(words, index, phrase) if phrase else index
        previous_core = _core(words[index - 1]) if index else ""
        # A line break right after another command needs no pause of its own ("colon new line").
        chained = fired_until == index and phrase in (("new", "line"), ("new", "paragraph"))
        if phrase and previous_core not in _DETERMINERS and (
                chained or _ends_at_pause(words, end) or _said_as_command(words, index, end, phrase)):
            fired_until = end
            if phrase == _SCRATCH:
                if pieces:
                    pieces = []  # scratch what this utterance said so far
                else:
                    scratch_previous = True
            elif phrase == _STOP:
                stop = True
            else:
                _attach(pieces, _PUNCTUATION[phrase])
            index = end
            continue
        pieces.append(words[index])
        index += 1
    return CommandResult(_render(pieces), scratch_previous, stop)


def _attach(pieces: list[str], mark: str) -> None:
    """Put ``mark`` after the last word, replacing the punctuation Whisper gave it at the pause."""
    if mark.startswith("\n"):
        if pieces and not pieces[-1].startswith("\n"):
            pieces[-1] = pieces[-1].rstrip(",")  # a pause comma before a line break is noise
        pieces.append(mark)
        return
    if pieces and not pieces[-1].startswith("\n"):
        pieces[-1] = pieces[-1].rstrip(_TRAILING_PUNCTUATION) + mark
    else:
        pieces.append(mark)


def _render(pieces: list[str]) -> str:
    """Join words and marks: no space before punctuation or around line breaks; capitals after sentence ends."""
    out = ""
    capital_next = False
    for piece in pieces:
        if piece.startswith("\n"):
            out = out.rstrip(" ") + piece
            capital_next = True
            continue
        if piece[0] in _TRAILING_PUNCTUATION:  # a mark with no word before it in this utterance
            out = out.rstrip(" ") + piece
            capital_next = piece[-1] in _SENTENCE_END
            continue
        word = piece
        if capital_next:
            word = word[0].upper() + word[1:]
        elif out and out[-1] not in _SENTENCE_END + "\n" and _plain_capitalised(word) \
                and out.rstrip()[-1:] not in _SENTENCE_END:
            # Whisper capitalised after the pause it heard at the command: mid-sentence it is wrong.
            previous = out.rstrip()
            if previous and previous[-1] in ",;:":
                word = word[0].lower() + word[1:]
        if out and not out.endswith("\n"):
            out += " "
        out += word
        capital_next = word.rstrip("\"'”’)")[-1:] in _SENTENCE_END
    return out


def _plain_capitalised(word: str) -> bool:
    core = word.strip(_TRAILING_PUNCTUATION)
    return len(core) > 1 and core[0].isupper() and core[1:].islower() and core.lower() in _COMMON_SENTENCE_STARTERS



def join_spoken(before: str, text: str, after: str = "") -> str:
    """Like join_dictation, but keeps the line breaks that "new line"/"new paragraph" produced."""
    if "\n" not in text:
        return join_dictation(before, text, after)
    lines = text.split("\n")
    head = join_dictation(before, lines[0], "") if lines[0].strip() else ""
    rest = "\n".join(line.strip() for line in lines[1:])
    piece = head.rstrip(" ") + "\n" + rest
    if rest and after and not after[0].isspace() and after[0] not in _TRAILING_PUNCTUATION:
        piece += " "
    return piece
