"""Install and CI plumbing: README's commands, the desktop files, icons and sounds, and that
an installed Voxpad finds its resources, its Qt platform and its sound server."""

from __future__ import annotations

import configparser
import fnmatch
import math
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import time
import tomllib
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import voxpad
from voxpad import paths

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
DESKTOP_FILE = f"{voxpad.APP_ID}.desktop"
METAINFO_FILE = f"{voxpad.APP_ID}.metainfo.xml"
RESOURCE_FILES = (
    "voxpad.svg",
    *(f"icons/voxpad-{size}.png" for size in ICON_SIZES),
    DESKTOP_FILE,
    METAINFO_FILE,
    "sounds/start.wav",
    "sounds/stop.wav",
)
TEST_COMMAND = "bash packaging/setup-debian.sh --dev && .venv/bin/python -m pytest"
INSTALL_COMMAND = "bash packaging/setup-debian.sh && .venv/bin/voxpad"


def _readme_block(marker: str) -> str:
    """The fenced code between <!-- marker --> and <!-- /marker --> in README.md."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    assert text.count(start) == 1 and text.count(end) == 1, f"README needs one {start} block"
    block = text.split(start, 1)[1].split(end, 1)[0].strip().splitlines()
    assert block[0].startswith("```") and block[-1] == "```", f"the {marker} block is not fenced"
    return "\n".join(block[1:-1]).strip()


def _require_tool(name: str) -> str:
    """The tool's path; CI installs every tool, so only a developer's machine may skip."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing in CI: packaging/setup-debian.sh --dev installs it")
    pytest.skip(f"needs {name} (bash packaging/setup-debian.sh --dev installs it)")


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


# --- README and CI --------------------------------------------------------------------


def test_readme_opens_with_the_install_then_the_test_command():
    assert _readme_block("install-command") == INSTALL_COMMAND
    assert _readme_block("test-command") == TEST_COMMAND
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_heading = readme.index("\n## ")
    assert readme.index(INSTALL_COMMAND) < readme.index(TEST_COMMAND) < first_heading


