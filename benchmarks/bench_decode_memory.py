"""Where the soak's one-off RSS steps come from: decodes of growing and varying length, VAD, reads.

One process loads the bundled model and voice and decodes, through ShortContextDecoder as
StreamingDictation does (greedy partials with the previous text as prompt, a beam-5 final
with the committed words forced, the greedy revisable final after Stop), utterances of
1..15 s cut from ../shared/testdata/speech, each pass on a new thread as each dictation
session is. RSS is recorded after each step:

    all loaded     model, VAD and voice loaded, one read and 10 s of VAD done
    up N s         decodes of N = 1, 2, ... 15 s   (a new longest decode at each step)
    again          the same lengths once more      (flat if only the high-water mark matters)
    cycle 1..10    soak-like: a session (10 s of VAD, 6 decodes of random length), then a read

Variants differ in switches that must be set before the libraries load, so each run is a
subprocess (``--child VARIANT``); the parent runs every variant ``--runs`` times, interleaved,
and prints medians and the difference against the first variant. ``--reads N`` instead
compares piper session set-ups over N reads each (RSS and read time).

    .venv/bin/python benchmarks/bench_decode_memory.py [--runs 3] [--jobs 2] [--variants baseline,...]
    .venv/bin/python benchmarks/bench_decode_memory.py --reads 20 [--runs 3] [--variants arena,no_arena]

Measured 2026-11-28 on 2 cores shared with other jobs (load average 6-12), in MB:
one run per variant, RSS growth from "again" to cycle 10 and the largest RSS step of one read:
baseline +53.8 / +41.4, MKL fast MM off +45.8 / +40.1, mkl_free_buffers after each decode
+47.2 / +41.7, CTranslate2 without MKL +46.0 / +41.3, glibc defaults +49.6 / +44.6, piper
without the onnxruntime arena +0.1 / +0.1. --reads 20, 3 runs, growth over 20 reads: arena
+51.3, no arena +0.4, arena shrunk after each run +0.5, arena kSameAsRequested +80.5.
(All before the app shrank its voice's arena: "baseline" then had the piper arena kept.)
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from soak import READ_TEXT, rss_mb  # the soak's own sentence and RSS reading (this script's folder)

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "testdata" / "speech"

CYCLES = 10  # soak-like cycles after the warm-up passes: a session of decodes, then a read
DECODES_PER_CYCLE = 6

# name -> (environment for the child, what it tests)
VARIANTS: dict[str, tuple[dict[str, str], str]] = {
    "baseline": ({}, "the app as it is (voxpad.native_memory applied on import; since 2026-11-28 the "
                     "voice's arena is shrunk after each run)"),
    # MKL reads MKL_DISABLE_FAST_MM once; any value, "0" included, turns its memory manager off
    # (mkl_serv_get_fast_mm_status() says 1), so there is no "explicitly on" variant.
    "mkl_fast_mm_off": ({"MKL_DISABLE_FAST_MM": "1"}, "MKL's fast memory manager off (mkl_malloc -> malloc)"),
    "mkl_free_after": ({"BENCH_FREE_MKL_BUFFERS": "1"}, "mkl_free_buffers() after every decode"),
    "ct2_no_mkl": ({"CT2_USE_MKL": "0"}, "CTranslate2 without MKL (oneDNN gemm)"),
    "ort_arena": ({"BENCH_PIPER_SESSION": "arena"}, "piper's onnxruntime session with its CPU memory arena"),
    "ort_no_arena": ({"BENCH_PIPER_SESSION": "no_arena"}, "piper's onnxruntime session without its CPU memory arena"),
    "glibc_default": ({"MALLOC_ARENA_MAX": "8", "MALLOC_MMAP_THRESHOLD_": "131072"},
                      "no arena cap, glibc's default (dynamic) mmap threshold start"),
}


def ct2_library() -> ctypes.CDLL | None:
    """The loaded libctranslate2 (it carries a static MKL), found through /proc/self/maps."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libctranslate2" in line:
                return ctypes.CDLL(line.split()[-1])
    return None


