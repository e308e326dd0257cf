"""Voxpad makes no network connection: the offline switches, and a guard that proves it.

``apply_offline_switches()`` runs at every entry point (the CLI, the window) before any
engine is imported, so the Hugging Face libraries inside faster-whisper never look online.
``NetworkGuard`` is an audit hook (PEP 578) on ``socket.connect``: tests install it, and with
VOXPAD_NETWORK_GUARD=1 (set by the privacy tests, injected via sitecustomize for
subprocesses) the app installs it itself, so any IP connection is blocked and reported.
"""

from __future__ import annotations

import os
import socket
import sys
import threading

OFFLINE_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    # ONNX Runtime (piper's voice, the Silero VAD) 1.2x on Linux sends OneDS telemetry to
    # mobile.events.data.microsoft.com a few seconds after a session runs, unless told not to.
    # Found by tests/e2e/test_privacy_e2e.py under strace.
    "ORT_DISABLE_TELEMETRY": "1",
}
_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def apply_offline_switches() -> None:
    """Tell every library that might phone home not to (only where the user has not decided)."""
    for name, value in OFFLINE_SWITCHES.items():
        os.environ.setdefault(name, value)


class NetworkConnectionBlocked(PermissionError):
    """Raised inside the code that tried to open an IP connection while the guard was on."""


class NetworkGuard:
    """Records (and blocks) every IP ``socket.connect``/``sendto`` in this process while enabled.

    Audit hooks cannot be removed, so the one guard stays installed; ``enabled`` switches it
    (tests turn it off again so later tests may use a local HTTP server). ``attempts`` lists
    what was tried.
    """

    _installed: "NetworkGuard | None" = None

    def __init__(self, report_to: str | None = None) -> None:
        self.attempts: list[str] = []
        self.enabled = True
        self._report_to = report_to
        self._lock = threading.Lock()

    @classmethod
    def install(cls, report_to: str | None = None) -> "NetworkGuard":
        """The process's guard, installed and enabled."""
        if cls._installed is None:
            cls._installed = cls(report_to)
            sys.addaudithook(cls._installed._hook)
        cls._installed.enabled = True
        return cls._installed

    def _hook(self, event: str, args: tuple) -> None:
        if not self.enabled or event not in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            return
        family = getattr(args[0], "family", None)
        if family not in _IP_FAMILIES:
            return  # Unix sockets (the sound server, X, D-Bus) are local by construction
        target = f"{event} {args[1]!r}" if len(args) > 1 else event
        with self._lock:
            self.attempts.append(target)
        if self._report_to:
            try:
                with open(self._report_to, "a", encoding="utf-8") as report:
                    report.write(f"{os.getpid()} {target}\n")
            except OSError:
                pass
        raise NetworkConnectionBlocked(f"Voxpad does not use the network (blocked {target}).")


def install_guard_if_requested() -> None:
    """Install the guard when VOXPAD_NETWORK_GUARD is set (tests prove privacy this way)."""
    if os.environ.get("VOXPAD_NETWORK_GUARD"):
        NetworkGuard.install(os.environ.get("VOXPAD_NETWORK_GUARD_REPORT") or None)
