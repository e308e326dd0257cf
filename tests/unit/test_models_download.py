"""Real downloads from a real HTTP server on 127.0.0.1 serving copies of the bundled model and voice.

Covers success, resume after a dropped connection, a corrupted file, cancel then resume, a
missing file, and the server's own checksum header. No other network is used.
"""

from __future__ import annotations

import pytest
from model_copies import copy_file, leftovers, listed_names, model_home  # noqa: F401
from model_server import ModelFileServer, catalogue_file_entry, corrupted_copy, sha256_of, write_catalogue

from voxpad.errors import Cancelled, ModelError
from voxpad.models import catalogue
from voxpad.models.defaults import bundled_voice, bundled_whisper_model
from voxpad.models.download import ModelDownload, partial_dir
from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.tts.voice import Voice

VOICE_ONNX = "voices/xx/xx_XX-mirror-medium.onnx"
VOICE_JSON = VOICE_ONNX + ".json"
WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")


@pytest.fixture
def server():
    served = ModelFileServer()
    voice = bundled_voice()
    served.files[VOICE_ONNX] = voice.model
    served.files[VOICE_JSON] = voice.config
    for name in WHISPER_FILES:
        served.files[f"whisper/tiny-mirror/{name}"] = bundled_whisper_model() / name
    served.start()
    yield served
    served.stop()


def voice_entry(name: str = "xx_XX-mirror-medium", *, pin: bool = True, sources=None) -> dict:
    voice = bundled_voice()
    model, config = sources or (voice.model, voice.config)
    return {"kind": "tts", "name": name, "languages": ["en_US"], "hint": "test voice", "files": [
        catalogue_file_entry(VOICE_JSON, config, pin=pin),
        catalogue_file_entry(VOICE_ONNX, model, pin=pin),
    ]}


def whisper_entry() -> dict:
    folder = bundled_whisper_model()
    return {"kind": "stt", "name": "tiny-mirror", "languages": ["en"], "hint": "test model", "files": [
        catalogue_file_entry(f"whisper/tiny-mirror/{name}", folder / name) for name in WHISPER_FILES]}


def download(name: str, server: ModelFileServer, **kwargs):
    return ModelDownload(catalogue.find_entry(name), server.url, retry_pause=0.0).run(**kwargs)


def test_download_voice_installs_it_and_reports_progress(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    seen = []
    voice = download("xx_XX-mirror-medium", server, progress=lambda done, total: seen.append((done, total)))
    assert voice.path == model_home / "voices" / "xx_XX-mirror-medium.onnx"
    assert sha256_of(voice.path) == sha256_of(bundled_voice().model)
    assert "xx_XX-mirror-medium" in listed_names("tts")
    assert Voice.load(voice.path).synthesize("Hello.").size > 0
    total = bundled_voice().model.stat().st_size + bundled_voice().config.stat().st_size
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)  # only forward
    assert not partial_dir(catalogue.find_entry("xx_XX-mirror-medium")).exists()
    assert leftovers(model_home) == []


def test_download_whisper_model_installs_a_loadable_folder(model_home, server):
    write_catalogue(model_home, [whisper_entry()])
    model = download("tiny-mirror", server)
    assert model.path == model_home / "models" / "stt" / "tiny-mirror"
    assert sorted(p.name for p in model.path.iterdir()) == sorted(WHISPER_FILES)
    assert listed_names("stt") == ["tiny.en", "tiny-mirror"]
    assert SpeechRecognizer.load(model.path).path == model.path


