"""Engines unload a model left idle and load it again, transparently, on next use. Real models."""

from __future__ import annotations

import threading

import numpy as np

from voxpad.engines import Engines, ModelEvent


class FakeClock:
    """Time that moves only when the test says so (so no test waits ten minutes)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_models_are_unloaded_and_reload_on_next_use():
    clock = FakeClock()
    engines = Engines(idle_unload_seconds=600, clock=clock)
    events: list[ModelEvent] = []
    engines.add_listener(events.append)
    first = engines.recognizer()
    engines.voice()

    clock.now += 599
    assert engines.unload_idle() == []
    assert engines.recognizer_loaded and engines.voice_loaded

    engines.voice()  # used again: its idle time starts over
    clock.now += 2
    assert engines.unload_idle() == ["stt"]
    assert not engines.recognizer_loaded and engines.voice_loaded
    assert events == [ModelEvent("stt", "unloaded", "Unloaded the speech model after 10 minutes unused to "
                                                    "free memory; it loads again when needed.")]

    again = engines.recognizer()
    assert again is not first
    assert again.transcribe(np.zeros(16000, np.float32), beam_size=1).text == ""
    assert [(e.kind, e.action) for e in events[1:]] == [("stt", "reloading"), ("stt", "reloaded")]
    assert events[1].message == "Loading the speech model again…"
    engines.recognizer()
    assert len(events) == 3  # an ordinary use says nothing


def test_a_model_busy_decoding_is_not_unloaded():
    clock = FakeClock()
    engines = Engines(idle_unload_seconds=60, clock=clock)
    recognizer = engines.recognizer()
    clock.now += 120
    with recognizer.lock:  # what a long decode holds
        assert engines.unload_idle() == []
    assert engines.unload_idle() == ["stt"]


def test_zero_means_never_unload():
    clock = FakeClock()
    engines = Engines(idle_unload_seconds=0, clock=clock)
    engines.voice()
    clock.now += 10 ** 6
    assert engines.unload_idle() == [] and engines.voice_loaded
    engines.set_idle_unload(30)
    assert engines.unload_idle() == ["tts"]


def test_the_background_timer_unloads_on_its_own():
    engines = Engines(idle_unload_seconds=0.3)
    unloaded = threading.Event()
    engines.add_listener(lambda event: event.action == "unloaded" and unloaded.set())
    engines.voice()
    # Generous bound: the timer checks every 75 ms; a loaded machine may still be slow.
    assert unloaded.wait(30), "the idle voice was never unloaded"
    assert not engines.voice_loaded
    assert engines.voice().synthesize("Back again.").size > 0
