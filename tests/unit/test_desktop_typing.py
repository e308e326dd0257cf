"""Typing and pasting into a real X application (xterm running ``cat > OUT``) on the test X server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voxpad.desktop.typing import ClipboardPaster, TextSender, TypingError, YdotoolTyper, choose_typer, pieces
from voxpad.desktop.x_selection import SelectionData, SelectionOwner, read_selection, text_contents
from voxpad.desktop.xtest_typer import XTestTyper, keysym_for
from clipboard_owners import QtClipboardOwner, XclipOwner, clipboard_formats, clipboard_read
from xterm_target import wait_until, xterm  # noqa: F401  (fixture)

NON_ASCII = "Café ß “quotes” — naïve Ωmega"


def test_pieces_send_what_a_typer_cannot_type_to_the_clipboard():
    assert list(pieces("ab😀c", XTestTyper())) == [(True, "ab"), (False, "😀"), (True, "c")]
    assert list(pieces("día", YdotoolTyper())) == [(True, "d"), (False, "í"), (True, "a")]
    assert list(pieces("plain", XTestTyper())) == [(True, "plain")]


def test_unknown_method_is_a_clear_error():
    with pytest.raises(TypingError, match="not a way Voxpad knows"):
        choose_typer("telepathy")


def test_keysyms_for_latin1_unicode_and_keys():
    assert keysym_for("a") == ord("a")
    assert keysym_for("é") == 0xE9
    assert keysym_for("Ω") == 0x1000000 | 0x3A9
    assert keysym_for("\n") == 0xFF0D
    assert keysym_for("😀") is None  # pasted instead: X clients drop keysyms beyond the BMP


def test_automatic_choice_on_x11_is_xtest(desktop):
    assert choose_typer("auto").name == "xtest"
    assert choose_typer("clipboard").name == "clipboard"


def finish_line(term) -> str:
    subprocess.run(["xdotool", "key", "Return"], check=True, env=term.env)
    return wait_until(lambda: term.out.read_bytes().decode("utf-8") if term.out.exists()
                      and term.out.read_bytes().endswith(b"\n") else None, 10, "the line in OUT")


def test_xtest_types_non_ascii_into_a_real_x_application_every_time(desktop, xterm):
    # xdotool type, which rebinds a key around every character, damaged 1 line in 10 of this.
    term = xterm("typing-target")
    term.focus()
    typer = XTestTyper()
    try:
        for _ in range(10):
            typer.send(NON_ASCII + "\n")
        lines = wait_until(lambda: term.out.exists() and term.out.read_text(encoding="utf-8").count("\n") == 10
                           and term.out.read_text(encoding="utf-8"), 10, "ten lines in OUT")
        assert lines.splitlines() == [NON_ASCII] * 10
    finally:
        typer.close()


def test_a_modifier_let_go_while_typing_is_not_left_pressed(desktop, xterm):
    # The hotkey's Ctrl, still held when an utterance is typed and let go meanwhile: pressing
    # it again after typing (as xdotool --clearmodifiers does) left Ctrl down for every app.
    import threading

    from Xlib import XK, display

    term = xterm("modifier-target")
    term.focus()
    d = display.Display()
    ctrl = d.keysym_to_keycode(XK.string_to_keysym("Control_L"))

    def ctrl_down() -> bool:
        return bool(d.query_keymap()[ctrl // 8] & (1 << (ctrl % 8)))

    text = "the quick brown fox jumps over the lazy dog " * 3
    subprocess.run(["xdotool", "keydown", "Control_L"], check=True, env=term.env)
    assert ctrl_down()
    typer = XTestTyper()
    typing = threading.Thread(target=typer.send, args=(text + "\n",))
    typing.start()
    wait_until(lambda: len(term.shown_text()) > 5, 10, "typing to be under way")
    subprocess.run(["xdotool", "keyup", "Control_L"], check=True, env=term.env)  # the user lets go
    typing.join(30)
    try:
        assert not ctrl_down(), "Ctrl is stuck down after typing"
        assert wait_until(lambda: term.out.exists() and term.out.read_text().endswith("\n"), 10,
                          "the line in OUT") and term.out.read_text() == text + "\n"
    finally:
        subprocess.run(["xdotool", "keyup", "Control_L"], env=term.env)
        typer.close()
        d.close()


def test_spare_keycodes_are_given_back_on_close(desktop):
    from Xlib import display

    d = display.Display()
    before = d.get_keyboard_mapping(d.display.info.min_keycode, 248 - d.display.info.min_keycode)
    typer = XTestTyper()
    typer.send("")  # nothing to type, nothing bound
    typer._bind_missing(d, [keysym_for("Ω")], 0)
    assert typer._bound
    typer.close()
    after = d.get_keyboard_mapping(d.display.info.min_keycode, 248 - d.display.info.min_keycode)
    assert [list(r) for r in after] == [list(r) for r in before]
    d.close()


def test_emoji_is_pasted_when_typing_cannot_produce_it_and_the_clipboard_comes_back(desktop, xterm):
    term = xterm("mixed-target")
    term.focus()
    subprocess.run(["xclip", "-selection", "clipboard"], input=b"the user's own clipboard", check=True)
    TextSender(XTestTyper()).send("Smile 😀 é done")
    assert finish_line(term) == "Smile 😀 é done\n"
    assert subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                          check=True).stdout == b"the user's own clipboard"


# Another program holding a rich clipboard (several formats), as a browser or office suite does.
RICH_CLIPBOARD = """
import sys
from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QClipboard
from PySide6.QtWidgets import QApplication
app = QApplication([])
data = QMimeData()
data.setText("plain words")
data.setHtml("<b>bold words</b>")
data.setData("application/x-voxpad-test", bytes(range(256)))
app.clipboard().setMimeData(data, QClipboard.Mode.Clipboard)
QTimer.singleShot(0, lambda: print("owned", flush=True))
app.exec()
"""


def test_paste_mode_restores_every_format_of_the_users_clipboard(desktop, xterm):
    term = xterm("paste-target")
    term.focus()
    owner = subprocess.Popen([sys.executable, "-c", RICH_CLIPBOARD], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "xcb"})
    try:
        assert owner.stdout.readline().strip() == "owned"
        before = read_selection("CLIPBOARD")
        assert {"text/plain", "text/html", "application/x-voxpad-test"} <= set(before)

        ClipboardPaster().send("pasted “text” ✓")
        assert finish_line(term) == "pasted “text” ✓\n"

        def xclip(target: str) -> bytes:
            return subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t", target],
                                  capture_output=True, check=True).stdout

        targets = xclip("TARGETS").decode().split()
        assert {"text/plain", "text/html", "application/x-voxpad-test"} <= set(targets)
        assert xclip("text/html") == before["text/html"].data
        assert b"bold words" in xclip("text/html")
        assert xclip("application/x-voxpad-test") == bytes(range(256))
        assert xclip("text/plain") == b"plain words"
    finally:
        owner.terminate()
        owner.wait(10)


def test_empty_clipboard_is_empty_again_after_a_paste(desktop, xterm):
    term = xterm("empty-clip-target")
    term.focus()
    clearing = SelectionOwner(text_contents("x"), ("CLIPBOARD", "PRIMARY"))
    clearing.release()
    assert read_selection("CLIPBOARD") == {}
    ClipboardPaster().send("only this")
    assert finish_line(term) == "only this\n"
    assert read_selection("CLIPBOARD") == {}
    assert read_selection("PRIMARY") == {}


def paste_dictation(qtbot, text: str) -> str:
    """Dictated text through the worker dictate-anywhere feeds, with the clipboard method; returns what it typed."""
    from voxpad.ui.focused_app_typing import FocusedAppTyping

    typing = FocusedAppTyping()
    typing.method = "clipboard"
    typed, failed = [], []
    typing.inserted.connect(typed.append)
    typing.failed.connect(failed.append)
    try:
        typing.insert(text)
        qtbot.waitUntil(lambda: bool(typed or failed), timeout=30000)
    finally:
        typing.shutdown()
    assert not failed, failed
    return typed[0]


def test_paste_restores_a_multi_megabyte_clipboard_with_every_format(desktop, xterm, qtbot, tmp_path):
    # Qt sends a format above 16 MB by INCR and the 1 MB page in one big request; Voxpad must
    # receive both and, since python-xlib requests stop at 256 kB, serve both back by INCR.
    image = os.urandom(17 * 1024 * 1024)
    page = b"<html><body>" + b"<p>rich copied words</p>" * 45000 + b"</body></html>"
    owner = QtClipboardOwner({"text/plain": b"plain words", "text/html": page, "image/png": image,
                              "application/x-voxpad-test": bytes(range(256))}, tmp_path)
    try:
        before = clipboard_formats()
        assert before["image/png"] == image and before["text/html"] == page
        assert set(read_selection("CLIPBOARD", only=("text/plain", "STRING"))) == {"text/plain", "STRING"}
        term = xterm("big-paste-target")
        term.focus()
        typed = paste_dictation(qtbot, "pasted “text” ✓")
        assert finish_line(term) == typed + "\n"
    finally:
        owner.close()  # what is on the clipboard now can only come from Voxpad
    after = clipboard_formats()
    assert sorted(after) == sorted(before), "the restored clipboard offers other formats than the user's"
    for target, data in before.items():
        assert after[target] == data, f"the restored {target} ({len(after[target])} bytes) differs from the original"


def test_paste_restores_an_image_that_xclip_sends_incrementally(desktop, xterm, qtbot, tmp_path):
    image = os.urandom(6 * 1024 * 1024)  # xclip switches to INCR above 4 MB
    owner = XclipOwner("image/png", image, tmp_path)
    try:
        term = xterm("xclip-paste-target")
        term.focus()
        typed = paste_dictation(qtbot, "words over an image")
        assert finish_line(term) == typed + "\n"
    finally:
        owner.close()
    assert clipboard_read("image/png") == image, "the copied image did not come back whole after the paste"


def test_a_program_that_quits_mid_transfer_does_not_stop_the_restored_clipboard(desktop):
    from Xlib import X
    from Xlib import display as xdisplay

    image = os.urandom(3 * 1024 * 1024)
    owner = SelectionOwner({"image/png": SelectionData("image/png", 8, image)}, ("CLIPBOARD",))
    # A requestor that asks, starts the INCR transfer (deletes the INCR property), then quits.
    d = xdisplay.Display()
    window = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent, event_mask=X.PropertyChangeMask)
    prop = d.intern_atom("QUITTER")
    window.convert_selection(d.intern_atom("CLIPBOARD"), d.intern_atom("image/png"), prop, X.CurrentTime)
    d.flush()
    while d.next_event().type != X.SelectionNotify:
        pass
    assert window.get_property(prop, X.AnyPropertyType, 0, 1, delete=True).property_type == d.intern_atom("INCR")
    d.close()  # its window goes with it while the owner writes the first chunk there
    assert clipboard_read("image/png") == image, "the clipboard stopped serving after a requestor vanished"
    assert owner.owns()
    owner.release()
