"""``voxpad bench``: model load times, transcription speed, time to first audio.

Prints medians of repeated runs and ratios against a baseline measured in the same
process, because these machines are shared and noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from argparse import ArgumentParser, Namespace
from pathlib import Path

from voxpad.errors import AudioFileError, VoxpadError

# Each clip is transcribed 2 × --repeat times from memory, so decoding stays out of the figures;
# that needs the clip whole (a minute is 3.8 MB of float32). Longer files are refused rather than
# streamed: an hour would hold ~230 MB and take hours to measure six times, and how long files
# fare (chunking, memory) is benchmarks/bench_long_file.py's subject, not this quick check's.
MAX_CLIP_SECONDS = 600.0


def add_parser(subparsers) -> ArgumentParser:
    parser = subparsers.add_parser("bench", help="measure model load, transcription and speech speed")
    parser.add_argument("files", nargs="*", type=Path, help="audio files to transcribe (default: a synthesised one)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median reported)")
    return parser


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def load_clips(paths: list[Path]) -> list[tuple[str, object]]:
    """(name, samples) of each file, refusing any longer than MAX_CLIP_SECONDS before decoding it."""
    from voxpad.audio.decode import audio_duration, clock, load_audio_file

    clips = []
    for path in paths:
        seconds = audio_duration(path)  # from the header: a long file is refused without being read
        if seconds > MAX_CLIP_SECONDS:
            raise AudioFileError(
                f"{path} is {clock(seconds)} long and bench measures clips of up to {clock(MAX_CLIP_SECONDS)}; "
                f"use a shorter clip, or benchmarks/bench_long_file.py for long files.")
        clips.append((path.name, load_audio_file(path)))  # a cut-off clip raises: its figures would mislead
    return clips


def run(args: Namespace) -> int:
    import numpy as np

    from voxpad.audio.blocks import SAMPLE_RATE
    from voxpad.audio.resample import resample
    from voxpad.stt.recognizer import SpeechRecognizer
    from voxpad.tts.voice import Voice

    try:
        # Before any model loads: a bad or too long file is reported at once, not after a minute.
        clips = load_clips(args.files)
    except VoxpadError as exc:
        print(f"voxpad: {exc}", file=sys.stderr)
        return 1
    repeat = max(1, args.repeat)
    print(f"medians of {repeat} runs")
    load_stt, recognizer = _median_time(SpeechRecognizer.load, repeat)
    load_tts, voice = _median_time(Voice.load, repeat)
    print(f"load speech model        {load_stt:6.2f} s")
    print(f"load voice               {load_tts:6.2f} s")

    one = "The meeting is moved to Thursday at ten."
    many = " ".join([one] * 40)
    first_one, _ = _median_time(lambda: voice.synthesize(one), repeat)
    # Read-aloud synthesises sentence by sentence, so the first audio for a long text
    # costs the first sentence only; measured here through the same splitter.
    from voxpad.tts.sentences import split_sentences

    first_many, _ = _median_time(lambda: voice.synthesize(split_sentences(many)[0].text), repeat)
    whole_many, audio = _median_time(lambda: voice.synthesize(many), 1)
    audio_seconds = len(audio) / voice.sample_rate
    print(f"first audio, 1 sentence  {first_one * 1000:6.0f} ms")
    print(f"first audio, 40 sentences{first_many * 1000:6.0f} ms  (ratio {first_many / first_one:.2f})")
    print(f"speech synthesis RTF     {whole_many / audio_seconds:6.3f}  ({audio_seconds:.0f} s of speech)")

    if not clips:
        clips.append(("synthesised", resample(voice.synthesize(" ".join([one] * 4)), voice.sample_rate, SAMPLE_RATE)))
    total_audio = sum(len(a) for _, a in clips) / SAMPLE_RATE
    beam5, _ = _median_time(lambda: [recognizer.transcribe(a, beam_size=5) for _, a in clips], repeat)
    greedy, _ = _median_time(lambda: [recognizer.transcribe(a, beam_size=1) for _, a in clips], repeat)
    print(f"transcribe {total_audio:.1f} s of audio, beam 5: {beam5:6.2f} s  RTF {beam5 / total_audio:.3f}")
    print(f"transcribe {total_audio:.1f} s of audio, greedy: {greedy:6.2f} s  RTF {greedy / total_audio:.3f}"
          f"  (ratio to beam 5: {greedy / beam5:.2f})")
    silence = np.zeros(SAMPLE_RATE * 5, dtype=np.float32)
    empty, result = _median_time(lambda: recognizer.transcribe(silence), repeat)
    print(f"5 s of silence           {empty:6.2f} s  -> {result.text!r}")
    return 0
