"""The piper voice: loading, synthesis heard back by Whisper, speed, odd text, WAV export."""

from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest
from speech_metrics import wer

from voxpad.errors import AudioFileError, ModelError
from voxpad.models.defaults import bundled_voice
from voxpad.tts.voice import Voice, sanitise

SENTENCE = "The quick brown fox jumps over the lazy dog."


def transcribe(whisper, audio: np.ndarray | str) -> str:
    """What Whisper hears in ``audio`` (16 kHz float32) or in a file."""
    segments, _ = whisper.transcribe(audio, beam_size=1, language="en")
    return " ".join(segment.text for segment in segments)


def to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    from voxpad.audio.resample import resample

    return resample(samples, rate, 16_000)


def test_bundled_voice_loads_with_its_rate_and_name(voice):
    assert voice.sample_rate == 22050
    assert voice.name == "en_US-joe-medium"


def test_synthesised_sentence_is_heard_back_by_whisper(voice, whisper):
    samples = voice.synthesize(SENTENCE)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert np.abs(samples).max() <= 1.0
    assert 1.5 < len(samples) / voice.sample_rate < 5
    assert wer([SENTENCE], [transcribe(whisper, to_16k(samples, voice.sample_rate))]) <= 0.15


def test_speed_changes_duration_and_is_clamped(voice):
    def seconds(speed: float) -> float:
        return len(voice.synthesize(SENTENCE, speed=speed)) / voice.sample_rate

    normal, fast, slow = seconds(1.0), seconds(2.0), seconds(0.5)
    assert fast < normal * 0.7 and slow > normal * 1.5
    # Out-of-range speeds act like the nearest limit (durations carry a little noise).
    assert seconds(10.0) == pytest.approx(fast, rel=0.2)
    assert seconds(0.01) == pytest.approx(slow, rel=0.2)


@pytest.mark.parametrize("text", [
    "Hello\x00 world\x07 \x1b[31m again",
    "zero\u200bwidth\u00adsoft\u202eright-to-left\u202c done",
    "lone \ud800 surrogate and private \ue000 use",
    "emoji 😀🎉 and ﬁ ligature and ＦＵＬＬ width",
    "[[ h ə l ˈ o ʊ ]] looks like raw phonemes",
    "tab\tseparated\r\nlines\x0bwith\x0cfeeds",
])
def test_odd_characters_do_not_crash(voice, text):
    samples = voice.synthesize(text)
    assert samples.dtype == np.float32 and len(samples) > 0


def test_nothing_to_pronounce_gives_empty_audio(voice):
    for text in ["", "   ", "\x00\x01", "...", "\u200b"]:
        assert len(voice.synthesize(text)) == 0


def test_sanitise_folds_and_drops_invisible_characters():
    assert sanitise("a\x00b  c\u200bd\u00ade ﬁ [[x]]\n") == "a b cde fi [ [x] ]"


def test_whole_document_to_wav(voice, whisper, tmp_path):
    document = "First, a short sentence. Then a second one!\n\nAnd a third paragraph."
    path = tmp_path / "out.wav"
    progress = []
    seconds = voice.synthesize_to_wav(document, path, speed=1.2, on_progress=lambda *p: progress.append(p))
    assert progress == [(1, 3), (2, 3), (3, 3)]
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() / 22050 == pytest.approx(seconds)
    assert wer([document], [transcribe(whisper, str(path))]) <= 0.2


def test_unwritable_wav_path_is_an_audio_file_error(voice, tmp_path):
    with pytest.raises(AudioFileError, match="Cannot write the audio file"):
        voice.synthesize_to_wav("Hello.", tmp_path / "missing-folder" / "out.wav")


@pytest.fixture
def voice_copy(tmp_path):
    """A copy of the bundled voice that a test may damage."""
    bundled = bundled_voice()
    model = tmp_path / "copy.onnx"
    shutil.copy(bundled.model, model)
    shutil.copy(bundled.config, tmp_path / "copy.onnx.json")
    return model


def test_corrupt_model_file_is_a_model_error_naming_it(voice_copy):
    voice_copy.write_bytes(b"this is not an onnx model" * 100)
    with pytest.raises(ModelError, match="copy.onnx could not be loaded"):
        Voice.load(voice_copy)


def test_broken_config_json_is_a_model_error(voice_copy):
    config = voice_copy.with_name("copy.onnx.json")
    config.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelError, match="copy.onnx"):
        Voice.load(voice_copy)
    config.write_text('{"audio": {}}', encoding="utf-8")  # valid JSON, not a voice config
    with pytest.raises(ModelError, match="copy.onnx"):
        Voice.load(voice_copy)


def test_missing_voice_files_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        Voice.load(tmp_path / "nowhere.onnx")
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"x")
    with pytest.raises(ModelError, match="lonely.onnx.json is missing"):
        Voice.load(lonely)


def test_a_loaded_copy_of_the_voice_works(voice_copy):
    assert len(Voice.load(voice_copy).synthesize("Hi.")) > 0


def test_the_alignment_patch_is_made_once_and_cached_by_content(tmp_path, monkeypatch):
    # Patching in memory held the GIL ~0.3 s at every load and froze the window meanwhile.
    from voxpad.tts import voice as voice_module

    monkeypatch.setenv("VOXPAD_CACHE_DIR", str(tmp_path / "cache"))
    first = Voice.load()
    cached = list((tmp_path / "cache" / "aligned-voices").glob("*.onnx"))
    assert len(cached) == 1 and cached[0].name.startswith("en_US-joe-medium-")
    assert not list(cached[0].parent.glob(".partial-*"))
    made = cached[0].stat().st_mtime_ns
    calls = []
    monkeypatch.setattr("onnx.load", lambda *a, **k: calls.append(a))  # a reload must not patch again
    second = Voice.load()
    assert calls == [] and cached[0].stat().st_mtime_ns == made
    for loaded in (first, second):
        spoken = loaded.synthesize_words(SENTENCE)
        assert spoken.aligned and len(spoken.words) == len(SENTENCE.split())
    assert voice_module.aligned_model_cache() == tmp_path / "cache" / "aligned-voices"


def test_an_unwritable_cache_still_loads_the_voice_with_alignments(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("VOXPAD_CACHE_DIR", str(blocker))
    spoken = Voice.load().synthesize_words(SENTENCE)
    assert spoken.aligned and len(spoken.words) == len(SENTENCE.split())


def test_the_voice_knows_its_language(voice):
    assert voice.language == "en_US"


def test_the_cache_is_private_to_the_user(tmp_path, monkeypatch):
    import stat

    monkeypatch.delenv("VOXPAD_CACHE_DIR", raising=False)
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path / "data"))
    Voice.load()
    cache = tmp_path / "data" / "cache"
    for path in [cache, *cache.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
