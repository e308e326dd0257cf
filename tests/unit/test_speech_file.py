"""Saving speech as WAV, OGG and MP3, read back with the app's own decoder."""

from __future__ import annotations

import pytest

from voxpad.audio.decode import audio_duration, load_audio_file
from voxpad.errors import AudioFileError
from voxpad.tts.speech_file import export_speech


@pytest.mark.parametrize("suffix", [".wav", ".ogg", ".mp3"])
def test_export_writes_a_playable_file_with_progress(voice, tmp_path, suffix):
    path = tmp_path / f"speech{suffix}"
    progress = []
    seconds = export_speech(voice, "# Hello\n\nThe first line. The second line.", path,
                            on_progress=lambda done, total: progress.append((done, total)))
    assert progress[-1][0] == progress[-1][1] == len(progress) == 3
    assert seconds > 1.0
    assert audio_duration(path) == pytest.approx(seconds, abs=0.15)
    assert load_audio_file(path).std() > 0.01


def test_cancelled_export_leaves_no_file(voice, tmp_path):
    path = tmp_path / "speech.wav"
    export_speech(voice, "One. Two. Three.", path, cancelled=lambda: True)
    assert not path.exists()


def test_unknown_format_and_unwritable_place_are_sentences(voice, tmp_path):
    with pytest.raises(AudioFileError, match=r"\.wav, \.ogg or \.mp3"):
        export_speech(voice, "Hello.", tmp_path / "speech.txt")
    with pytest.raises(AudioFileError, match="Cannot write"):
        export_speech(voice, "Hello.", tmp_path / "missing" / "speech.ogg")
