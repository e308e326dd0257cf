"""The model store: list, import (valid and broken), use, remove, names, languages. Real models."""

from __future__ import annotations

import json

import pytest
from model_copies import leftovers, listed_names, model_home, voice_copy, whisper_copy  # noqa: F401

from voxpad.config import Settings
from voxpad.errors import ModelError
from voxpad.models import store
from voxpad.models.defaults import bundled_voice, bundled_whisper_model
from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.tts.voice import Voice


def test_bundled_defaults_are_always_listed_and_active_by_default(model_home):
    models = {m.name: m for m in store.list_installed()}
    assert set(models) == {"tiny.en", "en_US-joe-medium"}
    tiny, joe = models["tiny.en"], models["en_US-joe-medium"]
    assert (tiny.kind, tiny.bundled, tiny.languages, tiny.path) == ("stt", True, ("en",), bundled_whisper_model())
    assert (joe.kind, joe.bundled, joe.languages, joe.path) == ("tts", True, ("en_US",), bundled_voice().model)
    assert tiny.size > 70_000_000 and joe.size > 60_000_000
    assert tiny.hint and joe.hint == "medium quality"
    assert tiny.is_active(Settings()) and joe.is_active(Settings())


def test_import_valid_whisper_folder_installs_a_loadable_copy(model_home, tmp_path):
    source = whisper_copy(tmp_path / "my-tiny")
    model = store.import_model(source)
    assert model.name == "my-tiny" and not model.bundled
    assert model.path == model_home / "models" / "stt" / "my-tiny"
    assert not model.path.is_symlink() and not (model.path / "model.bin").is_symlink()  # a real copy
    assert listed_names("stt") == ["tiny.en", "my-tiny"]
    assert SpeechRecognizer.load(model.path).multilingual is False
    assert leftovers(model_home) == []


def test_import_name_option_and_duplicates_refused(model_home, tmp_path):
    source = whisper_copy(tmp_path / "folder")
    assert store.import_model(source, "fast").name == "fast"
    with pytest.raises(ModelError, match="called fast is already installed"):
        store.import_model(source, "fast")
    with pytest.raises(ModelError, match="called tiny.en is already installed"):
        store.import_model(source, "tiny.en")
    with pytest.raises(ModelError, match="cannot be used as a name"):
        store.import_model(source, "../escape")


@pytest.mark.parametrize("missing", ["tokenizer.json", "config.json", "model.bin", "vocabulary.txt"])
def test_import_incomplete_whisper_folder_is_refused_with_the_missing_file(model_home, tmp_path, missing):
    source = whisper_copy(tmp_path / "partial", skip=(missing,))
    with pytest.raises(ModelError) as caught:
        store.import_model(source)
    message = str(caught.value)
    assert message == f"The folder partial is not a complete Whisper model: {missing} is missing."
    assert listed_names("stt") == ["tiny.en"] and leftovers(model_home) == []


def test_import_whisper_folder_that_does_not_load_is_refused(model_home, tmp_path):
    source = whisper_copy(tmp_path / "broken", skip=("model.bin",))
    (source / "model.bin").write_bytes(b"not a ctranslate2 model" * 100)
    with pytest.raises(ModelError, match=r"could not be loaded; it may be damaged or not a Whisper model"):
        store.import_model(source)
    assert listed_names("stt") == ["tiny.en"]
    assert leftovers(model_home) == [] and not (model_home / "models" / "stt" / "broken").exists()


def test_import_voice_keeps_the_voices_folder_layout(model_home, tmp_path):
    source = voice_copy(tmp_path / "src", "my-voice")
    voice = store.import_model(source)
    assert voice.name == "my-voice" and voice.kind == "tts" and voice.languages == ("en_US",)
    assert voice.path == model_home / "voices" / "my-voice.onnx"
    assert (model_home / "voices" / "my-voice.onnx.json").is_file()
    assert listed_names("tts") == ["en_US-joe-medium", "my-voice"]
    assert Voice.load(voice.path).sample_rate == 22050
    # Chosen by its .onnx.json works too, and --name renames both files.
    renamed = store.import_model(source.with_name("my-voice.onnx.json"), "other")
    assert renamed.path.name == "other.onnx" and renamed.path.with_name("other.onnx.json").is_file()


def test_import_voice_without_settings_file_is_refused(model_home, tmp_path):
    source = voice_copy(tmp_path / "src", "lonely")
    source.with_name("lonely.onnx.json").unlink()
    with pytest.raises(ModelError, match=r"^The voice lonely.onnx has no settings file beside it"):
        store.import_model(source)
    assert listed_names("tts") == ["en_US-joe-medium"]


