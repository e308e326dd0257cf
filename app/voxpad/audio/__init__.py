"""Audio in and out: microphone capture, playback, file decoding. No Qt here."""
