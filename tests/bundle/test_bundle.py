"""The PyInstaller bundle: built from this checkout, unpacked elsewhere, run with an empty
environment (no venv, no Python on PATH that has Voxpad), and installed for a user."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import tarfile
import time
import wave
from pathlib import Path

import pytest

import voxpad
from bundle_support import REPO, Bundle, clean_env
from speech_metrics import wer

# Not deselected by default: CI's plain `pytest` runs these (`-m "not bundle"` skips them locally).
pytestmark = pytest.mark.bundle

APP_ID = voxpad.APP_ID


def run(bundle: Bundle, args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300):
    return subprocess.run([str(bundle.program), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_tarball_holds_one_voxpad_folder_with_the_program(bundle):
    with tarfile.open(bundle.tarball) as archive:
        tops = {name.split("/", 1)[0] for name in archive.getnames()}
    assert tops == {"voxpad"}
    assert os.access(bundle.program, os.X_OK)
    size_mb = bundle.tarball.stat().st_size / 1e6
    assert size_mb < 350, f"the tarball is {size_mb:.0f} MB; the bar is 350 MB"


def test_bundle_leaves_out_unused_qt_and_test_packages(bundle):
    internal = bundle.root / "_internal"
    names = {p.relative_to(internal).as_posix() for p in internal.rglob("*")}
    for unwanted in ("libQt6Qml", "libQt6Quick", "libQt6Pdf", "libQt6Sql", "libQt6Test",
                     "libQt6WebEngine", "libQt63D", "tkinter", "_tkinter", "pytest", "hypothesis", "hf_xet",
                     "libgtk-3", "plugins/sqldrivers", "plugins/qmltooling", "plugins/printsupport"):
        found = [n for n in names if unwanted in n]
        assert not found, f"{unwanted} should not be in the bundle: {found[:3]}"
    for wanted in ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
                   "PySide6/Qt/plugins/iconengines/libqsvgicon.so", "libportaudio.so.2",
                   "piper/espeak-ng-data/phontab", "voxpad_resources/voxpad.svg"):
        assert wanted in names, f"{wanted} is missing from the bundle"
    assert any(n.startswith("faster_whisper/assets/silero_vad") for n in names)
    # ALSA must be the system's, to match the system's ALSA plugins and configuration.
    assert "libasound.so.2" not in names


def test_frozen_version_is_the_one_version(bundle, tmp_path):
    result = run(bundle, ["--version"], clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"voxpad {voxpad.__version__}"
    assert bundle.tarball.name == f"voxpad-{voxpad.__version__}-linux-x86_64.tar.gz"


def test_frozen_self_test_passes_with_an_empty_environment(bundle, tmp_path):
    # No DISPLAY: the self-test opens the window on Qt's offscreen platform.
    result = run(bundle, ["--self-test"], clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Self-test passed." in result.stdout
    assert "Traceback" not in result.stderr
    # onnx is bundled so piper reports phoneme timings: word highlighting is exact, not estimated.
    assert "word timings from the voice" in result.stdout


def test_frozen_transcription_of_real_speech(bundle, tmp_path, jfk_wav, speech_clips):
    reference = dict((path.name, text) for path, text in speech_clips)[jfk_wav.name]
    # The working directory is elsewhere, so no path may lean on it.
    result = run(bundle, ["transcribe", str(jfk_wav)], clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert wer([reference], [result.stdout]) < 0.15, result.stdout


def test_frozen_speak_writes_speech_that_transcribes_back(bundle, tmp_path):
    out = tmp_path / "out.wav"
    sentence = "Offline dictation works without a network."
    result = run(bundle, ["speak", sentence, "-o", str(out)], clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    with wave.open(str(out), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 1.0 < seconds < 10.0
    heard = run(bundle, ["transcribe", str(out)], clean_env(tmp_path), tmp_path)
    assert heard.returncode == 0, heard.stderr
    assert wer([sentence], [heard.stdout]) < 0.35, heard.stdout


def _wait_for_window(env: dict[str, str], pid: int, proc: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the app exited: " + proc.stderr.read()
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", "Voxpad"],
                               env=env, capture_output=True, text=True, timeout=30)
        if found.returncode == 0 and found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.1)
    raise AssertionError(f"no Voxpad window appeared within {timeout} s")


def test_frozen_window_opens_and_closes_on_the_x_server(bundle, tmp_path, desktop):
    env = clean_env(tmp_path, **desktop.env)
    proc = subprocess.Popen([str(bundle.program)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        window = _wait_for_window(env, proc.pid, proc)
        title = subprocess.run(["xdotool", "getwindowname", window], env=env, capture_output=True,
                               text=True, timeout=30).stdout
        assert "Voxpad" in title
        # Quit as a user does: Ctrl+Q in the window.
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True, timeout=30)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+q"],
                       env=env, check=True, timeout=30)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert proc.returncode == 0, stderr
    # What a bundling defect prints: a Qt plugin that did not load, a module or library left out.
    # (Other app errors on quit are the app's, the same in the venv; the e2e tests judge those.)
    for symptom in ("qt.qpa.plugin", "ModuleNotFoundError", "ImportError", "cannot open shared object",
                    "Failed to load dynlib", "could not be loaded"):
        assert symptom not in stderr, stderr


def test_missing_library_gives_one_sentence_not_a_loader_error(bundle, tmp_path, desktop):
    # A copy of the bundle (hard links: fast) lacking the library Qt's xcb plugin links to,
    # as if it were missing on the user's system: the app must say so in one sentence.
    broken = tmp_path / "voxpad"
    subprocess.run(["cp", "-al", str(bundle.root), str(broken)], check=True, timeout=120)
    (broken / "_internal" / "PySide6" / "Qt" / "lib" / "libQt6XcbQpa.so.6").unlink()
    env = clean_env(tmp_path, **desktop.env)
    result = subprocess.run([str(broken / "voxpad")], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "libQt6XcbQpa.so.6 is missing" in lines[0] and "open its window" in lines[0]


# --- install.sh ------------------------------------------------------------------------


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() + ("/" if p.is_dir() else "") for p in root.rglob("*")}


def test_install_for_a_user_and_uninstall_removes_only_what_it_added(bundle, tmp_path):
    home = tmp_path / "home"
    # Things the user already had: they must survive the uninstall untouched.
    (home / ".local" / "share" / "applications").mkdir(parents=True)
    (home / ".local" / "share" / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
    (home / ".local" / "bin").mkdir()
    (home / ".local" / "bin" / "other-tool").write_text("#!/bin/sh\n")
    (home / ".config").mkdir()
    before = _tree(home)

    env = clean_env(home)
    script = str(REPO / "packaging" / "install.sh")
    result = subprocess.run(["bash", script, str(bundle.tarball), "--autostart"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"voxpad {voxpad.__version__}" in result.stdout

    launcher = home / ".local" / "bin" / "voxpad"
    version = subprocess.run([str(launcher), "--version"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert version.stdout.strip() == f"voxpad {voxpad.__version__}"

    applications = home / ".local" / "share" / "applications"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(applications / f"{APP_ID}.desktop")
    assert entry["Desktop Entry"]["Exec"].split()[0] == str(launcher)
    validate = shutil.which("desktop-file-validate")
    if validate:
        checked = subprocess.run([validate, str(applications / f"{APP_ID}.desktop")], capture_output=True,
                                 text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    icons = home / ".local" / "share" / "icons" / "hicolor"
    for size in (16, 24, 32, 48, 64, 128, 256):
        assert (icons / f"{size}x{size}" / "apps" / "voxpad.png").is_file()
    assert (icons / "scalable" / "apps" / "voxpad.svg").is_file()
    assert (home / ".local" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (home / ".config" / "autostart" / f"{APP_ID}.desktop").is_file()
    assert (home / ".local" / "lib" / "voxpad" / "voxpad").is_file()

    # Installing again (an upgrade) with the installer inside the unpacked bundle replaces the
    # first install, and the installed copy's installer uninstalls cleanly.
    again = subprocess.run([str(bundle.root / "install.sh")], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not (home / ".config" / "autostart" / f"{APP_ID}.desktop").exists()
    installed_script = home / ".local" / "lib" / "voxpad" / "install.sh"
    onto_itself = subprocess.run([str(installed_script)], env=env, cwd=tmp_path, capture_output=True,
                                 text=True, timeout=60)
    assert onto_itself.returncode != 0 and (home / ".local" / "lib" / "voxpad" / "voxpad").is_file()

    removed = subprocess.run([str(installed_script), "--uninstall"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    leftovers = _tree(home) - before
    assert not leftovers, f"uninstall left: {sorted(leftovers)}"
    assert _tree(home) >= before, f"uninstall removed the user's own files: {sorted(before - _tree(home))}"


# --- .deb ----------------------------------------------------------------------------------


def test_deb_package_installs_the_bundle_menu_entry_and_icons(bundle, tmp_path):
    # build-deb.sh packs dist/voxpad, which the bundle fixture built.
    result = subprocess.run(["bash", str(REPO / "packaging" / "build-deb.sh")], cwd=REPO,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    deb = REPO / "dist" / f"voxpad_{voxpad.__version__}_amd64.deb"
    info = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends"],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    assert "Package: voxpad" in info and f"Version: {voxpad.__version__}" in info
    assert "libasound2" in info and "libxcb1" in info
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=600)
    for path in ("usr/bin/voxpad", f"usr/share/applications/{APP_ID}.desktop",
                 f"usr/share/metainfo/{APP_ID}.metainfo.xml", "usr/share/icons/hicolor/scalable/apps/voxpad.svg",
                 "usr/share/icons/hicolor/48x48/apps/voxpad.png"):
        assert (root / path).is_file(), path
    version = subprocess.run([str(root / "opt" / "voxpad" / "voxpad"), "--version"], env=clean_env(tmp_path),
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert version.stdout.strip() == f"voxpad {voxpad.__version__}"
    deb.unlink()  # 300 MB; the tarball is the artefact CI keeps


@pytest.mark.parametrize("script", ["packaging/build.sh", "packaging/install.sh", "packaging/build-deb.sh"])
def test_packaging_scripts_are_executable_bash(script):
    path = REPO / script
    assert os.access(path, os.X_OK), f"{script} must be executable (chmod +x)"
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)
