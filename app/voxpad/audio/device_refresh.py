"""Seeing sound devices that appeared after start-up.

PortAudio lists devices once, when it is initialised. If the sound server was down (or no
device existed) at that moment, the list stays empty even after the server comes back, and
dictation would need an app restart. Re-initialising PortAudio fixes that, but it also
closes every open stream, so it is only done when PortAudio sees no device at all: then no
stream can be open.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
_lock = threading.Lock()


def refresh_if_no_devices() -> bool:
    """Re-read the device list if PortAudio knows no device at all; True if it did."""
    try:
        import sounddevice
    except OSError:  # no PortAudio library: nothing to refresh
        return False
    with _lock:
        try:
            if len(sounddevice.query_devices()) > 0:
                return False
        except Exception:  # a broken host API: refreshing is the right move too
            pass
        log.info("No sound devices known; asking PortAudio to look again")
        try:
            sounddevice._terminate()
            sounddevice._initialize()
        except Exception as exc:  # the server is still down: the caller reports "no microphone"
            log.info("PortAudio could not be re-initialised: %s", exc)
        return True