def mkl_held_mb(lib) -> float:
    """Bytes MKL's memory manager has handed out and not yet given back (mkl_mem_stat), in MB."""
    if lib is None or not hasattr(lib, "mkl_serv_mem_stat"):
        return float("nan")
    buffers = ctypes.c_int(0)
    lib.mkl_serv_mem_stat.restype = ctypes.c_int64
    return lib.mkl_serv_mem_stat(ctypes.byref(buffers)) / (1 << 20)


def speech() -> list[tuple[object, str]]:
    from voxpad.audio.decode import load_audio_file

    rows = (SPEECH / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(load_audio_file(SPEECH / row.split("\t")[0]), row.split("\t")[2]) for row in rows]


def child(variant: str, seed: int) -> None:
    import numpy as np

    import voxpad  # noqa: F401  (tune_malloc, as the app does on import)
    from voxpad.audio.blocks import SAMPLE_RATE
    from voxpad.stt.fast_decoder import ShortContextDecoder
    from voxpad.stt.recognizer import SpeechRecognizer
    from voxpad.stt.vad import VoiceActivity
    from voxpad.tts.voice import Voice

    free_after = os.environ.get("BENCH_FREE_MKL_BUFFERS") == "1"
    clips = speech()
    stream = np.concatenate([np.concatenate([audio, np.zeros(SAMPLE_RATE // 4, np.float32)]) for audio, _ in clips])
    words = " ".join(text for _, text in clips).split()
    recognizer = SpeechRecognizer.load()
    decoder = ShortContextDecoder(recognizer, language="en")
    lib = ct2_library()
    rng = random.Random(seed)
    steps: list[dict] = []
    decode_time = [0.0]

    def record(step: str) -> None:
        steps.append({"step": step, "rss": round(rss_mb(), 1), "mkl": round(mkl_held_mb(lib), 1)})
        print(json.dumps(steps[-1]), file=sys.stderr, flush=True)

    record("model loaded")

    def utterance(seconds: float):
        start = rng.randrange(0, len(stream) - int(seconds * SAMPLE_RATE))
        return stream[start:start + int(seconds * SAMPLE_RATE)]

    def decode_like_dictation(seconds: float) -> None:
        audio = utterance(seconds)
        began = time.perf_counter()
        previous = " ".join(rng.sample(words, 8))
        committed = ""
        # partials: greedy, previous text as prompt, growing by ~1 s
        for part in sorted({max(1.0, seconds - k) for k in (2, 1)}):
            added = decoder.decode(audio[: int(part * SAMPLE_RATE)], beam_size=1, committed=committed,
                                   previous=previous).text
            committed = " ".join((committed + added).split()[:-2])  # what LocalAgreement would have settled
        decoder.decode(audio, beam_size=5, committed=committed)  # the final at a pause
        decoder.decode(audio, beam_size=1, committed=committed, previous=previous, revisable=True)  # after Stop
        decode_time[0] += time.perf_counter() - began
        if free_after and lib is not None:
            with recognizer.lock:
                lib.mkl_free_buffers()

    def on_new_thread(function) -> None:
        thread = threading.Thread(target=function)
        thread.start()
        thread.join()

    def up() -> None:
        for seconds in range(1, 16):
            decode_like_dictation(seconds)
            record(f"up {seconds} s")

    def again() -> None:
        for seconds in range(1, 16):
            decode_like_dictation(seconds)
        record("again 1..15 s")

    def vad(seconds: float = 10.0) -> None:
        block = VoiceActivity.WINDOW * 3
        audio = utterance(seconds)
        for start in range(0, len(audio) - block, block):
            activity.probabilities(audio[start:start + block].reshape(-1, VoiceActivity.WINDOW))

    def session() -> None:  # one dictation session: VAD over its audio, decodes of random length
        vad()
        for _ in range(DECODES_PER_CYCLE):
            decode_like_dictation(rng.uniform(1.0, 15.0))

    # Everything loaded first, as in the soak's warm-up.
    activity = VoiceActivity()
    voice = Voice.load()
    if os.environ.get("BENCH_PIPER_SESSION"):
        from piper import PiperVoice

        voice._piper = PiperVoice(config=voice._piper.config,
                                  session=piper_session(voice, os.environ["BENCH_PIPER_SESSION"]))
    on_new_thread(lambda: voice.synthesize_words(READ_TEXT))
    on_new_thread(vad)
    record("all loaded")
    on_new_thread(up)
    on_new_thread(again)
    reads = []
    for cycle in range(1, CYCLES + 1):
        on_new_thread(session)
        before = rss_mb()
        began = time.perf_counter()
        on_new_thread(lambda: voice.synthesize_words(READ_TEXT))
        reads.append((round(rss_mb() - before, 1), round(time.perf_counter() - began, 3)))
        record(f"cycle {cycle}")
    record("end")
    print(json.dumps({"variant": variant, "steps": steps, "decode_s": round(decode_time[0], 2),
                      "reads": reads}), flush=True)


# Piper session set-ups compared by --reads. The app's own (voxpad.tts.voice._load_piper) is
# "shrink" since these measurements; "arena" is what it was before.
READ_VARIANTS = {
    "arena": "the app's session options, CPU memory arena on (onnxruntime's default; extends by powers of two)",
    "no_arena": "enable_cpu_mem_arena = False: every tensor from malloc, freed after the run",
    "shrink": "arena on, run option memory.enable_memory_arena_shrinkage=cpu:0 (free regions released after each run)",
    "same_as_requested": "arena from OrtArenaCfg with arena_extend_strategy kSameAsRequested (env allocator)",
}


def piper_session(voice, variant: str):
    """A piper session like voxpad.tts.voice._load_piper's, changed as ``variant`` says."""
    import onnxruntime

    from voxpad.tts.voice import _aligned_model, _session_options

    options = _session_options()
    options.enable_cpu_mem_arena = variant != "no_arena"
    if variant == "same_as_requested":
        memory = onnxruntime.OrtMemoryInfo("Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0,
                                           onnxruntime.OrtMemType.DEFAULT)
        onnxruntime.create_and_register_allocator(memory, onnxruntime.OrtArenaCfg(0, 1, -1, -1))
        options.add_session_config_entry("session.use_env_allocators", "1")
    session = onnxruntime.InferenceSession(_aligned_model(voice.model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    if variant != "shrink":
        return session
    from voxpad.native_memory import ArenaShrinkingSession

    return ArenaShrinkingSession(session)


def reads_child(variant: str, count: int) -> None:
    """``count`` reads of the soak's text (each on a new thread, as the reader does): RSS and time."""
    import voxpad  # noqa: F401
    from piper import PiperVoice

    from voxpad.tts.voice import Voice

    voice = Voice.load()
    voice._piper = PiperVoice(config=voice._piper.config, session=piper_session(voice, variant))
    texts = [READ_TEXT, READ_TEXT + " " + READ_TEXT.replace("soak", "long soak")]
    rows = []
    for index in range(count + 1):
        before, began = rss_mb(), time.perf_counter()
        thread = threading.Thread(target=lambda: voice.synthesize_words(texts[index % 2]))
        thread.start()
        thread.join()
        rows.append((round(rss_mb(), 1), round(rss_mb() - before, 1), round(time.perf_counter() - began, 3)))
    print(json.dumps({"variant": variant, "rows": rows[1:], "warm": rows[0]}), flush=True)


def run_child_process(variant: str, arguments: list[str], env: dict[str, str] | None = None) -> dict:
    """Run this script as ``--child VARIANT`` with ``arguments``; the JSON its last line prints."""
    done = subprocess.run([sys.executable, __file__, *arguments, "--child", variant],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def reads_main(count: int, runs: int, variants: list[str]) -> None:
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for run in range(runs):
        for name in variants:  # one at a time: read times are compared
            results[name].append(run_child_process(name, ["--reads", str(count)]))
            rows = results[name][-1]["rows"]
            print(f"run {run + 1} {name}: RSS " + " ".join(f"{r[0]:.0f}" for r in rows), file=sys.stderr, flush=True)
    print(f"{count} reads per run (after one warm-up read), {runs} runs, loadavg {os.getloadavg()[0]:.1f}")
    print(f"{'variant':<18}{'RSS warm':>9}{'RSS end':>9}{'growth':>8}{'max step':>9}{'read s (median)':>17}")
    for name in variants:
        runs_ = results[name]
        print(f"{name:<18}{statistics.median(r['warm'][0] for r in runs_):>9.1f}"
              f"{statistics.median(r['rows'][-1][0] for r in runs_):>9.1f}"
              f"{statistics.median(r['rows'][-1][0] - r['warm'][0] for r in runs_):>8.1f}"
              f"{statistics.median(max(row[1] for row in r['rows']) for r in runs_):>9.1f}"
              f"{statistics.median(row[2] for r in runs_ for row in r['rows']):>17.3f}")
    for name in variants:
        print(f"  {name}: {READ_VARIANTS[name]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--jobs", type=int, default=1, help="children run at once")
    parser.add_argument("--child")
    parser.add_argument("--reads", type=int, default=0,
                        help="instead: this many piper reads per run, comparing the session set-ups of READ_VARIANTS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", action="store_true", help="print every step's median, not only the summary")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "app"))
    if args.reads and args.child:
        reads_child(args.child, args.reads)
        return 0
    if args.reads:
        reads_main(args.reads, args.runs, args.variants.split(",") if args.variants != ",".join(VARIANTS)
                   else list(READ_VARIANTS))
        return 0
    if args.child:
        child(args.child, args.seed)
        return 0
    variants = args.variants.split(",")
    results: dict[str, list[dict]] = {name: [] for name in variants}
    # Interleaved (run 1 of every variant, then run 2, ...), so load changes on the machine hit
    # every variant alike; --jobs > 1 runs children side by side (RSS is unaffected, times are not).
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(run, name) for run in range(args.runs) for name in variants]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for (run, name), result in zip(jobs, pool.map(lambda job: run_child_process(job[1], ["--seed", str(job[0] + 1)], VARIANTS[job[1]][0]), jobs)):
            results[name].append(result)
            print(f"run {run + 1} {name}: " + " ".join(f"{s['rss']:.0f}" for s in result["steps"]),
                  file=sys.stderr, flush=True)

    def median_at(name: str, step: str, key: str = "rss") -> float:
        return statistics.median(next(s[key] for s in r["steps"] if s["step"] == step) for r in results[name])

    print(f"medians of {args.runs} runs, loadavg {os.getloadavg()[0]:.1f}, RSS in MB")
    checkpoints = ["model loaded", "all loaded", "up 5 s", "up 10 s", "up 15 s", "again 1..15 s",
                   *(f"cycle {n}" for n in range(1, CYCLES + 1))]
    if args.steps:
        checkpoints = [s["step"] for s in results[variants[0]][0]["steps"]]
    header = f"{'step':<16}" + "".join(f"{name:>17}" for name in variants)
    print(header)
    for step in checkpoints:
        row = f"{step:<16}"
        for name in variants:
            value = median_at(name, step)
            delta = value - median_at(variants[0], step)
            row += f"{value:>9.1f}" + (f" ({delta:+5.1f})" if name != variants[0] else " " * 8)
        print(row)
    row = f"{'growth load->end':<16}"
    for name in variants:
        growths = [r["steps"][-1]["rss"] - r["steps"][0]["rss"] for r in results[name]]
        row += f"{statistics.median(growths):>9.1f}" + " " * 8
    print(row)
    row = f"{'growth again->end':<16}"
    for name in variants:
        growths = [r["steps"][-1]["rss"] - next(s["rss"] for s in r["steps"] if s["step"] == "again 1..15 s")
                   for r in results[name]]
        row += f"{statistics.median(growths):>9.1f}" + " " * 8
    print(row)
    row = f"{'MKL held at end':<16}"
    for name in variants:
        row += f"{median_at(name, 'end', 'mkl'):>9.1f}" + " " * 8
    print(row)
    row = f"{'read RSS step max':<16}"
    for name in variants:
        row += f"{statistics.median(max(d for d, _ in r['reads']) for r in results[name]):>9.1f}" + " " * 8
    print(row)
    row = f"{'read time s':<16}"
    for name in variants:
        row += f"{statistics.median(t for r in results[name] for _, t in r['reads']):>9.2f}" + " " * 8
    print(row)
    row = f"{'decode time s':<16}"
    for name in variants:
        row += f"{statistics.median(r['decode_s'] for r in results[name]):>9.1f}" + " " * 8
    print(row)
    for name in variants:
        print(f"  {name}: {VARIANTS[name][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
