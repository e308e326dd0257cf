"""Speech to text: faster-whisper engine and streaming dictation. No Qt here."""
