"""``voxpad --self-test``: prove the installation works, end to end, without a microphone.

Loads both models, speaks a sentence, transcribes the speech back, and opens and closes
the main window (offscreen if there is no display). Prints a short report; exit 0 only if
every step passed.
"""

from __future__ import annotations

import os
import sys
import time
from argparse import Namespace

from voxpad import __version__

SENTENCE = "The quick brown fox jumps over the lazy dog."


def _words(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


def _step(name: str, fn):
    start = time.perf_counter()
    try:
        detail = fn()
    except Exception as exc:  # report every failure as a sentence, never a traceback
        print(f"  FAIL  {name}: {exc}", file=sys.stderr)
        return False, None
    print(f"  ok    {name} ({time.perf_counter() - start:.2f} s){': ' + detail if detail else ''}")
    return True, detail


def run(_args: Namespace) -> int:
    from voxpad.audio.blocks import SAMPLE_RATE
    from voxpad.audio.resample import resample
    from voxpad.config import load_settings
    from voxpad.engines import Engines

    print(f"Voxpad {__version__} self-test")
    settings = load_settings()  # test the models this user has chosen, not only the defaults
    engines = Engines(settings.speech_model, settings.voice_model)
    # A broken chosen model falls back to the bundled one; the report must say so.
    engines.add_listener(lambda event: event.action == "fallback" and print(f"  note  {event.message}"))
    results = []
    ok, _ = _step("load speech model", lambda: str(engines.recognizer().path))
    results.append(ok)
    ok_voice, _ = _step("load voice", lambda: engines.voice().name)
    results.append(ok_voice)
    heard: dict[str, str] = {}

    def speak_and_listen() -> str:
        voice = engines.voice()
        spoken = voice.synthesize_words(SENTENCE)
        audio = spoken.samples
        text = engines.recognizer().transcribe(resample(audio, voice.sample_rate, SAMPLE_RATE)).text
        heard["text"] = text
        missing = set(_words(SENTENCE)) - set(_words(text))
        if len(missing) > 2:
            raise RuntimeError(f"the speech was transcribed as {text!r}")
        timing = "word timings from the voice" if spoken.aligned else "word timings estimated"
        return f"{text.strip()!r}; {timing}"

    if ok and ok_voice:
        results.append(_step("speak a sentence and transcribe it back", speak_and_listen)[0])
    results.append(_step("open and close the main window", _open_window)[0])
    passed = all(results)
    print("Self-test passed." if passed else "Self-test FAILED.", file=sys.stdout if passed else sys.stderr)
    return 0 if passed else 1


def _open_window() -> str:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from voxpad.ui.application import create_application, create_main_window

    app = create_application()
    window = create_main_window()
    window.show()
    shown = window.isVisible()
    QTimer.singleShot(200, window.close)
    QTimer.singleShot(400, app.quit)
    app.exec()
    if not shown:
        raise RuntimeError("the window did not appear")
    return f"{app.platformName()} platform, title {window.windowTitle()!r}"
