"""Checks for the bundled (PyInstaller) Voxpad: clear sentences instead of loader errors.

The bundle carries Python, Qt and the engines, but a few libraries must come from the
user's system (the X11/Wayland client libraries, OpenGL, ALSA). If one is missing, Qt
would abort with a long plugin error; instead Voxpad names the Debian package to install.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

# Shared objects the bundle expects from the system, and the Debian/Ubuntu package of each.
SYSTEM_LIBRARY_PACKAGES = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libasound.so.2": "libasound2",
    "libportaudio.so.2": "libportaudio2",
}
_MISSING_RE = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")
_NO_WINDOW_COMMANDS = {"transcribe", "speak", "bench", "models", "--version", "-h", "--help"}


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def missing_library_sentence(error: BaseException | str, purpose: str) -> str | None:
    """One sentence naming the missing system library in a loader error, or None."""
    # PyInstaller's ctypes wraps the loader's OSError in its own; the loader's text is the cause.
    texts = []
    while error is not None and len(texts) < 5:
        texts.append(str(error))
        error = error.__cause__ if isinstance(error, BaseException) else None
    match = _MISSING_RE.search(" ".join(texts))
    if not match:
        return None
    soname = match.group(1)
    package = SYSTEM_LIBRARY_PACKAGES.get(soname)
    install = f"install the package {package} (sudo apt install {package})" if package else \
        f"install the package that provides {soname}"
    return f"Voxpad cannot {purpose} because the system library {soname} is missing: {install}."


def _qt_platform() -> str | None:
    """The Qt platform plugin Qt will load, or None if Qt will not need a display plugin."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if chosen:
        return chosen
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    if os.environ.get("DISPLAY"):
        return "xcb"
    return None


def check_window_system() -> str | None:
    """Load the Qt platform plugin the window will use; a sentence if a system library is missing."""
    platform = _qt_platform()
    if platform not in ("xcb", "wayland"):
        return None
    import PySide6  # the package only: no Qt library is loaded yet

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        sentence = missing_library_sentence(exc, "open its window")
        if sentence and platform == "wayland" and os.environ.get("DISPLAY"):
            # Qt on Wayland can still use X11 through XWayland.
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            return check_window_system()
        return sentence or f"Voxpad cannot open its window: {exc}"
    return None


def _opens_window(argv: list[str]) -> bool:
    return not any(arg in _NO_WINDOW_COMMANDS for arg in argv)


def _utf8_locale() -> None:
    """Python coerces a C locale to UTF-8 (PEP 538) but the bundle's loader does not; Qt wants UTF-8."""
    if not any(os.environ.get(name) for name in ("LC_ALL", "LC_CTYPE", "LANG")):
        os.environ["LC_CTYPE"] = "C.UTF-8"


def main(argv: list[str] | None = None) -> int:
    """The bundle's entry point: check the system libraries the window needs, then run the CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    _utf8_locale()
    if _opens_window(args):
        problem = check_window_system()
        if problem:
            print(f"voxpad: {problem}", file=sys.stderr)
            return 1
    from voxpad.cli import main as cli_main

    return cli_main(args)
