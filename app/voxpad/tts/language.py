"""Which language a text is written in, cheaply enough to ask on every Read.

Used to pick the read-aloud voice, so it only has to tell apart languages piper has voices
for, on a paragraph or more of text. A script check settles the non-Latin alphabets; among
Latin-script languages the most common short words (articles, pronouns, prepositions)
decide: they make up a third of any running text and differ between languages. No
dependency: a trained detector (py3langid, langdetect) would add a model and a package to
bundle for a choice that a few hundred common words make as well on a paragraph.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# How much of the text is looked at: plenty for a decision, and the cost stays flat.
SAMPLE_CHARS = 3000
# The winner needs this many common words and a clear lead over the runner-up, or no answer.
_MIN_HITS = 3
_MIN_LEAD = 1.5

# Letters of a script that only one of piper's languages (or one family) writes.
_SCRIPTS = (
    ("GREEK", "el"), ("ARABIC", "ar"), ("HEBREW", "he"), ("GEORGIAN", "ka"),
    ("DEVANAGARI", "hi"), ("MALAYALAM", "ml"), ("TELUGU", "te"), ("HANGUL", "ko"),
    ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh"),
)

# Frequent words that are rare in the other languages listed (shared ones like "a", "in",
# "de", "la" left out where they would mislead).
_COMMON_WORDS = {
    "en": "the and of to is that it was for with as his on be at by this had not are but from "
          "they you have an were which she their has been would there we will can what when who",
    "de": "der die und das ist nicht mit sich auf für dem den des ein eine einer auch es "
          "wird sind wir ich sie zu im von bei oder aber nach wie noch über werden",
    "fr": "le les et des est une dans pour qui que pas sur au avec ce il elle sont nous vous "
          "ils du mais ou son sa leurs été cette aux par plus",
    "es": "el la los las y de en que es del por con una para su se al lo como más pero sus le ya está "
          "muy también fue son esta hay entre cuando",
    "it": "il la di e che è della per una sono i del non con le gli alla anche questo nel ma come "
          "più della sua delle degli sul ha questa",
    "pt": "o os as que é do da em um uma para com não por mais dos das ao se mas foi são "
          "também está pelo pela muito seu sua",
    "nl": "de het een en van is dat op te zijn tot uur om voor niet met hij ze maar er ook als dit bij "
          "door naar wordt werd hebben",
    "sv": "och att det är som på för med inte den till av om har jag ett men var så från "
          "eller kan när också efter",
    "da": "og det er at til en af på ikke med for som den har de jeg var men fra også efter "
          "kan skal eller hvad",
    "no": "og det er at til en av på ikke med for som den har jeg var men fra også etter "
          "kan skal eller hva ble",
    "fi": "ja on ei se että oli hän mutta ovat tai kun joka myös kuin niin vain sen tämä "
          "hänen mitä jos",
    "pl": "i w nie się na że to jest z do jak ale po co tak jego za od czy już są przez dla",
    "cs": "a se na je že v to jsou ale jak jeho z do by jako pro tak když také být od jsem",
    "ro": "și în de la cu nu este că pe din o un mai care sunt pentru fost ca dar sau",
    "hu": "a az és hogy nem is egy van meg de csak már ez mint volt még azt ki ha el",
    "tr": "ve bir bu da de için ile çok ne daha gibi ama olan kadar sonra ben var mı değil",
    "ca": "el la els les i que de per amb una és són però com més això també quan hi ha",
    "ru": "и в не на что он с как это по но из у за она так же от все его только было",
    "uk": "і в не на що він з як це по але із у за вона так же від все його тільки було",
    "vi": "và của là có không được cho trong người những một các với đã này để",
}
_WORD_LANGUAGES: dict[str, list[str]] = {}
for _language, _words in _COMMON_WORDS.items():
    for _word in set(_words.split()):
        _WORD_LANGUAGES.setdefault(_word, []).append(_language)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is in ("en", "de"), or None when unsure."""
    sample = text[:SAMPLE_CHARS]
    by_script = _script_language(sample)
    if by_script is not None:
        return by_script
    scores: Counter[str] = Counter()
    for word in _WORD.findall(sample.lower()):
        languages = _WORD_LANGUAGES.get(word)
        if languages:
            for language in languages:
                scores[language] += 1.0 / len(languages)  # shared words count less
    if not scores:
        return None
    (best, top), (_, second) = (scores.most_common(2) + [("", 0.0)])[:2]
    if top < _MIN_HITS or top < _MIN_LEAD * second:
        return None
    return best


def _script_language(sample: str) -> str | None:
    """The language a non-Latin script points to when most letters are in it; Cyrillic is
    left to the word lists (Russian and Ukrainian share it)."""
    counts: Counter[str] = Counter()
    letters = 0
    for char in sample:
        if not char.isalpha():
            continue
        letters += 1
        if char < "\u0370":  # Latin and its diacritics: the common case, decided by words
            continue
        name = unicodedata.name(char, "")
        for script, language in _SCRIPTS:
            if name.startswith(script):
                counts[language] += 1
                break
    if not counts or not letters:
        return None
    language, count = counts.most_common(1)[0]
    if "ja" in counts and language == "zh":
        return "ja"  # Japanese mixes kanji with kana; Chinese has no kana
    return language if count / letters > 0.5 else None


def same_language(a: str | None, b: str | None) -> bool:
    """True when codes ``a`` and ``b`` ("en", "en_US", "en-gb") name the same language."""
    if not a or not b:
        return False
    return _family(a) == _family(b)


def _family(code: str) -> str:
    return re.split(r"[_-]", code.strip())[0].lower()
