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
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write an audio file: .wav, .ogg (Opus) or .mp3")
    parser.add_argument("--voice", metavar="NAME|PATH",
                        help="an installed voice's name (voxpad models list) or a piper .onnx file "
                             "(default: the one chosen in settings, else the bundled one)")
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
    from voxpad.tts.reader import lead_in
    from voxpad.tts.speech_file import SpeechFile
    from voxpad.tts.voice import Voice

    if args.text is None:
        raise VoxpadError("Give the text to speak, or - to read it from stdin.")
    from_stdin = args.text == "-"
    if not from_stdin and not _spans(args.text):
        raise VoxpadError("There is no text to speak.")
    play = args.play or args.output is None

    from voxpad.models.store import TTS, resolve

    from voxpad.config import load_settings

    # An installed name or an .onnx path; by default the voice chosen with `voxpad models use`.
    voice = Voice.load(resolve(args.voice or load_settings().voice_model, TTS))
    # Open the device and the file before waiting on stdin, so either failing fails at once.
    speaker = _open_speaker(args.device, voice.sample_rate) if play else None
    wav = None
    spoken = 0
    try:
        if args.output is not None:
            wav = SpeechFile(args.output, voice.sample_rate)
        if from_stdin:
            # One silent synthesis first: onnxruntime's first run is several times slower,
            # and the first line a script sends should sound as fast as the rest.
            voice.synthesize("Ready.")
            print("voxpad: ready", file=stderr, flush=True)
        for text in _texts(args.text, stdin):
            for number, span in enumerate(_spans(text)):
                samples = voice.synthesize(span.text, speed=args.speed)
                if speaker is not None and number == 0:
                    samples = samples[lead_in(samples, voice.sample_rate):]  # sound sooner
                if speaker is not None:
                    speaker.play(samples, voice.sample_rate)
                if wav is not None:
                    wav.write(samples)
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


def _spans(text: str):
    """What to say, sentence by sentence: markup dropped, the first span short for a quick start."""
    from voxpad.tts.reader import quick_start_spans
    from voxpad.tts.reading_text import prepare_for_reading
    from voxpad.tts.sentences import split_sentences

    return quick_start_spans(split_sentences(prepare_for_reading(text).spoken), 0)


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
