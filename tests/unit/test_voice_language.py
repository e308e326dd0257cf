"""The read-aloud voice follows the text's language when a voice for it is installed.

The "German" and "French" voices here are copies of the bundled English voice with another
language code in their .onnx.json (tests/model_copies.py): real voice files that load and
speak, labelled as another language. Which voice was picked is told by its path.
"""

from __future__ import annotations

import pytest
from model_copies import model_home, voice_copy  # noqa: F401

from voxpad.engines import Engines
from voxpad.models import store
from voxpad.tts.language import detect_language, same_language

ENGLISH = ("The library opens at nine in the morning and closes at six in the evening. Visitors can "
           "borrow up to ten books at a time, and most loans last three weeks.")
GERMAN = ("Die Bibliothek öffnet um neun Uhr morgens und schließt um sechs Uhr abends. Besucher können "
          "bis zu zehn Bücher auf einmal ausleihen, und die meisten Ausleihen dauern drei Wochen.")
FRENCH = ("La bibliothèque ouvre à neuf heures du matin et ferme à six heures du soir. Les visiteurs "
          "peuvent emprunter jusqu'à dix livres à la fois, et la plupart des prêts durent trois semaines.")


@pytest.mark.parametrize("text, language", [
    (ENGLISH, "en"), (GERMAN, "de"), (FRENCH, "fr"),
    ("La biblioteca abre a las nueve de la mañana y cierra a las seis de la tarde.", "es"),
    ("La biblioteca apre alle nove del mattino e chiude alle sei di sera, ma non il lunedì.", "it"),
    ("De bibliotheek gaat om negen uur open en sluit om zes uur, maar niet op zondag.", "nl"),
    ("Библиотека открывается в девять утра и закрывается в шесть вечера, но не в воскресенье.", "ru"),
    ("Η βιβλιοθήκη ανοίγει στις εννέα το πρωί.", "el"),
    ("图书馆早上九点开门，晚上六点关门。", "zh"),
])
def test_detects_the_language_of_a_sentence_or_more(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "OK.", "1234 5678", "https://example.org", "Hello Bob"])
def test_too_little_text_to_tell_gives_no_answer(text):
    assert detect_language(text) is None


def test_same_language_compares_families():
    assert same_language("en_US", "en") and same_language("pt-BR", "pt_PT")
    assert not same_language("en_US", "de") and not same_language(None, "en")


@pytest.fixture
def with_german_voice(model_home, tmp_path):
    """A German voice installed beside the bundled English one (a relabelled copy)."""
    return store.import_model(voice_copy(tmp_path / "src", "de_DE-copy-of-joe-medium", language="de_DE"))


def test_german_text_is_read_with_the_installed_german_voice(with_german_voice):
    engines = Engines(idle_unload_seconds=0)
    voice = engines.voice_for_language(detect_language(GERMAN))
    assert voice.model_path == with_german_voice.path and voice.language == "de_DE"
    assert len(voice.synthesize_words("Guten Morgen.").samples) > 0  # a real voice that speaks
    assert engines.voice_for_language("de") is voice  # loaded once, then kept


def test_english_text_keeps_the_chosen_voice(with_german_voice):
    engines = Engines(idle_unload_seconds=0)
    assert engines.voice_for_language(detect_language(ENGLISH)) is engines.voice()
    assert engines.voice_for_language(None) is engines.voice()


def test_a_language_without_a_voice_falls_back_to_the_chosen_voice(with_german_voice):
    engines = Engines(idle_unload_seconds=0)
    assert detect_language(FRENCH) == "fr"
    assert engines.voice_for_language("fr") is engines.voice()


def test_the_chosen_voice_is_kept_when_it_speaks_the_language(model_home, tmp_path):
    ours = store.import_model(voice_copy(tmp_path / "a", "de_AT-copy-of-joe-medium", language="de_AT"))
    store.import_model(voice_copy(tmp_path / "b", "de_DE-copy-of-joe-medium", language="de_DE"))
    engines = Engines(voice_model=str(ours.path), idle_unload_seconds=0)
    assert engines.voice_for_language("de").model_path == ours.path


def test_a_broken_voice_for_the_language_falls_back_to_the_chosen_voice(with_german_voice):
    with_german_voice.path.unlink()
    with_german_voice.path.write_bytes(b"not an onnx model")
    engines = Engines(idle_unload_seconds=0)
    assert engines.voice_for_language("de") is engines.voice()


def test_choosing_other_models_forgets_the_language_voice(with_german_voice):
    engines = Engines(idle_unload_seconds=0)
    german = engines.voice_for_language("de")
    engines.use_models(None, None)
    again = engines.voice_for_language("de")
    assert again is not german and again.model_path == german.model_path


def test_a_skip_inside_the_last_reading_keeps_its_language():
    # "Next sentence" re-reads from inside the same text; a short tail cannot be told apart.
    from voxpad.ui.reader_controller import _continues

    previous = (100, "Erster Satz hier. Kurz.")
    assert _continues(previous, 118, "Kurz.")
    assert not _continues(previous, 118, "Short.")  # the document changed
    assert not _continues(previous, 50, "Erster")  # before the last reading
