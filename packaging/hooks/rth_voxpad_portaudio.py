"""Runtime hook: make sounddevice load the PortAudio library bundled with the app.

sounddevice asks ``ctypes.util.find_library("portaudio")``, which only searches the system;
inside the bundle the library sits in sys._MEIPASS.
"""

import ctypes.util
import os
import sys

_bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
_system_find_library = ctypes.util.find_library


def _find_library(name):
    if name == "portaudio" and os.path.exists(_bundled):
        return _bundled
    return _system_find_library(name)


ctypes.util.find_library = _find_library
