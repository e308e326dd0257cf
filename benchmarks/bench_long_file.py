"""Transcribing a long file: peak memory and time, whole-file decode (old) against streaming (new).

    .venv/bin/python benchmarks/bench_long_file.py [--minutes 60] [--beam-size 5] [--repeat 1]

Builds a temporary WAV of the speech set (../shared/testdata/speech) looped with pauses of
0.3-3 s until it lasts ``--minutes``, written clip by clip so this script never holds it whole.
Each approach runs in its own child process (model load included), alternating old/new when
repeated; the parent reads the child's peak RSS from wait4's ru_maxrss and also samples
/proc/PID/status (VmHWM). Prints medians, the new/old ratios, and the WER of each against the
looped reference text. ``--clips`` also compares both paths on each speech clip alone.

Old = what ``voxpad transcribe`` did before streaming: faster-whisper's decode_audio of the whole
file, then one WhisperModel.transcribe(vad_filter=True) over it. New = voxpad.stt.long_audio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO.parent / "shared" / "testdata" / "speech"
sys.path.insert(0, str(REPO / "tests"))  # speech_metrics: the WER normalisation the tests use


def speech_set() -> list[tuple[Path, str]]:
    rows = (SPEECH / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(SPEECH / row.split("\t")[0], row.split("\t")[2]) for row in rows]


def build_long_file(path: Path, minutes: float, seed: int = 1) -> str:
    """Write ``minutes`` of looped speech with pauses to ``path``; returns the reference text."""
    import numpy as np
    import soundfile as sf

    from voxpad.audio.decode import load_audio_file

    clips = [(load_audio_file(p), text) for p, text in speech_set()]
    rng = random.Random(seed)
    target = int(minutes * 60 * 16000)
    written, words = 0, []
    with sf.SoundFile(path, "w", samplerate=16000, channels=1, subtype="PCM_16") as out:
        while written < target:
            samples, text = clips[rng.randrange(len(clips))]
            pause = np.zeros(int(rng.uniform(0.3, 3.0) * 16000), dtype=np.float32)
            out.write(pause)
            out.write(samples)
            written += len(pause) + len(samples)
            words.append(text)
    return " ".join(words)


# -- child: one transcription, reporting its own figures ---------------------------------------


def child(approach: str, path: str, beam_size: int) -> None:
    from voxpad.stt.recognizer import SpeechRecognizer

    started = time.perf_counter()
    recognizer = SpeechRecognizer.load()
    loaded = time.perf_counter()
    if approach == "old":
        from faster_whisper.audio import decode_audio

        audio = decode_audio(path, sampling_rate=16000)
        segments = recognizer.transcribe(audio, beam_size=beam_size, vad_filter=True).segments
    else:
        from voxpad.stt.long_audio import transcribe_audio_file

        segments = transcribe_audio_file(recognizer, path, beam_size=beam_size).transcript.segments
    finished = time.perf_counter()
    starts = [s.start for s in segments]
    print(json.dumps({
        "text": " ".join(s.text for s in segments),
        "segments": len(segments),
        "monotonic": starts == sorted(starts) and all(s.start <= s.end for s in segments),
        "last_end": segments[-1].end if segments else 0.0,
        "load_s": loaded - started,
        "transcribe_s": finished - loaded,
    }))


def run_child(approach: str, path: Path, beam_size: int) -> dict:
    command = [sys.executable, __file__, "--child", approach, str(path), "--beam-size", str(beam_size)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    hwm_kb = 0
    status = Path(f"/proc/{process.pid}/status")
    output: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: output.append(process.stdout.read()))
    reader.start()
    while True:
        pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    hwm_kb = max(hwm_kb, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.2)
    reader.join()
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    if process.returncode != 0:
        raise SystemExit(f"{approach} child failed with exit code {process.returncode}")
    result = json.loads(output[0].strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kB
    result["vmhwm_mb"] = hwm_kb / 1024
    return result


def compare_clips(beam_size: int) -> None:
    from faster_whisper.audio import decode_audio
    from speech_metrics import wer

    from voxpad.stt.long_audio import transcribe_audio_file
    from voxpad.stt.recognizer import SpeechRecognizer

    recognizer = SpeechRecognizer.load()
    refs, old, new = [], [], []
    for path, reference in speech_set():
        refs.append(reference)
        old.append(recognizer.transcribe(decode_audio(str(path)), beam_size=beam_size, vad_filter=True).text)
        new.append(transcribe_audio_file(recognizer, path, beam_size=beam_size).transcript.text)
        if old[-1] != new[-1]:
            print(f"  differs on {path.name}: old {old[-1]!r} new {new[-1]!r}")
    print(f"speech set, one clip per file (beam {beam_size}): WER old {wer(refs, old):.4f}  new {wer(refs, new):.4f}"
          f"  identical texts: {sum(a == b for a, b in zip(old, new))}/{len(refs)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="runs per approach (medians reported)")
    parser.add_argument("--clips", action="store_true", help="also compare WER clip by clip")
    parser.add_argument("--only", choices=["old", "new"], help="run one approach only")
    parser.add_argument("--child", nargs=2, metavar=("APPROACH", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.beam_size)
        return 0

    from speech_metrics import wer

    if args.clips:
        compare_clips(args.beam_size)
    with tempfile.TemporaryDirectory(prefix="voxpad-long-") as folder:
        path = Path(folder) / "long.wav"
        reference = build_long_file(path, args.minutes)
        print(f"input: {args.minutes:g} min of looped speech, {path.stat().st_size / 1e6:.0f} MB WAV "
              f"(16 kHz mono 16-bit), beam {args.beam_size}, {args.repeat} run(s) each")
        approaches = [args.only] if args.only else ["old", "new"]
        results: dict[str, list[dict]] = {a: [] for a in approaches}
        for _ in range(args.repeat):
            for approach in approaches:
                result = run_child(approach, path, args.beam_size)
                result["wer"] = wer([reference], [result["text"]])
                results[approach].append(result)
                print(f"  {approach}: peak RSS {result['peak_rss_mb']:6.0f} MB (VmHWM {result['vmhwm_mb']:.0f}), "
                      f"transcribe {result['transcribe_s']:7.1f} s, WER {result['wer']:.4f}, "
                      f"{result['segments']} segments, times increasing: {result['monotonic']}, "
                      f"last ends at {result['last_end']:.1f} s", flush=True)
        median = {a: {k: statistics.median(r[k] for r in rs) for k in ("peak_rss_mb", "transcribe_s", "wer")}
                  for a, rs in results.items()}
        for approach, figures in median.items():
            print(f"{approach:>4} median: peak RSS {figures['peak_rss_mb']:6.0f} MB  "
                  f"time {figures['transcribe_s']:7.1f} s  WER {figures['wer']:.4f}")
        if len(median) == 2:
            print(f"new/old ratio: peak RSS {median['new']['peak_rss_mb'] / median['old']['peak_rss_mb']:.2f}  "
                  f"time {median['new']['transcribe_s'] / median['old']['transcribe_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
