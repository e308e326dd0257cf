"""Live dictation benchmark: how soon words appear, how soon the last final follows Stop, how accurate.

Builds two dictations from ../shared/testdata/speech/ (each clip's trailing silence cut, so
the file ends when speech ends): the clips joined with ~1 s pauses (one utterance per clip)
and with ~0.25 s pauses (one long utterance). Each is fed at real-time pace through exactly the
pipeline ``voxpad transcribe --live`` and the window use (ReplayInputStream → Microphone →
run_microphone_dictation → StreamingDictation), several times, and reports medians of:

* stop-to-final: feeder-clock time of the last final minus the file's duration (end of
  file = the user pressed Stop right after the last word);
* partial lag: when each word first shows on screen (finals so far + current partial) minus
  when it was spoken (its end time from an offline word-timestamped transcription);
* streaming WER vs the offline WER of the same model (beam 5, whole file) on the same audio;
* the batch baseline: transcribing the whole recording after Stop (what batch apps make you wait).

With ``--long-minutes N`` it instead loops the clips (1 s pauses) into one ~N-minute dictation,
feeds it once at real-time pace and reports, minute by minute, whether decoding keeps up:
backlog (feeder clock minus audio consumed, after each feed), decode load, partials shown
and skipped, how long finals took after their utterance ended; then the WER (streaming vs
offline beam 5 on the same audio) and stop-to-final.

With ``--block-seconds B`` it instead feeds each dictation straight into StreamingDictation in
B-second blocks, as fast as decoding allows: what a worker that is behind sees (the microphone
hands over a backlog, e.g. while the model loads). Blocks over 0.4 s get no partials, so every
final is decoded with nothing committed; it reports the WER of the finals per block size.

Usage: .venv/bin/python benchmarks/bench_live.py [--runs 3] [--pace 1]
       .venv/bin/python benchmarks/bench_live.py --long-minutes 10
       .venv/bin/python benchmarks/bench_live.py --block-seconds 0.1 1 3 11
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from speech_metrics import normalise, wer  # noqa: E402

from voxpad.audio.blocks import SAMPLE_RATE  # noqa: E402
from voxpad.audio.decode import load_audio_file  # noqa: E402
from voxpad.audio.microphone import Microphone, ReplayInputStream  # noqa: E402
from voxpad.stt.dictation import DictationEvent, StreamingDictation, run_microphone_dictation  # noqa: E402
from voxpad.stt.recognizer import SpeechRecognizer  # noqa: E402

SPEECH = ROOT.parent / "shared" / "testdata" / "speech"


def trim_trailing_silence(audio: np.ndarray) -> np.ndarray:
    """Cut after the last 10 ms frame whose level is above 5 % of the clip's loudest frame."""
    frame = SAMPLE_RATE // 100
    frames = len(audio) // frame
    rms = np.sqrt(np.mean(audio[: frames * frame].reshape(frames, frame) ** 2, axis=1))
    loud = np.nonzero(rms > 0.05 * rms.max())[0]
    return audio[: (loud[-1] + 1) * frame] if len(loud) else audio


def load_clips() -> list[tuple[np.ndarray, str]]:
    clips = []
    lines = (SPEECH / "manifest.tsv").read_text().splitlines()[1:]
    for line in lines:
        name, _duration, transcript = line.split("\t")[:3]
        clips.append((trim_trailing_silence(load_audio_file(SPEECH / name)), transcript))
    return clips


def join(clips: list[tuple[np.ndarray, str]], pause: float) -> tuple[np.ndarray, str]:
    gap = np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)
    pieces = []
    for index, (audio, _text) in enumerate(clips):
        if index:
            pieces.append(gap)
        pieces.append(audio)
    return np.concatenate(pieces), " ".join(text for _audio, text in clips)


def spoken_words(recognizer: SpeechRecognizer, audio: np.ndarray) -> list[tuple[str, float]]:
    """(normalised word, end time) from an offline word-timestamped transcription."""
    segments, _info = recognizer.whisper_model.transcribe(
        audio, beam_size=5, word_timestamps=True, condition_on_previous_text=False, language="en")
    words = []
    for segment in segments:
        for word in segment.words or []:
            for piece in normalise(word.word).split():
                words.append((piece, float(word.end)))
    return words


