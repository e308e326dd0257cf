"""A second, real X application to type into: ``xterm -e cat > OUT``.

xterm's own logging is on, so what the terminal shows (its echo of the typed keys) can be
read before Return, and OUT after it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from polling import wait_until  # noqa: F401  (re-exported for the tests that import it from here)


class XTermTarget:
    """A second X application to type into: ``xterm -e cat > OUT``."""

    def __init__(self, env: dict, folder: Path, title: str) -> None:
        self.env = {**env, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        self.out = folder / f"{title}.out"
        self.screen_log = folder / f"{title}.screen"
        self.process = subprocess.Popen(
            ["xterm", "-u8", "-T", title, "-l", "-lf", str(self.screen_log),
             "-e", "sh", "-c", f"cat > '{self.out}'"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(folder / f"{title}.stderr", "wb"))
        self.stderr_path = folder / f"{title}.stderr"
        try:
            self.window_id = wait_until(lambda: self._find(title), 30, "the xterm window")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; xterm exit code {self.process.poll()}, stderr: "
                                 f"{self.stderr_path.read_text(errors='replace')[-1500:]}") from None

    def _find(self, title: str) -> str | None:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                               env=self.env, capture_output=True, text=True)
        return found.stdout.split()[0] if found.returncode == 0 and found.stdout.strip() else None

    def focus(self) -> None:
        subprocess.run(["xdotool", "windowfocus", "--sync", self.window_id], env=self.env, check=True, timeout=10)

    def has_focus(self) -> bool:
        focused = subprocess.run(["xdotool", "getwindowfocus"], env=self.env, capture_output=True, text=True)
        return focused.stdout.strip() == self.window_id

    def shown_text(self) -> str:
        """What the terminal has echoed so far (xterm's log, flushed as it goes)."""
        try:
            return self.screen_log.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def xterm(desktop, tmp_path):
    terms: list[XTermTarget] = []

    def start(title: str = "voxpad-target") -> XTermTarget:
        term = XTermTarget({**os.environ, **desktop.env}, tmp_path, title)
        terms.append(term)
        return term

    yield start
    for term in terms:
        term.close()
