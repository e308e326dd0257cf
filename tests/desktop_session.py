"""A private X server (Xvfb) and sound server (PulseAudio) for the test run.

The sound server has one null sink, ``vsink``; its monitor is the default source, so
whatever is played into the sink (``paplay``) is what the microphone hears, and what the
app plays can be recorded from the monitor (``parec``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_TOOLS = ("Xvfb", "pulseaudio", "pactl", "paplay", "parec", "xdotool")
SINK = "vsink"


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def _wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout} s")


@dataclass
class DesktopSession:
    """Handles to the running servers and the environment that points at them."""

    runtime_dir: Path
    display: str
    pulse_server: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "DISPLAY": self.display,
            "PULSE_SERVER": self.pulse_server,
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
        }

    def play(self, wav: Path | str, wait: bool = True) -> subprocess.Popen:
        """Play a file into the sink: the microphone hears it."""
        proc = subprocess.Popen(["paplay", f"--device={SINK}", str(wav)], env={**os.environ, **self.env})
        if wait:
            proc.wait(timeout=120)
        return proc

    def record(self, path: Path) -> subprocess.Popen:
        """Record what is played to the sink (16 kHz mono WAV) until the process is terminated."""
        return subprocess.Popen(
            ["parec", f"--device={SINK}.monitor", "--file-format=wav", "--format=s16le",
             "--rate=16000", "--channels=1", "--latency-msec=10", str(path)],
            env={**os.environ, **self.env},
        )

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def start(display_number: int | None = None) -> DesktopSession:
    runtime_dir = Path(tempfile.mkdtemp(prefix="voxpad-desktop-"))
    os.chmod(runtime_dir, 0o700)
    (runtime_dir / "pulse").mkdir()
    number = display_number if display_number is not None else 90 + os.getpid() % 100
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    display = f":{number}"
    session = DesktopSession(runtime_dir, display, f"unix:{runtime_dir}/pulse/native")
    env = {**os.environ, **session.env}
    logs = open(runtime_dir / "servers.log", "wb")
    session.processes.append(subprocess.Popen(
        # -noreset: by default Xvfb resets whenever its last client disconnects, refusing
        # connections meanwhile ("Can't open display"); tests connect and disconnect often.
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"],
        stdout=logs, stderr=logs, env=env))
    session.processes.append(subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "-F", "/dev/null",
         f"--load=module-native-protocol-unix socket={runtime_dir}/pulse/native auth-anonymous=1",
         f"--load=module-null-sink sink_name={SINK} rate=48000",
         "--load=module-always-sink"],
        stdout=logs, stderr=logs, env=env))
    try:
        _wait_for(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb")
        _wait_for(lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0,
                  10, "PulseAudio")
        subprocess.run(["pactl", "set-default-sink", SINK], env=env, check=True)
        subprocess.run(["pactl", "set-default-source", f"{SINK}.monitor"], env=env, check=True)
    except Exception:
        session.stop()
        raise
    return session
