"""Leaving a real crashed journal session behind: a process journals a dictation and is SIGKILLed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def crash_a_session(data_dir: Path, audio: Path, *, document: str | None = None,
                    finals: tuple[str, ...] = (), transcribed_seconds: float = 0.0) -> Path:
    """Journal ``audio`` (and optionally an autosaved ``document`` and finals) in a new process,
    then kill it with SIGKILL mid-dictation; returns the session folder it left."""
    script = textwrap.dedent(f"""
        import os, signal
        from voxpad.audio.journal import JournalSession
        from voxpad.audio.decode import load_audio_file
        from voxpad import recovery
        session = JournalSession.create()
        print(session.folder, flush=True)
        if {document!r} is not None:
            recovery.write_autosave(session.folder, recovery.AutosaveSnapshot({document!r}, None, True, 0))
        session.begin_run()
        audio = load_audio_file({str(audio)!r})
        for start in range(0, len(audio), 800):
            session.append_audio(audio[start:start + 800])
        for text in {list(finals)!r}:
            session.record_final(text, int({transcribed_seconds} * 16000))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "VOXPAD_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    return Path(result.stdout.strip())
