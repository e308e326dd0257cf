"""``voxpad models ...`` and the NAME forms of ``transcribe --model`` / ``speak --voice``, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from model_copies import listed_names, model_home, voice_copy, whisper_copy  # noqa: F401
from model_server import ModelFileServer, catalogue_file_entry, write_catalogue

from voxpad.cli import main
from voxpad.config import load_settings
from voxpad.models.defaults import bundled_voice

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "speech"
BIRCH = SPEECH / "speechbrain_example1.wav"


def voxpad(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def models_json(capsys) -> list[dict]:
    code, out, err = voxpad(capsys, "models", "list", "--json")
    assert code == 0 and err == ""
    return json.loads(out)


def test_list_json_as_a_separate_process(model_home):
    # The real entry point, as a user or a script runs it.
    done = subprocess.run([sys.executable, "-m", "voxpad", "models", "list", "--json"], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["kind"], r["name"], r["bundled"], r["active"]) for r in rows] == [
        ("stt", "tiny.en", True, True), ("tts", "en_US-joe-medium", True, True)]
    assert rows[0]["languages"] == ["en"] and rows[1]["languages"] == ["en_US"]
    assert rows[1]["path"] == str(bundled_voice().model)


def test_import_use_list_remove(capsys, model_home, tmp_path):
    code, out, err = voxpad(capsys, "models", "import", str(whisper_copy(tmp_path / "tiny-copy")))
    assert (code, err) == (0, "") and "Installed tiny-copy" in out
    code, out, _ = voxpad(capsys, "models", "import", str(voice_copy(tmp_path / "v", "joe-copy")), "--name", "joe2")
    assert code == 0 and "Installed joe2" in out

    assert voxpad(capsys, "models", "use", "tiny-copy")[0] == 0
    assert voxpad(capsys, "models", "use", "joe2")[0] == 0
    rows = {r["name"]: r for r in models_json(capsys)}
    assert set(rows) == {"tiny.en", "tiny-copy", "en_US-joe-medium", "joe2"}
    assert [name for name, r in rows.items() if r["active"]] == ["tiny-copy", "joe2"]
    assert rows["joe2"]["path"] == str(model_home / "voices" / "joe2.onnx")
    assert load_settings().speech_model == str(model_home / "models" / "stt" / "tiny-copy")

    code, out, _ = voxpad(capsys, "models", "remove", "joe2")
    assert code == 0 and out == "Removed joe2; Voxpad uses the bundled one again.\n"
    assert load_settings().voice_model is None
    rows = {r["name"]: r for r in models_json(capsys)}
    assert "joe2" not in rows and rows["en_US-joe-medium"]["active"]

    # Human-readable list.
    code, out, _ = voxpad(capsys, "models", "list")
    assert code == 0 and "tiny-copy" in out and "[active]" in out and "[bundled]" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["models", "remove", "tiny.en"], "voxpad: tiny.en comes with Voxpad and cannot be removed.\n"),
    (["models", "remove", "en_US-joe-medium"], "voxpad: en_US-joe-medium comes with Voxpad and cannot be removed.\n"),
    (["models", "remove", "ghost"],
     "voxpad: No model or voice called ghost is installed; 'voxpad models list' shows the installed ones.\n"),
    (["models", "use", "ghost"],
     "voxpad: No model or voice called ghost is installed; 'voxpad models list' shows the installed ones.\n"),
    (["models", "download", "ghost"],
     "voxpad: There is no model or voice called ghost in the catalogue; "
     "'voxpad models available' lists what can be downloaded.\n"),
])
def test_refusals_are_one_sentence(capsys, model_home, argv, message):
    code, out, err = voxpad(capsys, *argv)
    assert (code, out, err) == (1, "", message)


def test_import_broken_model_is_one_sentence(capsys, model_home, tmp_path):
    code, out, err = voxpad(capsys, "models", "import", str(whisper_copy(tmp_path / "nok", skip=("tokenizer.json",))))
    assert (code, out) == (1, "")
    assert err == "voxpad: The folder nok is not a complete Whisper model: tokenizer.json is missing.\n"
    assert listed_names() == ["tiny.en", "en_US-joe-medium"]


def test_download_from_a_mirror_given_by_environment(capsys, model_home, monkeypatch):
    voice = bundled_voice()
    server = ModelFileServer(files={"v/x.onnx": voice.model, "v/x.onnx.json": voice.config}).start()
    try:
        write_catalogue(model_home, [{"kind": "tts", "name": "en_US-mirror-medium", "languages": ["en_US"],
                                      "files": [catalogue_file_entry("v/x.onnx.json", voice.config),
                                                catalogue_file_entry("v/x.onnx", voice.model)]}])
        monkeypatch.setenv("VOXPAD_MODEL_MIRROR", server.url)
        code, out, err = voxpad(capsys, "models", "available", "--json")
        assert code == 0 and {"name": "en_US-mirror-medium", "installed": False}.items() <= \
            [e for e in json.loads(out) if e["name"] == "en_US-mirror-medium"][0].items()
        code, out, err = voxpad(capsys, "models", "download", "en_US-mirror-medium")
        assert code == 0, err
        assert f"from {server.url}" in err and "Installed en_US-mirror-medium" in out
        assert [r.path for r in server.requests] == ["v/x.onnx.json", "v/x.onnx"]
    finally:
        server.stop()
    assert "en_US-mirror-medium" in listed_names("tts")


def test_transcribe_and_speak_accept_installed_names(capsys, model_home, tmp_path):
    voxpad(capsys, "models", "import", str(whisper_copy(tmp_path / "tiny-named")))
    voxpad(capsys, "models", "import", str(voice_copy(tmp_path / "v", "joe-named")))
    code, out, err = voxpad(capsys, "transcribe", "--model", "tiny-named", "--beam-size", "1", str(BIRCH))
    assert code == 0, err
    assert "birch canoe" in out.lower()
    wav = tmp_path / "out.wav"
    code, _, err = voxpad(capsys, "speak", "Hello there.", "--voice", "joe-named", "-o", str(wav))
    assert code == 0, err
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() > 10_000
    code, _, err = voxpad(capsys, "transcribe", "--model", "small", str(BIRCH))
    assert code == 1
    assert err == ("voxpad: small is neither a file nor an installed speech model; "
                   "'voxpad models list' shows the installed ones.\n")
    code, _, err = voxpad(capsys, "speak", "Hi.", "--voice", "nobody", "-o", str(wav))
    assert code == 1 and err.startswith("voxpad: nobody is neither a file nor an installed voice")


def test_models_use_sets_the_default_for_speak_and_transcribe(capsys, model_home, tmp_path):
    voxpad(capsys, "models", "import", str(voice_copy(tmp_path / "v", "chosen")))
    voxpad(capsys, "models", "use", "chosen")
    # Break the chosen voice behind the store's back: the failure proves speak used it by default.
    (model_home / "voices" / "chosen.onnx.json").write_text("{}", encoding="utf-8")
    code, _, err = voxpad(capsys, "speak", "Hi.", "-o", str(tmp_path / "x.wav"))
    assert code == 1 and err.startswith("voxpad: The voice chosen.onnx could not be loaded")
    whisper_copy(tmp_path / "tiny-chosen", skip=("tokenizer.json",))
    settings = load_settings()
    settings.speech_model = str(tmp_path / "tiny-chosen")  # what an older version may have saved
    from voxpad.config import save_settings

    save_settings(settings)
    code, _, err = voxpad(capsys, "transcribe", str(BIRCH))
    assert code == 1 and "tokenizer.json is missing" in err
