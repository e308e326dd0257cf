"""Word error rate with the normalisation every accuracy test uses."""

from __future__ import annotations

import re

import jiwer

_NUMBER_WORDS = {"%": " percent", "×": " times "}


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: compare words, not typography."""
    for symbol, words in _NUMBER_WORDS.items():
        text = text.replace(symbol, words)
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def wer(references: list[str], hypotheses: list[str]) -> float:
    return jiwer.wer([normalise(r) for r in references], [normalise(h) or "<empty>" for h in hypotheses])
