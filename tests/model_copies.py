"""Copies of the bundled model and voice, whole or deliberately broken, for import and download tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from voxpad.models.defaults import bundled_voice, bundled_whisper_model


@pytest.fixture
def model_home(tmp_path, monkeypatch) -> Path:
    """Fresh settings and data folders for one test (the store lives in the data folder)."""
    monkeypatch.setenv("VOXPAD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VOXPAD_MODEL_MIRROR", raising=False)
    return tmp_path / "data"


def whisper_copy(target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """The bundled tiny.en's files linked into ``target`` (links: a 78 MB copy per test is waste)."""
    target.mkdir(parents=True)
    for item in bundled_whisper_model().iterdir():
        if item.name not in skip:
            os.symlink(item, target / item.name)
    return target


def voice_copy(folder: Path, name: str = "copy-voice", *, language: str | None = None) -> Path:
    """The bundled voice as ``folder/<name>.onnx`` + ``.onnx.json``; ``language`` rewrites its language code."""
    folder.mkdir(parents=True, exist_ok=True)
    voice = bundled_voice()
    model = folder / f"{name}.onnx"
    os.symlink(voice.model, model)
    config = json.loads(voice.config.read_text(encoding="utf-8"))
    if language:
        config["language"] = dict(config.get("language", {}), code=language, family=language.split("_")[0])
    (folder / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def listed_names(kind: str | None = None) -> list[str]:
    from voxpad.models import store

    return [m.name for m in store.list_installed(kind)]


def leftovers(data_dir: Path) -> list[str]:
    """Hidden staging folders left in the store (there must never be any after an operation)."""
    found = []
    for parent in (data_dir / "models" / "stt", data_dir / "voices"):
        if parent.is_dir():
            found += [p.name for p in parent.iterdir() if p.name.startswith(".")]
    return found


def copy_file(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
