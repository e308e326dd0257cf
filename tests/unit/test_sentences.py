"""Sentence splitting for read-aloud: boundaries, offsets, and bounded span length."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from voxpad.tts.sentences import MAX_SPAN_CHARS, SentenceSpan, split_sentences


def texts(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def test_splits_at_full_stops_questions_and_exclamations():
    assert texts("It rained. Did you see it? What a storm!") == [
        "It rained.", "Did you see it?", "What a storm!"]


def test_titles_and_dotted_abbreviations_do_not_end_a_sentence():
    assert texts("Dr. Smith met Mrs. Jones at St. Mary's. They talked.") == [
        "Dr. Smith met Mrs. Jones at St. Mary's.", "They talked."]
    assert texts("Bring fruit, e.g. Apples or i.e. Pears. Then go.") == [
        "Bring fruit, e.g. Apples or i.e. Pears.", "Then go."]
    assert texts("The U.S. Army marched. J. R. R. Tolkien wrote.") == [
        "The U.S. Army marched.", "J. R. R. Tolkien wrote."]


def test_decimals_versions_and_addresses_stay_whole():
    assert texts("Pi is 3.14 or so. Version 1.2.3 is on example.com now.") == [
        "Pi is 3.14 or so.", "Version 1.2.3 is on example.com now."]


def test_etc_ends_a_sentence_only_before_a_capital():
    assert texts("Pens, paper, etc. and more. Apples etc. Then pears.") == [
        "Pens, paper, etc. and more.", "Apples etc.", "Then pears."]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    assert texts('He said "Stop." Then he left. (It was late.) We slept.') == [
        'He said "Stop."', "Then he left.", "(It was late.)", "We slept."]


def test_trailing_off_into_lower_case_is_one_sentence():
    assert texts("Well... maybe not. Fine.") == ["Well... maybe not.", "Fine."]


def test_line_breaks_end_list_items_and_headings_but_not_wrapped_prose():
    assert texts("Shopping\nMilk\nEggs") == ["Shopping", "Milk", "Eggs"]
    assert texts("This sentence was\nwrapped by an editor. Next one.") == [
        "This sentence was\nwrapped by an editor.", "Next one."]
    assert texts("First paragraph ends here\n\nsecond paragraph starts lower") == [
        "First paragraph ends here", "second paragraph starts lower"]
    assert texts("Windows line\r\nendings wrap too.\r\n\r\nNew paragraph") == [
        "Windows line\r\nendings wrap too.", "New paragraph"]


def test_empty_whitespace_and_punctuation_only_spans_are_skipped():
    assert split_sentences("") == []
    assert split_sentences("   \n\n\t  ") == []
    assert texts("...\n\n***\n\nReal text. !!! ?") == ["Real text."]


def test_offsets_point_into_the_original_text():
    document = "  First one.   Second one?\n\n  Third!  "
    spans = split_sentences(document)
    assert [(s.start, s.end) for s in spans] == [(2, 12), (15, 26), (30, 36)]
    for span in spans:
        assert document[span.start:span.end] == span.text


def test_shifted_moves_offsets_only():
    assert SentenceSpan("Hi.", 3, 6).shifted(10) == SentenceSpan("Hi.", 13, 16)


def test_long_sentences_are_cut_at_clause_boundaries():
    clause = "the committee reviewed the budget for the coming year in great detail"
    sentence = "; ".join([clause] * 12) + "."
    spans = split_sentences(sentence)
    assert len(spans) > 1
    assert all(len(span.text) <= MAX_SPAN_CHARS for span in spans)
    assert all(span.text.endswith((";", ".")) for span in spans)
    assert " ".join(span.text for span in spans) == sentence


def test_commas_are_used_when_there_is_no_stronger_break():
    sentence = ", ".join(["one two three four five six seven"] * 30) + "."
    spans = split_sentences(sentence, max_chars=100)
    assert all(len(span.text) <= 100 for span in spans)
    assert all(span.text.endswith((",", ".")) for span in spans)


def test_a_run_without_any_break_is_cut_hard_at_the_limit():
    spans = split_sentences("x" * 1000)
    assert [len(span.text) for span in spans] == [300, 300, 300, 100]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab Z.!?,;\n\t\"')3…")), max_size=400),
       st.integers(min_value=20, max_value=300))
def test_spans_are_ordered_bounded_and_exact_for_any_text(document, max_chars):
    spans = split_sentences(document, max_chars=max_chars)
    previous_end = 0
    for span in spans:
        assert document[span.start:span.end] == span.text
        assert span.start >= previous_end
        assert 0 < len(span.text) <= max_chars
        assert span.text == span.text.strip()
        assert any(char.isalnum() for char in span.text)
        previous_end = span.end
    # Every speakable character is in some span: nothing the user wrote is skipped.
    covered = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    assert all(i in covered for i, char in enumerate(document) if char.isalnum())
