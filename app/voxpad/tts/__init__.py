"""Text to speech: piper voice, sentence splitting, streamed read-aloud. No Qt here."""