class TracedDictation(StreamingDictation):
    """StreamingDictation that records, after every feed, where the feeder's clock and the consumer are.

    ``trace`` rows: (feeder-clock seconds, audio seconds consumed, decode seconds so far,
    partials skipped so far). Feeder clock minus audio consumed is the backlog: audio the
    microphone delivered that the pipeline has not taken in yet.
    """

    def __init__(self, *args, clock, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self.trace: list[tuple[float, float, float, int]] = []

    def feed(self, samples: np.ndarray) -> None:
        super().feed(samples)
        self.trace.append((self._clock(), self.audio_time, self.decode_seconds, self.skipped_partials))


def live_run(recognizer: SpeechRecognizer, audio: np.ndarray, pace: float) -> tuple[list[tuple[float, DictationEvent]], TracedDictation]:
    """Feed ``audio`` through the live pipeline; (feeder-clock time, event) for every event."""
    factory = ReplayInputStream.factory(audio, pace=pace)
    events: list[tuple[float, DictationEvent]] = []

    def clock() -> float:
        return time.monotonic() - factory.stream.started_at

    def on_event(event: DictationEvent) -> None:
        events.append((clock(), event))

    dictation = TracedDictation(recognizer, on_event, clock=clock)
    run_microphone_dictation(Microphone(stream_factory=factory), dictation,
                             lambda: factory.stream is not None and factory.stream.exhausted.is_set())
    return events, dictation


def first_shown(events: list[tuple[float, DictationEvent]], words: list[tuple[str, float]], pace: float) -> list[float]:
    """Lag (s) from each spoken word's end to when the screen first showed it at about its place."""
    spoken = [word for word, _end in words]
    finals: list[str] = []
    shown_at: list[float | None] = [None] * len(words)
    for t, event in events:
        if event.kind == "final":
            finals.append(event.text)
            screen = normalise(" ".join(finals)).split()
        else:
            screen = normalise(" ".join(finals + [event.text])).split()
        # A word counts as shown once the screen's text aligns a matching word with it.
        matcher = difflib.SequenceMatcher(None, spoken, screen, autojunk=False)
        for block in matcher.get_matching_blocks():
            for index in range(block.a, block.a + block.size):
                if shown_at[index] is None:
                    shown_at[index] = t
    lags = []
    for (word, end), t in zip(words, shown_at):
        if t is not None:
            lags.append(t - end / pace)
    return lags


def long_dictation(clips: list[tuple[np.ndarray, str]], minutes: float, pause: float = 1.0) -> tuple[np.ndarray, str]:
    """The clips looped (``pause`` s between them) until the dictation lasts at least ``minutes``."""
    looped: list[tuple[np.ndarray, str]] = []
    seconds = 0.0
    while seconds < minutes * 60:
        for clip in clips:
            looped.append(clip)
            seconds += len(clip[0]) / SAMPLE_RATE + pause
            if seconds >= minutes * 60:
                break
    return join(looped, pause)


def run_long(recognizer: SpeechRecognizer, clips: list[tuple[np.ndarray, str]], minutes: float, pace: float) -> int:
    audio, reference = long_dictation(clips, minutes)
    duration = len(audio) / SAMPLE_RATE
    print(f"long dictation: {duration:.1f} s of audio ({duration / 60:.1f} min), "
          f"{len(reference.split())} words, fed once at {pace}x", flush=True)
    began = time.perf_counter()
    events, dictation = live_run(recognizer, audio, pace)
    wall = time.perf_counter() - began
    finals = [event.text for _t, event in events if event.kind == "final"]
    final_times = [t for t, event in events if event.kind == "final"]
    stop_to_final = final_times[-1] - duration / pace if final_times else float("nan")

    print()
    print(f"{'minute':>6s} {'backlog med s':>13s} {'backlog max s':>13s} {'decode load':>11s} {'partials':>8s} "
          f"{'skipped':>7s} {'partial age med s':>17s} {'final after end med/max s':>25s}")
    minute_seconds = 60.0 / pace
    bucket_count = int(np.ceil(duration / pace / minute_seconds))
    previous_decode, previous_skipped = 0.0, 0
    summary = []
    for index in range(bucket_count):
        low, high = index * minute_seconds, (index + 1) * minute_seconds
        rows = [row for row in dictation.trace if low <= row[0] < high]
        if not rows:
            continue
        backlogs = [clock - consumed / pace for clock, consumed, _d, _s in rows]
        decode, skipped = rows[-1][2], rows[-1][3]
        load = (decode - previous_decode) / (min(high, rows[-1][0]) - low)
        in_bucket = [(t, event) for t, event in events if low <= t < high]
        partial_ages = [t - event.audio_time / pace for t, event in in_bucket if event.kind == "partial"]
        final_ages = [t - event.audio_time / pace for t, event in in_bucket if event.kind == "final"]
        summary.append((statistics.median(backlogs), max(backlogs), load))
        print(f"{index + 1:6d} {statistics.median(backlogs):13.3f} {max(backlogs):13.3f} {load:11.2f} "
              f"{len(partial_ages):8d} {skipped - previous_skipped:7d} "
              f"{(statistics.median(partial_ages) if partial_ages else float('nan')):17.3f} "
              f"{(statistics.median(final_ages) if final_ages else float('nan')):12.3f} / "
              f"{(max(final_ages) if final_ages else float('nan')):.3f}", flush=True)
        previous_decode, previous_skipped = decode, skipped

    stream_wer = 100 * wer([reference], [" ".join(finals)])
    offline_began = time.perf_counter()
    offline = recognizer.transcribe(audio, beam_size=5, vad_filter=True).text
    offline_seconds = time.perf_counter() - offline_began
    offline_wer = 100 * wer([reference], [offline])
    print()
    print(f"wall time of the live run {wall:.1f} s for {duration / pace:.1f} s of audio")
    print(f"backlog median first minute {summary[0][0]:.3f} s, last minute {summary[-1][0]:.3f} s; "
          f"max over the run {max(row[1] for row in summary):.3f} s")
    print(f"decode load overall {dictation.decode_seconds / (duration / pace):.2f} "
          f"(first minute {summary[0][2]:.2f}, last minute {summary[-1][2]:.2f}); "
          f"decodes {dictation.decodes}; partials {sum(1 for _t, e in events if e.kind == 'partial')}, "
          f"skipped {dictation.skipped_partials}; finals {len(finals)}")
    print(f"stop-to-final {stop_to_final:.3f} s")
    print(f"WER streaming {stream_wer:.2f} %, offline (beam 5, vad_filter, whole file) {offline_wer:.2f} % "
          f"(offline transcription took {offline_seconds:.1f} s)")
    return 0


def run_blocks(recognizer: SpeechRecognizer, clips: list[tuple[np.ndarray, str]], blocks: list[float],
               only: str | None) -> int:
    """Each dictation fed in ``blocks``-second pieces at once (a backlog): WER of its finals."""
    rows = []
    for label, pause in (("1 s pauses", 1.0), ("0.25 s pauses", 0.25)):
        if only is not None and float(only) != pause:
            continue
        audio, reference = join(clips, pause)
        for block in blocks:
            finals: list[str] = []
            dictation = StreamingDictation(
                recognizer, lambda event: finals.append(event.text) if event.kind == "final" else None)
            size = max(1, int(block * SAMPLE_RATE))
            began = time.perf_counter()
            for start in range(0, len(audio), size):
                dictation.feed(audio[start:start + size])
            dictation.finish()
            took = time.perf_counter() - began
            streaming = " ".join(finals)
            rows.append((label, block, 100 * wer([reference], [streaming]), took, dictation.decodes))
            print(f"[{label}] block {block:g} s: {streaming}", flush=True)
    print()
    print(f"{'dictation':15s} {'block s':>7s} {'WER %':>6s} {'wall s':>7s} {'decodes':>7s}")
    for label, block, error, took, decodes in rows:
        print(f"{label:15s} {block:7g} {error:6.2f} {took:7.2f} {decodes:7d}")
    return 0


def word_differences(offline: str, streaming: str) -> str:
    """Where the streaming transcript's words differ from the offline one's: "offline → streaming; …"."""
    a, b = normalise(offline).split(), normalise(streaming).split()
    changes = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            changes.append(f"{' '.join(a[a0:a1]) or '∅'} → {' '.join(b[b0:b1]) or '∅'}")
    return "; ".join(changes) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--long-minutes", type=float, default=0.0,
                        help="instead: one dictation of the clips looped to this many minutes; report backlog over time")
    parser.add_argument("--only", choices=("1", "0.25"), default=None,
                        help="run only the dictation with this pause (seconds)")
    parser.add_argument("--block-seconds", type=float, nargs="+", default=None, metavar="B",
                        help="instead: feed each dictation in B-second blocks at once (a worker that is "
                             "behind: no partials above 0.4 s) and report the WER of its finals")
    args = parser.parse_args()

    recognizer = SpeechRecognizer.load()
    clips = load_clips()
    if args.block_seconds:
        return run_blocks(recognizer, clips, args.block_seconds, args.only)
    if args.long_minutes > 0:
        return run_long(recognizer, clips, args.long_minutes, args.pace)
    rows = []
    for label, pause in (("1 s pauses", 1.0), ("0.25 s pauses", 0.25)):
        if args.only is not None and float(args.only) != pause:
            continue
        audio, reference = join(clips, pause)
        duration = len(audio) / SAMPLE_RATE
        words = spoken_words(recognizer, audio)
        offline = recognizer.transcribe(audio, beam_size=5, vad_filter=True).text
        offline_wer = 100 * wer([reference], [offline])
        batch_times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            recognizer.transcribe(audio, beam_size=5)
            batch_times.append(time.perf_counter() - began)
        stop_to_final, lag_medians, wers, decode_load, skipped, partial_counts = [], [], [], [], [], []
        for run in range(args.runs):
            events, dictation = live_run(recognizer, audio, args.pace)
            finals = [event.text for _t, event in events if event.kind == "final"]
            final_times = [t for t, event in events if event.kind == "final"]
            stop_to_final.append(final_times[-1] - duration / args.pace if final_times else float("nan"))
            lags = first_shown(events, words, args.pace)
            lag_medians.append(statistics.median(lags) if lags else float("nan"))
            wers.append(100 * wer([reference], [" ".join(finals)]))
            decode_load.append(dictation.decode_seconds / (duration / args.pace))
            skipped.append(dictation.skipped_partials)
            partial_counts.append(sum(1 for _t, e in events if e.kind == "partial"))
            if run == 0:
                print(f"[{label}] streaming: {' '.join(finals)}", flush=True)
                print(f"[{label}] offline:   {offline}", flush=True)
            print(f"  run {run + 1} words offline → streaming: {word_differences(offline, ' '.join(finals))}", flush=True)
            print(f"  run {run + 1}: stop-to-final {stop_to_final[-1]:.3f} s, median lag {lag_medians[-1]:.3f} s "
                  f"({len(lags)}/{len(words)} words), WER {wers[-1]:.2f} %, decode load {decode_load[-1]:.2f}, "
                  f"partials {partial_counts[-1]}, skipped {skipped[-1]}", flush=True)
        rows.append((label, duration, statistics.median(stop_to_final), statistics.median(lag_medians),
                     statistics.median(wers), offline_wer, statistics.median(batch_times),
                     statistics.median(decode_load)))

    print()
    print(f"medians of {args.runs} runs, pace {args.pace}x, tiny.en int8")
    header = (f"{'dictation':15s} {'audio s':>7s} {'stop→final s':>12s} {'batch s':>8s} {'ratio':>6s} "
              f"{'partial lag s':>13s} {'WER stream %':>12s} {'WER offline %':>13s} {'decode load':>11s}")
    print(header)
    for label, duration, s2f, lag, swer, ower, batch, load in rows:
        print(f"{label:15s} {duration:7.1f} {s2f:12.3f} {batch:8.3f} {batch / max(s2f, 1e-3):6.1f} "
              f"{lag:13.3f} {swer:12.2f} {ower:13.2f} {load:11.2f}")
    print("targets: stop→final ≤ 0.35 s, partial lag ≤ 0.6 s, WER stream ≤ WER offline + 0.5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
