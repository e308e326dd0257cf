"""Live dictation in the window: grey partials outside the document, finals as single undo steps.

Most tests drive the DictationController's real ``partial``/``final`` signals by hand, so the
widget behaviour is checked exactly; the last ones run the real microphone pipeline through
the test run's PulseAudio server.
"""

from __future__ import annotations

from PySide6.QtGui import QTextCursor

from speech_metrics import normalise


def place_cursor(window, position: int) -> None:
    cursor = window.editor.textCursor()
    cursor.setPosition(position)
    window.editor.setTextCursor(cursor)


def shown_partial(window) -> str:
    """The pre-edit text drawn in the document's layout (what the user sees in grey)."""
    document = window.editor.document()
    block = document.firstBlock()
    while block.isValid():
        text = block.layout().preeditAreaText()
        if text:
            return text
        block = block.next()
    return ""


def test_partials_show_in_grey_without_touching_the_document(window, qtbot) -> None:
    window.editor.setPlainText("Dear Anna,\nSee you.")
    window.editor.document().clearUndoRedoStacks()
    place_cursor(window, 10)  # after "Dear Anna,"
    window.dictation.partial.emit("thanks for")
    window.dictation.partial.emit("thanks for the letter")

    assert shown_partial(window) == " thanks for the letter"
    assert window.editor.toPlainText() == "Dear Anna,\nSee you."  # not in the document or saved text
    assert not window.editor.document().isUndoAvailable()  # nor in the undo history
    assert window.editor.textCursor().position() == 10  # the user's cursor did not move
    block = window.editor.document().firstBlock()
    grey = block.layout().formats()
    assert grey and grey[0].format.fontItalic() and grey[0].format.foreground().color().name() == "#8a8a8a"


def test_a_partial_in_an_empty_document_is_not_drawn_over_the_placeholder(window, qtbot) -> None:
    placeholder = window.editor.placeholderText()
    assert placeholder and window.editor.toPlainText() == ""
    window.dictation.partial.emit("hello there")
    assert shown_partial(window) == "Hello there"  # capitalised: it starts the document
    assert window.editor.placeholderText() == ""  # Qt paints it over an empty document otherwise
    window.dictation.final.emit("")  # the preview turned out to be nothing
    assert shown_partial(window) == "" and window.editor.toPlainText() == ""
    assert window.editor.placeholderText() == placeholder


def test_final_replaces_the_partial_in_place_and_undo_removes_one_utterance(window, qtbot) -> None:
    window.editor.setPlainText("Dear Anna,\nSee you.")
    window.editor.document().clearUndoRedoStacks()
    place_cursor(window, 10)
    window.dictation.partial.emit("thanks for the")
    window.dictation.final.emit("Thanks for the letter.")
    assert shown_partial(window) == ""
    assert window.editor.toPlainText() == "Dear Anna, thanks for the letter.\nSee you."
    # The cursor was at the landing spot, so it follows the text as if the user had typed it.
    assert window.editor.textCursor().position() == len("Dear Anna, thanks for the letter.")

    window.dictation.partial.emit("it was")
    window.dictation.final.emit("It was lovely.")
    assert window.editor.toPlainText() == "Dear Anna, thanks for the letter. It was lovely.\nSee you."

    window.editor.undo()
    assert window.editor.toPlainText() == "Dear Anna, thanks for the letter.\nSee you."
    window.editor.undo()
    assert window.editor.toPlainText() == "Dear Anna,\nSee you."


def test_user_can_edit_elsewhere_while_a_partial_shows(window, qtbot) -> None:
    window.editor.setPlainText("Title\nBody: ")
    place_cursor(window, len("Title\nBody: "))
    window.dictation.partial.emit("the first")
    # The user clicks into the title and types while the utterance is still being spoken.
    place_cursor(window, 5)
    window.editor.insertPlainText(" page")
    assert shown_partial(window) == "the first"
    window.dictation.final.emit("The first point.")
    assert window.editor.toPlainText() == "Title page\nBody: the first point."
    assert window.editor.textCursor().position() == len("Title page")  # left where the user put it


def test_spoken_punctuation_and_scratch_that(window, qtbot) -> None:
    window.editor.setPlainText("")
    window.dictation.final.emit("Dear Anna colon new line thanks for the letter full stop")
    assert window.editor.toPlainText() == "Dear Anna:\nThanks for the letter."
    window.dictation.final.emit("It was dreadful.")
    window.dictation.final.emit("Scratch that.")
    assert window.editor.toPlainText() == "Dear Anna:\nThanks for the letter."
    window.dictation.final.emit("It was lovely exclamation mark")
    assert window.editor.toPlainText() == "Dear Anna:\nThanks for the letter. It was lovely!"
    # Ordinary use of the words is left alone.
    window.dictation.final.emit("A comma-separated list.")
    assert window.editor.toPlainText().endswith("lovely! A comma-separated list.")


def test_spoken_commands_can_be_switched_off(window, qtbot) -> None:
    window.settings.spoken_commands = False
    window.editor.setPlainText("")
    window.dictation.final.emit("Hello comma, world full stop")
    assert window.editor.toPlainText() == "Hello comma, world full stop"


def test_stop_dictating_stops_the_microphone(window, qtbot, desktop) -> None:
    with qtbot.waitSignal(window.dictation.started, timeout=10_000):
        window.dictate_action.trigger()
    window.editor.setPlainText("Notes.")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(window.dictation.stopped, timeout=30_000):
        window.dictation.final.emit("That's all. Stop dictating.")
    assert window.editor.toPlainText() == "Notes. That's all."
    assert not window.dictate_action.isChecked()


def test_partials_appear_while_speech_is_still_playing(window, qtbot, desktop, jfk_wav) -> None:
    """The real microphone: grey words show up, then finals land, while the clip still plays."""
    window.editor.setPlainText("")
    seen_partials: list[str] = []
    window.dictation.partial.connect(lambda text: seen_partials.append(shown_partial(window)))
    with qtbot.waitSignal(window.dictation.started, timeout=10_000):
        window.dictate_action.trigger()
    player = desktop.play(jfk_wav, wait=False)
    try:
        # JFK pauses after "Americans": a final lands mid-clip, and partials show before it
        # (waits for "fellow": tiny.en sometimes hears "america" when the words are cut).
        qtbot.waitUntil(lambda: "fellow" in normalise(window.editor.toPlainText()), timeout=20_000)
        assert player.poll() is None, "the clip had already ended"
        assert any("fellow" in normalise(text) for text in seen_partials), seen_partials
        assert not window.editor.document().toPlainText().startswith(" ")
    finally:
        player.wait(30)
    with qtbot.waitSignal(window.dictation.stopped, timeout=30_000):
        window.dictate_action.trigger()
    assert "your country" in normalise(window.editor.toPlainText())
    assert shown_partial(window) == ""  # nothing grey left once dictation is over
