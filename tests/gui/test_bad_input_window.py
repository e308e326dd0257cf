"""Bad input through the window: open and transcribe odd files, read odd text; a sentence, never a crash."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QTextCursor

from voxpad import recovery


def test_a_5_mb_document_opens_autosaves_and_reads(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path / "data"))
    text = "".join(f"Line {n} of a long document, with ünïcødé.\n" for n in range(120_000))
    assert len(text.encode()) > 5_000_000
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    assert window.open_document(path, ask=False)
    assert window.editor.toPlainText() == text
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, "Typed at the end.")
    session = window.safety.session()
    qtbot.waitUntil(lambda: recovery.read_autosave(session.folder) is not None
                    and recovery.read_autosave(session.folder).text.endswith("Typed at the end."), timeout=20_000)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    with qtbot.waitSignal(window.reader.sentence_started, timeout=60_000):
        window.read_action.trigger()
    window.stop_action.trigger()
    assert not window.reader.active


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\x00" * 100, b""])
def test_binary_or_empty_documents(window, tmp_path, content):
    window.editor.setPlainText("kept")
    path = tmp_path / "odd.txt"
    path.write_bytes(content)
    opened = window.open_document(path, ask=False)
    if content:
        assert not opened and window.editor.toPlainText() == "kept"
        assert "not a text document" in window.status_label.text()
    else:
        assert opened and window.editor.toPlainText() == ""


def test_invalid_utf8_document_opens_with_replacement_characters(window, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café crème".encode("latin-1") + b"\xff\xfe\x80")
    assert window.open_document(path, ask=False)
    assert window.editor.toPlainText().startswith("caf\ufffd cr\ufffdme")


@pytest.mark.parametrize("make", ["empty", "random", "wrong-extension-text"])
def test_transcribing_bad_files_shows_one_sentence_and_keeps_the_text(window, qtbot, tmp_path, make):
    path = tmp_path / ("input.wav" if make != "wrong-extension-text" else "notes.flac")
    if make == "random":
        path.write_bytes(np.random.default_rng(3).bytes(30_000))
    elif make == "wrong-extension-text":
        path.write_text("dear diary\n" * 50)
    else:
        path.write_bytes(b"")
    window.editor.setPlainText("precious")
    with qtbot.waitSignal(window.file_transcription.failed, timeout=30_000):
        window.transcribe_file(path)
    assert window.editor.toPlainText() == "precious"
    message = window.status_label.text()
    assert path.name in message and "\n" not in message and "Traceback" not in message
    assert window.transcribe_file_action.isEnabled()


def test_transcribing_an_odd_format_file(window, qtbot, tmp_path, jfk_wav):
    odd = tmp_path / "odd.wav"  # 24-bit, 96 kHz, 8 channels
    subprocess.run(["sox", str(jfk_wav), "-b", "24", "-r", "96000", "-c", "8", str(odd)], check=True)
    with qtbot.waitSignal(window.file_transcription.finished, timeout=60_000):
        window.transcribe_file(odd)
    assert "country" in window.editor.toPlainText().lower()


def test_reading_text_full_of_control_characters(window, qtbot, desktop):
    window.editor.setPlainText("Hello\x07 there\x1b[1m. Tab\tand\x0bvertical\x0c feed. Zero\u200bwidth.")
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    failures = []
    window.reader.failed.connect(failures.append)
    with qtbot.waitSignal(window.reader.finished, timeout=60_000):
        window.read_action.trigger()
    assert failures == []


def test_transcribing_a_file_cut_off_part_way_inserts_what_is_there_and_says_so(window, qtbot, tmp_path, jfk_wav):
    import soundfile as sf

    speech, rate = sf.read(jfk_wav, dtype="float32")
    pause = np.zeros(rate, dtype=np.float32)
    whole = tmp_path / "whole.flac"
    sf.write(whole, np.concatenate([speech, pause, speech, pause, speech]), rate)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    window.editor.setPlainText("")
    with qtbot.waitSignals([window.file_transcription.finished, window.file_transcription.failed],
                           timeout=60_000, order="strict"):
        window.transcribe_file(cut)
    assert "country" in window.editor.toPlainText().lower()  # the part before the cut is kept
    message = window.status_label.text()
    assert "cut.flac" in message and "cut off" in message and "\n" not in message
    assert window.transcribe_file_action.isEnabled()
