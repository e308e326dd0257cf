"""``voxpad recover``: what a crashed session left behind, without opening a window.

``voxpad recover`` lists it; ``--json`` prints
``{"sessions": [{"started", "text", "audio_path", "audio_seconds"}]}`` (text includes the
transcription of journaled audio that was never transcribed); ``--restore`` writes each
recovered document beside its journal folder and prints the paths; ``--discard`` deletes
the journals (only ever on request: recovered data is removed only when the user decides).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser, Namespace
from typing import TextIO


def add_parser(subparsers) -> ArgumentParser:
    parser = subparsers.add_parser(
        "recover", help="show or restore dictation and documents left by a crash",
        description="Find documents and dictated audio that a crashed Voxpad left behind.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--json", action="store_true", help="print what can be recovered as JSON")
    action.add_argument("--restore", action="store_true",
                        help="write each recovered document beside its journal and print its path")
    action.add_argument("--discard", action="store_true", help="delete what a crash left behind")
    parser.add_argument("--model", metavar="PATH", help="speech model folder for journaled audio (default: bundled)")
    return parser


def run(args: Namespace, stdout: TextIO | None = None) -> int:
    from pathlib import Path

    from voxpad import recovery
    from voxpad.engines import Engines

    stdout = stdout or sys.stdout
    sessions = recovery.find_recoverable()
    if args.discard:
        for session in sessions:
            recovery.discard(session)
        print(f"Discarded {len(sessions)} recovered session(s).", file=stdout)
        return 0
    model = getattr(args, "model", None)
    engines = Engines(str(Path(model)) if model else None)
    transcribe = recovery.transcriber(engines.recognizer)
    texts = [session.text(transcribe) for session in sessions]
    if args.json:
        print(json.dumps({"sessions": [
            {"started": session.started, "text": text, "audio_path": str(session.audio_path),
             "audio_seconds": round(session.audio_seconds, 2)}
            for session, text in zip(sessions, texts)]}, ensure_ascii=False), file=stdout)
        return 0
    if args.restore:
        for session, text in zip(sessions, texts):
            print(recovery.restore(session, text), file=stdout)
        return 0
    if not sessions:
        print("Nothing to recover.", file=stdout)
        return 0
    for session, text in zip(sessions, texts):
        preview = " ".join(text.split())
        print(f"{session.started}  {session.audio_seconds:.1f} s of audio  {preview[:70]}", file=stdout)
    print("Run 'voxpad recover --restore' to write these documents, or start Voxpad to recover them.", file=stdout)
    return 0
