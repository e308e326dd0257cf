"""Values that cross the audio layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Whisper's native rate: capture at it so no resampling sits between microphone and model.
SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AudioBlock:
    """A run of mono float32 samples at SAMPLE_RATE, ``start`` seconds after capture began."""

    samples: np.ndarray
    start: float

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def level(self) -> float:
        """Peak-ish loudness in 0..1 (RMS scaled so ordinary speech reads about 0.5)."""
        if len(self.samples) == 0:
            return 0.0
        rms = float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64))))
        return min(1.0, rms * 5.0)
