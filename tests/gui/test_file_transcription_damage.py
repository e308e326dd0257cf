"""File > Transcribe audio file… with a file that breaks off: the text before the break, then one sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000


def _cut_wav(tmp_path: Path, audio: np.ndarray, keep_seconds: float) -> Path:
    whole = tmp_path / "whole.wav"
    sf.write(whole, audio, RATE, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * int(keep_seconds * RATE)])
    return cut


def test_a_cut_off_wav_inserts_the_text_before_the_cut_then_says_so(window, qtbot, tmp_path, jfk_wav):
    # A WAV is the case FFmpeg alone misses: it works the length out from the file's size.
    speech, _ = sf.read(jfk_wav, dtype="float32")
    cut = _cut_wav(tmp_path, np.concatenate([speech, np.zeros(RATE, np.float32), speech]), 13.0)
    window.editor.setPlainText("")
    with qtbot.waitSignals([window.file_transcription.finished, window.file_transcription.failed],
                           timeout=60_000, order="strict"):
        window.transcribe_file(cut)
    assert "country" in window.editor.toPlainText().lower()
    assert window.status_label.text() == f"The file {cut} is cut off at 0:13 of 0:23; the text before that is kept."
    assert window.transcribe_file_action.isEnabled()


def test_a_file_cut_off_before_any_speech_only_says_so(window, qtbot, tmp_path, jfk_wav):
    speech, _ = sf.read(jfk_wav, dtype="float32")
    cut = _cut_wav(tmp_path, np.concatenate([np.zeros(4 * RATE, np.float32), speech]), 2.0)
    window.editor.setPlainText("precious")
    finished = []
    window.file_transcription.finished.connect(lambda *args: finished.append(args))
    with qtbot.waitSignal(window.file_transcription.failed, timeout=60_000):
        window.transcribe_file(cut)
    assert finished == []  # no "No speech was found" flashing before the real reason
    assert window.editor.toPlainText() == "precious"
    assert window.status_label.text() == f"The file {cut} is cut off at 0:02 of 0:15; there was no speech before that."
