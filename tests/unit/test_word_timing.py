"""Word start times: from piper's phoneme alignments with the real voice, else by length."""

from __future__ import annotations

from voxpad.tts.word_timing import phoneme_word_starts, time_words, word_bounds


def test_word_bounds_skip_punctuation_only_tokens():
    text = "Well — this, is it!"
    assert [text[a:b] for a, b in word_bounds(text)] == ["Well", "this,", "is", "it!"]


def test_phoneme_words_start_after_spaces():
    pairs = [("^", 10), ("h", 5), ("i", 5), (" ", 3), ("ð", 4), ("ɛ", 4), (",", 2), ("$", 1)]
    assert phoneme_word_starts(pairs) == [10, 23]


def test_without_alignments_time_is_shared_by_word_length():
    words = time_words("a bbb", 600)
    assert [(w.start, w.end, w.sample) for w in words] == [(0, 1, 0), (2, 5, 200)]


def test_the_bundled_voice_gives_aligned_increasing_word_times(voice):
    text = "The quick brown fox jumps over the lazy dog."
    spoken = voice.synthesize_words(text)
    assert spoken.aligned
    assert [text[w.start:w.end] for w in spoken.words] == text.split()
    samples = [w.sample for w in spoken.words]
    assert samples == sorted(samples) and len(set(samples)) == len(samples)
    assert samples[-1] < len(spoken.samples)
    # Aligned, not proportional: "quick" (5 letters) and "brown" (5) need not be equal,
    # but the last word must start well into the sentence.
    assert samples[-1] > len(spoken.samples) * 0.6


def test_words_that_expand_fall_back_to_proportional_timing(voice):
    text = "It costs 25 dollars."
    spoken = voice.synthesize_words(text)
    assert [text[w.start:w.end] for w in spoken.words] == ["It", "costs", "25", "dollars."]
    assert [w.sample for w in spoken.words] == sorted(w.sample for w in spoken.words)