def test_ci_runs_exactly_the_readme_test_command():
    printed = subprocess.run(
        ["bash", str(REPO / ".ci" / "run"), "--print-command"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.strip()
    assert printed == _readme_block("test-command")


@pytest.mark.parametrize(
    ("command", "expected_status"),
    [("true", 0), ("exit 3", 3), ("exit 5", 1), ("true && exit 5", 1), ("false && true", 1)],
    ids=["pass", "fail", "no-tests-is-failure", "chain-ends-in-no-tests", "first-step-fails"],
)
def test_ci_run_exit_status(tmp_path, command, expected_status):
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(
        f"# x\n\n<!-- test-command -->\n```sh\n{command}\n```\n<!-- /test-command -->\n",
        encoding="utf-8",
    )
    result = subprocess.run(["bash", ".ci/run"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == expected_status, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["packaging/setup-debian.sh", ".ci/run"])
def test_scripts_are_executable_bash(script):
    path = REPO / script
    assert os.access(path, os.X_OK), f"{script} must be executable (chmod +x)"
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)


def test_gitignore_keeps_the_venv_out_of_git():
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".venv/" in ignored and "*.egg-info/" in ignored


# --- Resources -------------------------------------------------------------------------


def test_every_resource_exists():
    missing = [name for name in RESOURCE_FILES if not (RESOURCES / name).is_file()]
    assert not missing


def test_installed_voxpad_resources_has_every_resource():
    installed = paths.resources_dir()
    assert (installed / "voxpad.svg").is_file()
    missing = [name for name in RESOURCE_FILES if not (installed / name).is_file()]
    assert not missing, f"not installed with voxpad_resources: {missing}"


def test_package_data_globs_ship_every_resource_file():
    # An editable install finds any file; a wheel (and so a user's install) only what these match.
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["voxpad_resources"]
    for path in RESOURCES.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".py":
            continue
        name = path.relative_to(RESOURCES).as_posix()
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), f"{name} would not be installed"


def test_svg_icon_is_square_svg():
    root = ET.parse(RESOURCES / "voxpad.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    assert width == height


@pytest.mark.parametrize("size", ICON_SIZES)
def test_png_icon_has_its_size_and_transparency(size):
    data = (RESOURCES / "icons" / f"voxpad-{size}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height, _depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height) == (size, size)
    assert colour_type in (4, 6), "the icon needs an alpha channel for its rounded corners"


@pytest.mark.parametrize("name", ["start", "stop"])
def test_sound_cue_is_short_quiet_and_click_free(name):
    path = RESOURCES / "sounds" / f"{name}.wav"
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        frames = wav.getnframes()
        samples = struct.unpack(f"<{frames}h", wav.readframes(frames))
    assert 0.05 <= frames / 22050 <= 0.3
    assert path.stat().st_size < 16_000
    peak = max(abs(s) for s in samples)
    assert 0.1 * 32767 < peak < 0.9 * 32767
    # Starting and ending near zero means no click at either edge.
    assert abs(samples[0]) < 0.02 * 32767 and abs(samples[-1]) < 0.02 * 32767


def test_start_and_stop_cues_differ():
    assert (RESOURCES / "sounds/start.wav").read_bytes() != (RESOURCES / "sounds/stop.wav").read_bytes()


# --- Desktop entry and AppStream metadata ----------------------------------------------


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(RESOURCES / DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_installed_command():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == voxpad.APP_NAME
    assert entry["Exec"].split()[0] in _pyproject()["project"]["scripts"]
    assert (RESOURCES / f"{entry['Icon']}.svg").is_file(), "Icon= must name the icon in resources/"
    assert entry["Categories"].endswith(";") and "Utility" in entry["Categories"].split(";")
    assert entry["Keywords"].endswith(";")
    assert entry["StartupWMClass"]


def test_desktop_file_validates():
    tool = _require_tool("desktop-file-validate")
    result = subprocess.run([tool, str(RESOURCES / DESKTOP_FILE)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout + result.stderr


def test_metainfo_matches_the_app():
    root = ET.parse(RESOURCES / METAINFO_FILE).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == voxpad.APP_ID
    assert root.findtext("name") == voxpad.APP_NAME
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE
    assert root.findtext("project_license") == _pyproject()["project"]["license"]
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("provides/binary") in _pyproject()["project"]["scripts"]
    newest = root.find("releases/release")
    assert newest is not None and newest.get("version") == voxpad.__version__, (
        "add a <release> for the new version to the top of the metainfo file"
    )


def test_metainfo_validates_offline():
    tool = _require_tool("appstreamcli")
    result = subprocess.run(
        [tool, "validate", "--no-net", str(RESOURCES / METAINFO_FILE)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- The installed app on the test desktop ---------------------------------------------


def test_qt_xcb_platform_loads_on_the_x_server(desktop):
    # Proves setup-debian.sh installed every library PySide6's xcb plugin links against.
    script = textwrap.dedent("""
        from PySide6.QtWidgets import QApplication, QLabel
        app = QApplication([])
        label = QLabel("Voxpad")
        label.show()
        app.processEvents()
        print(app.platformName(), label.winId() != 0)
    """)
    env = {**os.environ, **desktop.env, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["xcb", "True"]


def _write_tone(path: Path, seconds: float, rate: int = 16000, freq: float = 440.0) -> Path:
    frames = int(seconds * rate)
    samples = [int(0.5 * 32767 * math.sin(2 * math.pi * freq * i / rate)) for i in range(frames)]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{frames}h", *samples))
    return path


def test_sounddevice_default_input_hears_what_plays_into_pulseaudio(desktop, tmp_path):
    # The microphone of every dictation test: ALSA's default device must be the pulse plugin.
    tone = _write_tone(tmp_path / "tone.wav", 1.0)
    script = textwrap.dedent("""
        import sys, numpy as np, sounddevice as sd
        print("DEVICE", sd.query_devices(kind="input")["name"], flush=True)
        blocks = []
        with sd.InputStream(samplerate=16000, channels=1, dtype="float32",
                            callback=lambda data, frames, t, status: blocks.append(data.copy())):
            print("READY", flush=True)
            sys.stdin.readline()  # the test says when the tone has been played
            sd.sleep(300)
        audio = np.concatenate(blocks)[:, 0] if blocks else np.zeros(1)
        print("PEAK", float(np.abs(audio).max()), flush=True)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env={**os.environ, **desktop.env},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        while not lines or lines[-1] != "READY":
            line = proc.stdout.readline()
            assert line, "recorder ended early: " + proc.stderr.read()
            lines.append(line.strip())
        desktop.play(tone)
        out, err = proc.communicate("played\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines += out.split("\n")
    assert proc.returncode == 0, err
    device = next(line.split(" ", 1)[1] for line in lines if line.startswith("DEVICE"))
    peak = next(float(line.split()[1]) for line in lines if line.startswith("PEAK"))
    assert device in ("default", "pulse"), f"sounddevice's default input is {device!r}, not PulseAudio"
    assert peak > 0.1, "the default input heard nothing of the tone played into the sink"


def _source_outputs(env: dict) -> int:
    listed = subprocess.run(["pactl", "list", "short", "source-outputs"], env=env,
                            capture_output=True, text=True, check=True).stdout
    return len(listed.splitlines())


def test_sounddevice_default_output_plays_into_pulseaudio(desktop, tmp_path):
    # What read-aloud plays must reach the sink, where the tests record it.
    env = {**os.environ, **desktop.env}
    before = _source_outputs(env)
    recording = tmp_path / "heard.wav"
    recorder = desktop.record(recording)
    try:
        deadline = time.monotonic() + 10
        while _source_outputs(env) <= before:
            assert time.monotonic() < deadline, "parec did not connect"
            time.sleep(0.02)
        script = textwrap.dedent("""
            import numpy as np, sounddevice as sd
            print(sd.query_devices(kind="output")["name"])
            t = np.arange(int(0.8 * 48000)) / 48000
            sd.play((0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 48000, blocking=True)
        """)
        result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() in ("default", "pulse")
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    data = recording.read_bytes()[44:]
    samples = struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2])
    assert samples and max(abs(s) for s in samples) > 0.1 * 32767, "nothing sounddevice played reached the sink"


def test_every_subpackage_is_listed_in_pyproject():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO / "app").parts)
        for init in (REPO / "app" / "voxpad").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
