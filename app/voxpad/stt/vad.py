"""Silero voice activity detection, run incrementally on a live stream."""

from __future__ import annotations

import numpy as np


class VoiceActivity:
    """Silero VAD run incrementally: speech probability for each 512-sample (32 ms) window.

    faster-whisper's SileroVADModel only scores whole recordings; its ONNX graph, though,
    takes the LSTM state (h, c) and 64 samples of context explicitly, so carrying them across
    calls gives exactly the probabilities a whole-recording pass would.
    """

    WINDOW = 512
    _CONTEXT = 64

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model  # cached: one ONNX session per process

        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._CONTEXT, dtype=np.float32)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """Speech probability for each row of ``windows`` (shape (n, 512)), continuing the stream."""
        if len(windows) == 0:
            return np.zeros(0, dtype=np.float32)
        contexts = np.concatenate([self._context[None, :], windows[:-1, -self._CONTEXT:]], axis=0)
        batch = np.ascontiguousarray(np.concatenate([contexts, windows], axis=1), dtype=np.float32)
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = windows[-1, -self._CONTEXT:].copy()
        return np.asarray(probs, dtype=np.float32).reshape(-1)
