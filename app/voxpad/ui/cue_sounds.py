"""Short start/stop sounds for dictation, played without ever blocking the GUI thread.

The cue owns one Speaker (opened on first use on a worker thread); the Speaker keeps its
stream open for a while, so cues after the first start at once.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from voxpad import paths

log = logging.getLogger(__name__)


class CueSounds:
    """``play("start")`` / ``play("stop")``; failures are logged, never shown: a cue is optional."""

    def __init__(self) -> None:
        self.enabled = True
        self.output_device: str | None = None
        self._speaker = None
        self._lock = threading.Lock()
        self._sounds: dict[str, tuple[np.ndarray, int]] = {}

    def play(self, name: str) -> None:
        if self.enabled:
            threading.Thread(target=self._play, args=(name,), name="cue-sound", daemon=True).start()

    def _load(self, name: str) -> tuple[np.ndarray, int]:
        if name not in self._sounds:
            import wave

            with wave.open(str(paths.resources_dir() / "sounds" / f"{name}.wav")) as wav:
                frames = wav.readframes(wav.getnframes())
                rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            if width != 2:
                raise ValueError(f"{name}.wav must be 16-bit")
            samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
            self._sounds[name] = (samples.reshape(-1, channels).mean(axis=1), rate)
        return self._sounds[name]

    def _play(self, name: str) -> None:
        from voxpad.audio.speaker import Speaker

        try:
            samples, rate = self._load(name)
            with self._lock:
                if self._speaker is None or self._speaker.device != self.output_device:
                    if self._speaker is not None:
                        self._speaker.close()
                    self._speaker = Speaker(device=self.output_device)
                self._speaker.play(samples, rate)
        except Exception as exc:
            log.warning("The %s sound could not be played: %s", name, exc)

    def close(self) -> None:
        with self._lock:
            if self._speaker is not None:
                self._speaker.close()
                self._speaker = None
