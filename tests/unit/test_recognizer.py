"""The speech recognizer with the real bundled tiny.en model on real speech."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speech_metrics import wer

from voxpad.audio.decode import load_audio_file
from voxpad.errors import AudioFileError, Cancelled, ModelError
from voxpad.models.defaults import bundled_whisper_model
from voxpad.stt.recognizer import Segment, SpeechRecognizer, Transcript

JFK_WORDS = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"


@pytest.fixture(scope="module")
def recognizer() -> SpeechRecognizer:
    return SpeechRecognizer.load()


def test_bundled_model_loads(recognizer: SpeechRecognizer) -> None:
    assert recognizer.path == bundled_whisper_model()
    assert not recognizer.multilingual  # tiny.en


def test_word_error_rate_on_the_speech_set(recognizer: SpeechRecognizer, speech_clips) -> None:
    references, hypotheses = [], []
    for path, reference in speech_clips:
        transcript = recognizer.transcribe(load_audio_file(path), beam_size=5)
        references.append(reference)
        hypotheses.append(transcript.text)
    # Measured for tiny.en int8 beam 5 on this set: 0.074 (the project's reference figure: 0.076).
    assert wer(references, hypotheses) <= 0.10, list(zip(references, hypotheses))


def test_transcribe_file_gives_segments_with_times(recognizer: SpeechRecognizer, jfk_wav: Path) -> None:
    transcript = recognizer.transcribe_file(jfk_wav)
    assert wer([JFK_WORDS], [transcript.text]) < 0.1, transcript.text
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(11.0)
    assert all(isinstance(s, Segment) and 0 <= s.start < s.end <= 11.5 for s in transcript.segments)
    assert transcript.text == " ".join(s.text for s in transcript.segments)


def test_transcribe_file_reads_other_formats(recognizer: SpeechRecognizer, jfk_wav: Path, tmp_path: Path) -> None:
    samples, rate = sf.read(jfk_wav, dtype="float32")
    stereo_flac = tmp_path / "jfk.flac"
    sf.write(stereo_flac, np.stack([samples, samples], axis=1), rate)
    assert wer([JFK_WORDS], [recognizer.transcribe_file(stereo_flac).text]) < 0.1


def test_transcribe_file_bad_file_is_an_audio_file_error(recognizer: SpeechRecognizer, tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not sound")
    with pytest.raises(AudioFileError):
        recognizer.transcribe_file(tmp_path / "notes.wav")


@pytest.mark.parametrize("kind", ["silence", "white noise", "hum", "click"])
def test_non_speech_gives_no_text(recognizer: SpeechRecognizer, kind: str) -> None:
    # Unguarded, tiny.en answers all of these with "you" or "." (no_speech_prob > 0.85).
    rng = np.random.default_rng(3)
    n = 16000 * 3
    audio = {
        "silence": np.zeros(n),
        "white noise": rng.standard_normal(n) * 0.1,
        "hum": 0.2 * np.sin(2 * np.pi * 100 * np.arange(n) / 16000),
        "click": np.where(np.arange(n) // 200 == 80, 0.8, 0.0),
    }[kind].astype(np.float32)
    transcript = recognizer.transcribe(audio, beam_size=5)
    assert transcript.text == "", transcript


def test_empty_audio(recognizer: SpeechRecognizer) -> None:
    assert recognizer.transcribe(np.zeros(0, dtype=np.float32)) == Transcript([], "en", 0.0)


def test_stereo_array_is_refused(recognizer: SpeechRecognizer) -> None:
    with pytest.raises(ValueError):
        recognizer.transcribe(np.zeros((16000, 2), dtype=np.float32))


def test_progress_rises_to_one(recognizer: SpeechRecognizer, jfk_wav: Path) -> None:
    seen: list[float] = []
    recognizer.transcribe(load_audio_file(jfk_wav), beam_size=1, progress=seen.append)
    assert seen[-1] == 1.0
    assert len(seen) >= 2 and seen == sorted(seen) and all(0 <= value <= 1 for value in seen)


def test_cancel_between_segments(recognizer: SpeechRecognizer, jfk_wav: Path) -> None:
    seen: list[float] = []
    with pytest.raises(Cancelled):
        # jfk decodes as two segments; cancel once the first is done.
        recognizer.transcribe(load_audio_file(jfk_wav), beam_size=1, progress=seen.append,
                              cancelled=lambda: bool(seen))
    assert len(seen) == 1 and seen[0] < 1.0


def test_cancel_before_start(recognizer: SpeechRecognizer) -> None:
    with pytest.raises(Cancelled):
        recognizer.transcribe(np.zeros(16000, dtype=np.float32), cancelled=lambda: True)


def test_one_model_shared_by_threads(recognizer: SpeechRecognizer, speech_clips) -> None:
    clips = [(load_audio_file(path), reference) for path, reference in speech_clips[:3]]
    results: dict[int, str] = {}

    def work(index: int) -> None:
        results[index] = recognizer.transcribe(clips[index][0], beam_size=1).text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clips))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert wer([ref for _, ref in clips], [results[i] for i in range(len(clips))]) < 0.2


# -- model folders that cannot load --------------------------------------------------------


def _model_copy(tmp_path: Path, model_bin: bytes | None) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    source = bundled_whisper_model()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if (source / name).exists():
            shutil.copy(source / name, folder / name)
    if model_bin is not None:
        (folder / "model.bin").write_bytes(model_bin)
    return folder


def _assert_sentence_naming(error: ModelError, folder: Path) -> None:
    message = str(error)
    assert str(folder) in message and message.endswith(".") and "\n" not in message


@pytest.mark.parametrize(
    "model_bin",
    [
        pytest.param(np.random.default_rng(5).bytes(200_000), id="random-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(None, id="truncated"),
    ],
)
def test_broken_model_bin(tmp_path: Path, model_bin: bytes | None) -> None:
    if model_bin is None:
        with open(bundled_whisper_model() / "model.bin", "rb") as real:
            model_bin = real.read(3_000_000)
    folder = _model_copy(tmp_path, model_bin)
    with pytest.raises(ModelError) as caught:
        SpeechRecognizer.load(folder)
    _assert_sentence_naming(caught.value, folder)
    assert "could not be loaded" in str(caught.value)


def test_missing_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        SpeechRecognizer.load(tmp_path / "absent")
    _assert_sentence_naming(caught.value, tmp_path / "absent")


def test_model_path_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError):
        SpeechRecognizer.load(tmp_path / "model.bin")


def test_missing_tokenizer_is_refused_not_downloaded(tmp_path: Path) -> None:
    folder = _model_copy(tmp_path, b"x")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError) as caught:
        SpeechRecognizer.load(folder)
    assert "tokenizer.json" in str(caught.value)
