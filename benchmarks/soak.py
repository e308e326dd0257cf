"""Soak: dictate continuously for N minutes, with read-aloud in between; watch memory, backlog, audio.

Real speech clips are played back to back into a PulseAudio null sink whose monitor is the
microphone, through the window's own DictationController (journal on, as in the app). Every
``--dictate-seconds`` the dictation stops, a sentence is read aloud by the ReaderController,
and dictation starts again. Reported:

* RSS after warm-up (models loaded, one cycle done) and at the end: the goal is growth <= 20 MB;
* backlog: how far the journal (written by the dictation worker as it consumes audio) trails
  the wall clock while the microphone is open, sampled every second: it must not grow;
* lost audio: journaled seconds vs. seconds the microphone was open (and vs. speech played);
* words: WER of everything dictated against the clips' transcripts.

    python benchmarks/soak.py --minutes 30

By default a private PulseAudio (and no X: Qt's offscreen platform) is started, as in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEECH_DIR = REPO.parent / "shared" / "testdata" / "speech"
READ_TEXT = "This is the read aloud part of the soak test. Dictation resumes after this sentence."


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def speech_clips() -> list[tuple[Path, float, str]]:
    rows = (SPEECH_DIR / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]
    clips = []
    for row in rows:
        name, duration, transcript, *_ = row.split("\t")
        clips.append((SPEECH_DIR / name, float(duration), transcript))
    return clips


@dataclass
class SoakResult:
    minutes: float
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    speech_played_s: float = 0.0
    mic_open_s: float = 0.0
    journaled_s: float = 0.0
    lag_samples: list[float] = field(default_factory=list)  # journal lag behind the clock, seconds
    first_lags: list[float] = field(default_factory=list)
    last_lags: list[float] = field(default_factory=list)
    reads: int = 0
    cycles: int = 0
    rss_per_cycle: list[float] = field(default_factory=list)  # MB after each cycle, warm-up included
    errors: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    dictated: list[str] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_start_mb

    def report(self) -> str:
        from speech_metrics import wer

        word_error = wer([" ".join(self.references)], [" ".join(self.dictated)]) if self.references else 1.0
        return "\n".join([
            f"soak: {self.minutes:g} min, {self.cycles} dictation cycles, {self.reads} read-alouds",
            f"RSS after warm-up {self.rss_start_mb:.1f} MB, at end {self.rss_end_mb:.1f} MB, "
            f"growth {self.rss_growth_mb:+.1f} MB (goal <= 20 MB)",
            f"journal lag behind the clock: median first quarter {statistics.median(self.first_lags or [0]):.2f} s, "
            f"last quarter {statistics.median(self.last_lags or [0]):.2f} s, max {max(self.lag_samples or [0]):.2f} s",
            f"audio: microphone open {self.mic_open_s:.1f} s, journaled {self.journaled_s:.1f} s "
            f"({100 * self.journaled_s / max(self.mic_open_s, 1e-9):.1f} %), speech played {self.speech_played_s:.1f} s",
            f"dictated words: WER {word_error:.3f} over {len(' '.join(self.references).split())} words",
            f"RSS after each cycle (MB): {self.rss_per_cycle}",
            f"errors: {self.errors or 'none'}",
        ])


def _wait(app, predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.02)
    return False


def run_soak(minutes: float, *, pulse_env: dict[str, str], dictate_seconds: float = 60.0,
             warmup_cycles: int = 1, full_warmup: bool = True) -> SoakResult:
    """Run the soak in this process (needs a QApplication and the sound server in ``pulse_env``)."""
    from PySide6.QtWidgets import QApplication

    from voxpad.audio import journal
    from voxpad.engines import Engines
    from voxpad.ui.dictation_controller import DictationController
    from voxpad.ui.reader_controller import ReaderController

    app = QApplication.instance() or QApplication([])
    engines = Engines(idle_unload_seconds=0)
    engines.recognizer()
    engines.voice()
    session = journal.JournalSession.create(Path(tempfile.mkdtemp(prefix="voxpad-soak-")))
    dictation = DictationController(engines)
    dictation.journal_session = lambda: session
    reader = ReaderController(engines)
    result = SoakResult(minutes)
    finals: list[str] = []
    dictation.final.connect(finals.append)
    dictation.failed.connect(result.errors.append)
    reader.failed.connect(result.errors.append)
    read_done = []
    reader.finished.connect(lambda: read_done.append(True))
    clips = speech_clips()
    clip_index = 0
    deadline = None
    cycle = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            # -- dictate for a while: clips back to back ------------------------------------
            journal_before = session.audio_seconds
            dictation.start()
            if not _wait(app, lambda: session.audio_seconds > journal_before, 30):
                result.errors.append("dictation did not start")
                break
            opened_at = time.monotonic()
            journal_at_open = session.audio_seconds
            played_this_cycle = 0.0
            references = []
            while time.monotonic() - opened_at < dictate_seconds:
                path, duration, transcript = clips[clip_index % len(clips)]
                clip_index += 1
                player = subprocess.Popen(["paplay", "--device=vsink", str(path)], env=pulse_env)
                while player.poll() is None:
                    app.processEvents()
                    lag = (time.monotonic() - opened_at) - (session.audio_seconds - journal_at_open)
                    if deadline is not None:
                        result.lag_samples.append(lag)
                    time.sleep(0.05)
                played_this_cycle += duration
                references.append(transcript)
            _wait(app, lambda: False, 1.5)  # let the last utterance end in silence
            dictation.stop()
            _wait(app, lambda: not dictation.active, 60)
            closed_at = time.monotonic()
            if deadline is not None:
                result.mic_open_s += closed_at - opened_at
                result.journaled_s += session.audio_seconds - journal_at_open
                result.speech_played_s += played_this_cycle
                result.references += references
                result.dictated += finals
                result.cycles += 1
            finals.clear()
            # -- read aloud in between ---------------------------------------------------------
            read_done.clear()
            reader.read(READ_TEXT, 0)
            if not _wait(app, lambda: bool(read_done), 60):
                result.errors.append("read-aloud did not finish")
            elif deadline is not None:
                result.reads += 1
            cycle += 1
            result.rss_per_cycle.append(round(rss_mb(), 1))
            # Progress on stderr, so a long run's log shows the RSS per cycle before the report.
            print(f"soak: cycle {cycle} ({'measured' if deadline is not None else 'warm-up'}) "
                  f"RSS {result.rss_per_cycle[-1]:.1f} MB at {time.strftime('%H:%M:%S')}",
                  file=sys.stderr, flush=True)
            if deadline is None and cycle >= warmup_cycles and (clip_index >= len(clips) or not full_warmup):
                # Warmed up: models loaded, a cycle done (with full_warmup: every clip decoded once).
                result.rss_start_mb = rss_mb()
                deadline = time.monotonic() + minutes * 60
    finally:
        dictation.stop()
        dictation.wait(60)
        reader.shutdown()
        session.close(keep=False)
    result.rss_end_mb = rss_mb()
    quarter = max(1, len(result.lag_samples) // 4)
    result.first_lags = result.lag_samples[:quarter]
    result.last_lags = result.lag_samples[-quarter:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--dictate-seconds", type=float, default=60.0)
    parser.add_argument("--current-desktop", action="store_true", help="use the running sound server")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("VOXPAD_CONFIG_DIR", tempfile.mkdtemp(prefix="voxpad-soak-config-"))
    session = None
    if not args.current_desktop:
        import desktop_session

        session = desktop_session.start()
        os.environ.update(session.env)
    from voxpad.privacy import apply_offline_switches

    apply_offline_switches()
    try:
        result = run_soak(args.minutes, pulse_env=dict(os.environ), dictate_seconds=args.dictate_seconds)
    finally:
        if session is not None:
            session.stop()
    print(result.report(), flush=True)
    return 0 if not result.errors else 1


if __name__ == "__main__":
    # os._exit: skip interpreter finalisation, where PySide6 and CTranslate2 objects torn down in
    # arbitrary order can abort the process after the report has been printed.
    code = main()
    sys.stdout.flush()
    os._exit(code)
