"""A private headless Wayland desktop (Sway) and a native Wayland app to type into (foot).

Sway runs with the headless backend and no input devices (WLR_BACKENDS=headless,
WLR_LIBINPUT_NO_DEVICES=1), the pixman software renderer, no XWayland, and its own
XDG_RUNTIME_DIR. Sway refuses to run as root ("Unable to drop root ... refusing to start":
it checks that setuid(0) fails), so when the tests run as root (containers, CI) it runs as
the unprivileged user "nobody" through setpriv; the tests' own processes, as root, can still
use its socket. WAYLAND_DISPLAY is the socket's absolute path, which libwayland accepts, so
nothing else about the test run's environment has to change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REQUIRED_TOOLS = ("sway", "swaymsg", "wtype", "foot", "setpriv")
_NOBODY = 65534
_CONFIG = """\
output HEADLESS-1 resolution 1280x800
xwayland disable
focus_follows_mouse no
"""


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def require_tools() -> None:
    """Skip on a developer machine without Sway, wtype and foot; in CI, fail instead."""
    missing = missing_tools()
    if missing:
        message = "needs " + ", ".join(missing) + " (Debian: sway wtype foot; CI installs them)"
        if os.environ.get("CI"):
            pytest.fail("CI must run the Wayland typing tests, but this is missing: " + message)
        pytest.skip(message)


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class SwaySession:
    def __init__(self) -> None:
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="voxpad-sway-"))
        os.chmod(self.runtime_dir, 0o700)
        config = self.runtime_dir / "config"
        config.write_text(_CONFIG)
        self.log_path = self.runtime_dir / "sway.log"
        prefix: list[str] = []
        if os.geteuid() == 0:
            os.chown(self.runtime_dir, _NOBODY, _NOBODY)
            os.chown(config, _NOBODY, _NOBODY)
            prefix = ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups"]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.runtime_dir),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
            "LANG": "C.UTF-8",
        }
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([*prefix, "sway", "--config", str(config)], env=env,
                                        stdout=self._log, stderr=self._log)
        try:
            self.wayland_display = str(wait_until(lambda: self._socket("wayland-*"), 20, "Sway's Wayland socket"))
            self.swaysock = str(wait_until(lambda: self._socket("sway-ipc.*"), 20, "Sway's IPC socket"))
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}; sway exit code {self.process.poll()}, log: "
                                 f"{self.log_path.read_text(errors='replace')[-1500:]}") from None

    def _socket(self, pattern: str) -> Path | None:
        if self.process.poll() is not None:
            raise AssertionError(f"sway exited ({self.process.returncode}): "
                                 + self.log_path.read_text(errors="replace")[-1500:])
        for path in self.runtime_dir.glob(pattern):
            if path.is_socket():
                return path
        return None

    @property
    def env(self) -> dict[str, str]:
        """What a Wayland client of this session needs (no DISPLAY: no X here)."""
        env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
        env.update({"WAYLAND_DISPLAY": self.wayland_display, "XDG_RUNTIME_DIR": str(self.runtime_dir),
                    "SWAYSOCK": self.swaysock, "XDG_SESSION_TYPE": "wayland", "LANG": "C.UTF-8",
                    "LC_ALL": "C.UTF-8"})
        return env

    def tree(self) -> dict:
        out = subprocess.run(["swaymsg", "-t", "get_tree", "--raw"], env=self.env, capture_output=True,
                             text=True, timeout=10, check=True)
        return json.loads(out.stdout)

    def focused_title(self) -> str | None:
        def walk(node):
            if node.get("focused"):
                return node.get("name")
            for child in node.get("nodes", []) + node.get("floating_nodes", []):
                found = walk(child)
                if found is not None:
                    return found
            return None

        return walk(self.tree())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


class FootTarget:
    """foot, a native Wayland terminal, running ``cat > OUT``."""

    def __init__(self, session: SwaySession, folder: Path, title: str) -> None:
        self.session = session
        self.title = title
        self.out = folder / f"{title}.out"
        self.stderr_path = folder / f"{title}.stderr"
        self.process = subprocess.Popen(
            ["foot", "--title", title, "--app-id", title, "sh", "-c", f"cat > '{self.out}'"],
            env=session.env, stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "wb"))
        try:
            wait_until(self.has_focus, 30, "the foot window to open with focus")
            # cat has opened OUT once the shell ran: keys sent before that would only be echoed.
            wait_until(self.out.exists, 10, "cat to open OUT")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; foot exit code {self.process.poll()}, stderr: "
                                 f"{self.stderr_path.read_text(errors='replace')[-1500:]}") from None

    def has_focus(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"foot exited ({self.process.returncode})")
        return self.session.focused_title() == self.title

    def lines(self, count: int, timeout: float = 10) -> list[str]:
        def ready():
            text = self.out.read_bytes().decode("utf-8", "replace") if self.out.exists() else ""
            return text if text.count("\n") >= count else None

        try:
            return wait_until(ready, timeout, f"{count} lines in OUT").splitlines()
        except AssertionError as exc:
            text = self.out.read_bytes().decode("utf-8", "replace") if self.out.exists() else ""
            raise AssertionError(f"{exc}; OUT holds {text!r}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
