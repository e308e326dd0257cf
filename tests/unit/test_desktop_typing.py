"""Typing and pasting into a real X application (xterm running ``cat > OUT``) on the test X server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voxpad.desktop.typing import ClipboardPaster, TextSender, TypingError, YdotoolTyper, choose_typer, pieces
from voxpad.desktop.x_selection import SelectionOwner, read_selection, text_contents
from voxpad.desktop.xtest_typer import XTestTyper, keysym_for
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
