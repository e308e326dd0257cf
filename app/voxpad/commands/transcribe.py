"""``voxpad transcribe``: speech in audio files to text on stdout.

Batch: ``voxpad transcribe FILE... [--format txt|json|srt] [--model PATH] [--beam-size N]``.
Live: ``voxpad transcribe --live FILE [--json] [--pace X]`` plays FILE at real-time pace (X
times faster with --pace) through the same Microphone → StreamingDictation path as live
dictation, decoded block by block as it plays (an hour-long file is never held whole); with --json each event is one line ``{"t": s, "type": "partial"|"final", "text": …}``
(t: seconds since feeding began, by the feeder's clock), then ``{"type": "done", "t": …}``.

Bad input is one sentence on stderr prefixed "voxpad: " and exit code 1 (2 for usage);
with several files, each failure is reported and the others are still transcribed. Files of any
length stream (decoded in blocks, transcribed in chunks cut at pauses), so memory stays bounded.
A file that breaks off part-way (damaged, or shorter than its header says) still prints the text
of the part before the break, then one sentence on stderr saying so, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from voxpad.errors import ModelError, VoxpadError

if TYPE_CHECKING:
    import numpy as np

    from voxpad.stt.recognizer import SpeechRecognizer, Transcript

_FORMATS = ("txt", "json", "srt")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number above 0")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``transcribe`` on the CLI's subparsers; returns the new parser (its ``run`` default is set)."""
    parser = subparsers.add_parser(
        "transcribe",
        help="write the speech in audio files as text",
        description="Transcribe speech in audio or video files (wav, flac, mp3, ogg, m4a, …) offline.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="audio file(s) to transcribe")
    parser.add_argument("--format", choices=_FORMATS, default="txt", help="output format (default: txt)")
    parser.add_argument("--json", action="store_true",
                        help="same as --format json; with --live, one event per line")
    parser.add_argument("--model", metavar="NAME|PATH",
                        help="an installed speech model's name (voxpad models list) or a CTranslate2 "
                             "Whisper model folder (default: the one chosen in settings, else tiny.en)")
    parser.add_argument("--beam-size", type=_positive_int, default=5, metavar="N",
                        help="beam search width (default: 5; 1 is faster)")
    parser.add_argument("--language", default=None, metavar="CODE",
                        help="spoken language for multilingual models, or 'auto' (default: the settings', else en)")
    parser.add_argument("--live", action="store_true",
                        help="play the file through the live dictation pipeline, printing text as it comes")
    parser.add_argument("--pace", type=_positive_float, metavar="X",
                        help="with --live: feed X times faster than real time (default: 1)")
    parser.set_defaults(run=run)
    return parser


def _fail(message: str, stderr: TextIO) -> None:
    print(f"voxpad: {message}", file=stderr, flush=True)


def _timestamp(seconds: float) -> str:
    millis = int(round(max(0.0, seconds) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def format_transcript(transcript: Transcript, output_format: str, path: Path) -> str:
    """The text printed for one file in ``output_format`` (no trailing newline)."""
    if output_format == "json":
        return json.dumps({
            "file": str(path),
            "language": transcript.language,
            "duration": round(transcript.duration, 3),
            "text": transcript.text,
            "segments": [
                {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text} for s in transcript.segments
            ],
        }, ensure_ascii=False)
    if output_format == "srt":
        cues = [
            f"{number}\n{_timestamp(s.start)} --> {_timestamp(s.end)}\n{s.text}\n"
            for number, s in enumerate(transcript.segments, start=1)
        ]
        return "\n".join(cues).rstrip("\n")
    return transcript.text


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.live and len(args.files) > 1:
        return "--live takes exactly one file."
    if args.live and args.format == "srt":
        return "--live prints events as they come, so it cannot write srt; use --json or plain text."
    if args.pace is not None and not args.live:
        return "--pace only applies with --live."
    return None


class _LazyRecognizer:
    """Loads the model on first use, so a run where every file is bad costs no model load."""

    def __init__(self, model: Path | None) -> None:
        self._model = model
        self._recognizer: SpeechRecognizer | None = None

    def get(self) -> SpeechRecognizer:
        if self._recognizer is None:
            from voxpad.stt.recognizer import SpeechRecognizer

            self._recognizer = SpeechRecognizer.load(self._model)
        return self._recognizer


def _run_batch(args: argparse.Namespace, language: str | None, stdout: TextIO, stderr: TextIO) -> int:
    from voxpad.stt.long_audio import transcribe_audio_file

    output_format = "json" if args.json else args.format
    recognizer = _LazyRecognizer(args.model)
    several = len(args.files) > 1
    failures = 0
    for index, path in enumerate(args.files):
        try:
            # Decoded block by block and transcribed chunk by chunk: memory stays flat for an hour.
            result = transcribe_audio_file(recognizer.get, path, beam_size=args.beam_size, language=language)
        except ModelError:
            raise  # no file can be transcribed without a model: run() reports it once
        except VoxpadError as exc:
            _fail(str(exc), stderr)
            failures += 1
            continue
        text = format_transcript(result.transcript, output_format, path)
        if several and output_format != "json":
            # Like head(1): a header line says which file the text belongs to.
            text = ("\n" if index else "") + f"==> {path} <==\n" + text
        # A file that breaks off part-way still prints what was heard before the break (nothing
        # the user recorded is dropped), then says so, and the exit code is still non-zero.
        print(text, file=stdout, flush=True)
        if result.damage:
            _fail(result.damage, stderr)
            failures += 1
    return 1 if failures else 0


def _file_blocks(path: Path) -> Iterator[np.ndarray]:
    """``path`` decoded block by block (about 5 s each, so an hour of audio never sits in memory).

    The first block is read now, before any model loads: a file that is not audio fails at once
    with its sentence. The rest is decoded as the replay plays it.
    """
    from voxpad.audio.decode import AudioFileStream

    blocks = iter(AudioFileStream(path))
    first = next(blocks)  # AudioFileStream raises "no sound" rather than ending empty

    def chained() -> Iterator[np.ndarray]:
        try:
            yield first
            yield from blocks
        finally:
            blocks.close()  # stopped early: release the decoder and its file now

    return chained()


def _run_live(args: argparse.Namespace, language: str | None, stdout: TextIO, stderr: TextIO) -> int:
    blocks = _file_blocks(args.files[0])
    try:
        return _play_live(args, language, blocks, stdout, stderr)
    finally:
        blocks.close()  # however it ended (no model, Ctrl+C): release the decoder and its file now


def _play_live(args: argparse.Namespace, language: str | None, blocks: Iterator[np.ndarray],
               stdout: TextIO, stderr: TextIO) -> int:
    """Replay ``blocks`` in real time through the live dictation path, printing events as they come."""
    from voxpad.audio.microphone import Microphone, ReplayInputStream
    from voxpad.errors import AudioFileError
    from voxpad.stt.dictation import DictationEvent, StreamingDictation, run_microphone_dictation
    from voxpad.stt.long_audio import damage_sentence
    from voxpad.stt.recognizer import SpeechRecognizer

    as_json = args.json or args.format == "json"
    recognizer = SpeechRecognizer.load(args.model)
    factory = ReplayInputStream.factory(blocks, pace=args.pace or 1.0)

    def elapsed() -> float:
        stream = factory.stream
        started = stream.started_at if stream is not None and stream.started_at is not None else time.monotonic()
        return round(time.monotonic() - started, 3)

    heard: list[str] = []

    def emit(event: DictationEvent) -> None:
        if event.kind == "final" and event.text:
            heard.append(event.text)
        if as_json:
            print(json.dumps({"t": elapsed(), "type": event.kind, "text": event.text}, ensure_ascii=False),
                  file=stdout, flush=True)
        elif event.kind == "final" and event.text:
            print(event.text, file=stdout, flush=True)

    dictation = StreamingDictation(recognizer, emit, partials=as_json, beam_size=args.beam_size, language=language)
    microphone = Microphone(stream_factory=factory)

    def end_of_file() -> bool:
        return factory.stream is not None and factory.stream.exhausted.is_set()

    run_microphone_dictation(microphone, dictation, end_of_file)
    if as_json:
        print(json.dumps({"type": "done", "t": elapsed()}), file=stdout, flush=True)
    error = factory.stream.error if factory.stream is not None else None
    if error is None:
        return 0
    if not isinstance(error, AudioFileError):
        raise error  # a bug, not bad input: let the CLI report it as one
    # The file broke off part-way: its text was printed as it came, as batch mode does; now say why.
    _fail(damage_sentence(error, heard_something=bool(heard)), stderr)
    return 1


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``voxpad transcribe`` with parsed ``args``; returns the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    problem = _usage_problem(args)
    if problem:
        _fail(problem, stderr)
        return 2
    try:
        from voxpad.config import load_settings
        from voxpad.models.store import STT, resolve

        settings = load_settings()  # `voxpad models use` and the language setting apply here too
        args.model = resolve(args.model or settings.speech_model, STT)  # an installed name or a folder
        args.language = args.language or settings.language
        language = None if args.language.lower() == "auto" else args.language
        if args.live:
            return _run_live(args, language, stdout, stderr)
        return _run_batch(args, language, stdout, stderr)
    except VoxpadError as exc:
        _fail(str(exc), stderr)
        return 1
    except KeyboardInterrupt:
        _fail("Interrupted.", stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. piped into head): not an error worth a traceback.
        return 1
