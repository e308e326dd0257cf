"""``voxpad speak``: text to speech on the command line, to a WAV file or the speakers.

``voxpad speak --play -`` is a streaming mode for scripts: it loads the voice, prints
``ready`` on stderr, then speaks each line of stdin as soon as it arrives.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, Namespace
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from voxpad.errors import AudioFileError, VoxpadError

# After EOF, how long playback may take to finish before giving up (a stuck device).
_DRAIN_TIMEOUT_SECONDS = 600.0


def add_parser(subparsers) -> ArgumentParser:
    parser = subparsers.add_parser(
        "speak", help="say text aloud or save it as a WAV file",
        description="Say TEXT (or stdin with '-') with a piper voice. Plays it unless -o is "
                    "given; with '--play -' each line of stdin is spoken as soon as it arrives.")
    parser.add_argument("text", nargs="?", metavar="TEXT", help="text to speak, or - to read stdin")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write a 16-bit WAV file")
    parser.add_argument("--voice", type=Path, metavar="PATH", help="a piper .onnx voice (default: bundled)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X", help="0.5 (slow) to 2.0 (fast)")
    parser.add_argument("--play", action="store_true", help="play through the speakers (default without -o)")
    parser.add_argument("--device", metavar="NAME", help="output device name (default: the system's)")
    return parser


def run(args: Namespace, stdin: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``voxpad speak``; ``stdin``/``stderr`` default to the process's own."""
    if stdin is None:
        stdin = sys.stdin
        if hasattr(stdin, "reconfigure"):
            stdin.reconfigure(errors="replace")  # stray bytes become U+FFFD, which espeak skips
    stderr = stderr or sys.stderr
    try:
        return _speak(args, stdin, stderr)
    except VoxpadError as exc:
        print(f"voxpad: {exc}", file=stderr)
        return 1


def _speak(args: Namespace, stdin: TextIO, stderr: TextIO) -> int:
    from voxpad.tts.sentences import split_sentences
    from voxpad.tts.voice import Voice, open_wav_for_writing, to_int16

    if args.text is None:
        raise VoxpadError("Give the text to speak, or - to read it from stdin.")
    from_stdin = args.text == "-"
    if not from_stdin and not split_sentences(args.text):
        raise VoxpadError("There is no text to speak.")
    play = args.play or args.output is None

    voice = Voice.load(args.voice)
    # Open the device and the file before waiting on stdin, so either failing fails at once.
    speaker = _open_speaker(args.device, voice.sample_rate) if play else None
    wav = None
    spoken = 0
    try:
        if args.output is not None:
            wav = open_wav_for_writing(args.output, voice.sample_rate)
        if from_stdin:
            print("voxpad: ready", file=stderr, flush=True)
        for text in _texts(args.text, stdin):
            for span in split_sentences(text):
                samples = voice.synthesize(span.text, speed=args.speed)
                if speaker is not None:
                    speaker.play(samples, voice.sample_rate)
                if wav is not None:
                    wav.writeframes(to_int16(samples).tobytes())
                spoken += 1
        if speaker is not None:
            speaker.drain(_DRAIN_TIMEOUT_SECONDS)
    except KeyboardInterrupt:
        if speaker is not None:
            speaker.stop()
        return 130
    except OSError as exc:  # writing the WAV: disk full, device gone
        raise AudioFileError(f"Cannot write the audio file {args.output}: {exc.strerror or exc}.") from exc
    finally:
        if speaker is not None:
            speaker.close()
        if wav is not None:
            wav.close()
    if spoken == 0:
        if args.output is not None:
            args.output.unlink(missing_ok=True)  # an empty WAV would only mislead
        raise VoxpadError("There is no text to speak.")
    return 0


def _texts(text: str, stdin: TextIO) -> Iterator[str]:
    """The text to speak: the argument, or stdin line by line as each line arrives."""
    if text != "-":
        yield text
        return
    # readline() rather than iteration: it hands over each line the moment it is complete.
    while line := stdin.readline():
        yield line


def _open_speaker(device: str | None, samplerate: int):
    from voxpad.audio.speaker import Speaker

    speaker = Speaker(device=device)
    speaker.open(samplerate)  # fail before reading input if there is no sound device
    return speaker