def test_dropped_connection_resumes_where_it_stopped(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    server.drop_after[VOICE_ONNX] = 10_000_000
    voice = download("xx_XX-mirror-medium", server)
    assert server.ranged_requests(VOICE_ONNX) == ["bytes=10000000-"]
    assert sha256_of(voice.path) == sha256_of(bundled_voice().model)


def test_connection_that_keeps_dropping_fails_with_a_sentence_and_keeps_the_partial(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    server.always_drop.add(VOICE_ONNX)
    with pytest.raises(ModelError, match=r"^The download of xx_XX-mirror-medium stopped \(.*\); run it again "
                                         r"to continue where it left off\.$"):
        download("xx_XX-mirror-medium", server)
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []
    part = partial_dir(catalogue.find_entry("xx_XX-mirror-medium")) / "xx_XX-mirror-medium.onnx.part"
    kept = part.stat().st_size
    assert kept > 0
    # Each retry asked only for the rest of the file.
    assert len(server.ranged_requests(VOICE_ONNX)) == 3
    earlier = len(server.ranged_requests(VOICE_ONNX))
    server.always_drop.clear()
    download("xx_XX-mirror-medium", server)  # the next attempt continues from the partial file
    assert server.ranged_requests(VOICE_ONNX)[earlier:] == [f"bytes={kept}-"]
    assert "xx_XX-mirror-medium" in listed_names("tts")


def test_corrupted_file_fails_the_checksum_and_installs_nothing(model_home, server, tmp_path):
    write_catalogue(model_home, [voice_entry()])
    server.files[VOICE_ONNX] = corrupted_copy(bundled_voice().model, tmp_path / "bad.onnx")
    with pytest.raises(ModelError) as caught:
        download("xx_XX-mirror-medium", server)
    assert str(caught.value) == (
        "The download of xx_XX-mirror-medium was damaged (xx_XX-mirror-medium.onnx: its checksum does not "
        "match), so nothing was installed; try again, or use another mirror.")
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []
    assert not (model_home / "voices" / "xx_XX-mirror-medium.onnx").exists()
    # The damaged part is thrown away, so the retry downloads it afresh and succeeds.
    server.files[VOICE_ONNX] = bundled_voice().model
    download("xx_XX-mirror-medium", server)
    assert "xx_XX-mirror-medium" in listed_names("tts")


def test_wrong_size_is_refused(model_home, server, tmp_path):
    short = tmp_path / "short.onnx.json"
    short.write_bytes(bundled_voice().config.read_bytes()[:-10])
    write_catalogue(model_home, [voice_entry()])
    server.files[VOICE_JSON] = short
    with pytest.raises(ModelError, match=r"has \d+ bytes instead of \d+\), so nothing was installed"):
        download("xx_XX-mirror-medium", server)
    assert listed_names("tts") == ["en_US-joe-medium"]


def test_cancel_stops_installs_nothing_and_a_later_download_resumes(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    progress = []
    with pytest.raises(Cancelled, match="^The download of xx_XX-mirror-medium was cancelled.$"):
        download("xx_XX-mirror-medium", server, progress=lambda done, total: progress.append(done),
                 cancelled=lambda: bool(progress) and progress[-1] > 5_000_000)
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []
    kept = partial_dir(catalogue.find_entry("xx_XX-mirror-medium")) / "xx_XX-mirror-medium.onnx.part"
    kept_bytes = kept.stat().st_size
    assert 0 < kept_bytes < bundled_voice().model.stat().st_size
    download("xx_XX-mirror-medium", server)
    assert server.ranged_requests(VOICE_ONNX) == [f"bytes={kept_bytes}-"]
    assert "xx_XX-mirror-medium" in listed_names("tts")


def test_missing_file_on_the_server_is_a_sentence(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    del server.files[VOICE_JSON]
    with pytest.raises(ModelError, match=r"^The server has no xx_XX-mirror-medium.onnx.json for "
                                         r"xx_XX-mirror-medium \(not found\); check the mirror address\.$"):
        download("xx_XX-mirror-medium", server)
    assert listed_names("tts") == ["en_US-joe-medium"]


def test_server_checksum_header_is_verified_when_the_catalogue_pins_none(model_home, server):
    write_catalogue(model_home, [voice_entry(pin=False)])
    server.linked_etags[VOICE_ONNX] = "0" * 64  # what Hugging Face sends, but wrong
    with pytest.raises(ModelError, match="its checksum does not match"):
        download("xx_XX-mirror-medium", server)
    server.linked_etags[VOICE_ONNX] = sha256_of(bundled_voice().model)
    download("xx_XX-mirror-medium", server)
    assert "xx_XX-mirror-medium" in listed_names("tts")


def test_a_download_that_does_not_load_is_not_installed(model_home, server, tmp_path):
    junk = copy_file(bundled_voice().config, tmp_path / "junk.onnx")  # JSON where ONNX should be
    write_catalogue(model_home, [voice_entry(sources=(junk, bundled_voice().config))])
    server.files[VOICE_ONNX] = junk
    with pytest.raises(ModelError, match="could not be loaded"):
        download("xx_XX-mirror-medium", server)
    assert listed_names("tts") == ["en_US-joe-medium"] and leftovers(model_home) == []


def test_already_installed_is_refused(model_home, server):
    write_catalogue(model_home, [voice_entry()])
    download("xx_XX-mirror-medium", server)
    with pytest.raises(ModelError, match="^xx_XX-mirror-medium is already installed.$"):
        download("xx_XX-mirror-medium", server)


def test_mirror_setting_and_environment(monkeypatch):
    monkeypatch.delenv("VOXPAD_MODEL_MIRROR", raising=False)
    assert catalogue.base_url() == "https://huggingface.co/"
    assert catalogue.base_url("http://mirror.local/models") == "http://mirror.local/models/"
    monkeypatch.setenv("VOXPAD_MODEL_MIRROR", "http://127.0.0.1:9/")
    assert catalogue.base_url("http://mirror.local/models") == "http://127.0.0.1:9/"


def test_built_in_catalogue_points_at_the_usual_hosts(model_home):
    entries = {e.name: e for e in catalogue.entries()}
    base = entries["base"]
    assert base.kind == "stt" and base.languages == ("multilingual",)
    assert [f.filename for f in base.files] == list(WHISPER_FILES)
    assert base.files[1].url_path == "Systran/faster-whisper-base/resolve/main/model.bin"
    voice = entries["de_DE-thorsten-medium"]
    assert voice.files[1].url_path == ("rhasspy/piper-voices/resolve/main/de/de_DE/thorsten/medium/"
                                       "de_DE-thorsten-medium.onnx")
    assert all(e.size > 0 for e in entries.values())
    with pytest.raises(ModelError, match="There is no model or voice called nothing in the catalogue"):
        catalogue.find_entry("nothing")