def test_import_voice_with_damaged_settings_is_refused(model_home, tmp_path):
    source = voice_copy(tmp_path / "src", "garbled")
    source.with_name("garbled.onnx.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"^The voice settings file garbled.onnx.json is damaged"):
        store.import_model(source)
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []


def test_import_voice_whose_model_does_not_load_is_refused(model_home, tmp_path):
    source = voice_copy(tmp_path / "src", "junk")
    source.unlink()
    source.write_bytes(b"\x00" * 4096)
    with pytest.raises(ModelError, match=r"^The voice junk.onnx could not be loaded"):
        store.import_model(source)
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []


def test_import_something_else_is_refused(model_home, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelError, match="is neither a Whisper model folder nor a piper .onnx voice"):
        store.import_model(text)
    with pytest.raises(ModelError, match="does not exist"):
        store.import_model(tmp_path / "nothing")


def test_use_and_remove(model_home, tmp_path):
    installed = store.import_model(voice_copy(tmp_path / "src", "spare"))
    settings = Settings()
    store.use_model("spare", settings)
    assert settings.voice_model == str(installed.path)
    active = [m.name for m in store.list_installed() if m.is_active(settings)]
    assert active == ["tiny.en", "spare"]

    removed = store.remove_model("spare")
    assert store.forget_if_active(removed, settings) and settings.voice_model is None
    assert listed_names("tts") == ["en_US-joe-medium"]
    assert not installed.path.exists() and not installed.path.with_name("spare.onnx.json").exists()

    store.use_model("tiny.en", settings)
    assert settings.speech_model is None
    with pytest.raises(ModelError, match=r"^tiny.en comes with Voxpad and cannot be removed\.$"):
        store.remove_model("tiny.en")
    with pytest.raises(ModelError, match="No model or voice called nope is installed"):
        store.remove_model("nope")


def test_remove_speech_model_deletes_its_folder(model_home, tmp_path):
    model = store.import_model(whisper_copy(tmp_path / "gone"))
    store.remove_model("gone")
    assert not model.path.exists() and leftovers(model_home) == []


def test_resolve_takes_installed_names_or_paths(model_home, tmp_path):
    voice = store.import_model(voice_copy(tmp_path / "src", "named"))
    assert store.resolve("named", store.TTS) == voice.path
    assert store.resolve("en_US-joe-medium", store.TTS) == bundled_voice().model
    assert store.resolve("tiny.en", store.STT) == bundled_whisper_model()
    assert store.resolve(str(tmp_path / "src" / "named.onnx"), store.TTS) == tmp_path / "src" / "named.onnx"
    assert store.resolve(None, store.STT) is None
    with pytest.raises(ModelError, match=r"^base is neither a file nor an installed speech model"):
        store.resolve("base", store.STT)


def test_half_installed_things_are_never_listed(model_home, tmp_path):
    # What a crash mid-install could leave: a staging folder, a voice without its settings, an empty folder.
    stt = model_home / "models" / "stt"
    whisper_copy(stt / ".incoming-abc")
    (stt / "empty").mkdir()
    voices = model_home / "voices"
    voice_copy(voices, "half").with_name("half.onnx.json").unlink()
    assert listed_names() == ["tiny.en", "en_US-joe-medium"]


def test_multilingual_model_lists_whisper_languages(model_home, tmp_path):
    # A multilingual vocabulary has one more token than tiny.en's; the rest of the copy is tiny.en.
    source = whisper_copy(tmp_path / "multi", skip=("vocabulary.txt",))
    vocabulary = (bundled_whisper_model() / "vocabulary.txt").read_text(encoding="utf-8")
    (source / "vocabulary.txt").write_text(vocabulary + "<|extra|>\n", encoding="utf-8")
    model = store.describe_speech_model(source)
    assert model.multilingual and {"en", "de", "fr", "ja"} <= set(model.languages)


def test_voice_for_language(model_home, tmp_path):
    assert store.voice_for_language("en").name == "en_US-joe-medium"
    assert store.voice_for_language("de") is None
    store.import_model(voice_copy(tmp_path / "a", "de_DE-test-medium", language="de_DE"))
    store.import_model(voice_copy(tmp_path / "b", "de_AT-test-medium", language="de_AT"))
    assert store.voice_for_language("de_AT").name == "de_AT-test-medium"
    assert store.voice_for_language("de-at").name == "de_AT-test-medium"
    settings = Settings()
    store.use_model("de_AT-test-medium", settings)
    assert store.voice_for_language("de", settings).name == "de_AT-test-medium"  # the active one wins
    assert store.voice_for_language("de_DE", settings).name == "de_DE-test-medium"  # exact beats active
    assert store.voice_for_language("en", settings).name == "en_US-joe-medium"
    assert store.voice_for_language("") is None


def test_listed_json_has_the_contract_keys(model_home):
    rows = [m.as_json(m.is_active(Settings())) for m in store.list_installed()]
    for row in rows:
        assert {"kind", "name", "path", "languages", "bundled", "active"} <= set(row)
        json.dumps(row)
