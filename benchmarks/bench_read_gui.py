"""GUI responsiveness while reading aloud with word highlighting.

A QTimer ticks every 5 ms on the GUI thread while the main window reads a long document;
the largest gap between ticks is the longest the event loop stalled. Runs offscreen with
a private PulseAudio (as the tests do); ``--busy N`` keeps N cores busy meanwhile.

    python benchmarks/bench_read_gui.py [--seconds 20] [--busy 2]
    python benchmarks/bench_read_gui.py --first-sound 7

``--first-sound N`` instead measures, N times each for a 1-sentence and a 40-sentence
document, the time from pressing Read to the first loud sample at the sink (``parec``),
with the window shown and active a second before, as a user would have it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCUMENT = "\n\n".join(
    f"Paragraph {n}. The committee met on Tuesday to review the **budget** for next year, "
    f"e.g. travel and training. Members agreed that spending should stay close to 2019 levels. "
    f"See https://www.example.org/report-{n} for the full minutes." for n in range(1, 80))


def first_sound(app, window, runs: int) -> None:
    """Read -> first loud sample at the sink, for a 1- and a 40-sentence document."""
    import bench_tts  # the SinkListener and the texts the CLI figures use

    def wait(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    listener = bench_tts.SinkListener(dict(os.environ))

    def read_once(text: str) -> float:
        window.editor.setPlainText(text)
        window.editor.moveCursor(window.editor.textCursor().MoveOperation.Start)
        wait(0.3)
        listener.arm()
        start = time.perf_counter()
        window.read_action.trigger()
        while not listener._done.is_set() and time.perf_counter() - start < 10:
            app.processEvents()
            time.sleep(0.001)
        heard = listener.wait(0.1)
        window.stop_all()
        wait(0.4)
        return heard - start

    figures: dict[str, list[float]] = {"one": [], "forty": []}
    try:
        wait(1.0)  # the window came to the front a moment before the user presses Read
        first = read_once(bench_tts.ONE_SENTENCE)
        for _ in range(runs):
            figures["one"].append(read_once(bench_tts.ONE_SENTENCE))
            figures["forty"].append(read_once(bench_tts.FORTY_SENTENCES))
    finally:
        listener.close()
    print(f"Read pressed in the window -> first sound at the sink, {runs} runs, {os.cpu_count()} cores")
    print(f"  first Read, 1 s after the window opened {first * 1000:6.0f} ms")
    print(f"  1 sentence                       {bench_tts.median_ms(figures['one'])}")
    print(f"  40 sentences                     {bench_tts.median_ms(figures['forty'])}  "
          f"(ratio {statistics.median(figures['forty']) / statistics.median(figures['one']):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to read")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="cores to keep busy")
    parser.add_argument("--first-sound", type=int, default=0, metavar="N",
                        help="measure Read -> first sound N times for 1 and 40 sentences instead")
    parser.add_argument("--no-read", action="store_true",
                        help="control run: the same window and timer, without reading (machine noise)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "benchmarks"))
    import desktop_session

    session = desktop_session.start()
    os.environ.update(session.env)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        from PySide6.QtCore import QElapsedTimer, QThreadPool, QTimer
        from PySide6.QtWidgets import QApplication

        from voxpad.config import Settings
        from voxpad.engines import Engines
        from voxpad.ui.main_window import MainWindow

        app = QApplication([])
        engines = Engines()
        engines.voice()
        window = MainWindow(Settings(), engines)
        window.show()
        window.activateWindow()
        if args.first_sound:
            first_sound(app, window, args.first_sound)
            window.reader.shutdown()
            window.close()
            return 0
        window.editor.setPlainText(DOCUMENT)
        window.editor.moveCursor(window.editor.textCursor().MoveOperation.Start)

        gaps: list[float] = []
        words: list[float] = []
        clock = QElapsedTimer()
        ticker = QTimer()
        ticker.setInterval(5)
        last = [0.0]

        def tick() -> None:
            now = clock.nsecsElapsed() / 1e9
            gaps.append(now - last[0])
            last[0] = now

        ticker.timeout.connect(tick)
        window.reader.word_started.connect(lambda *a: words.append(time.perf_counter()))
        started = time.perf_counter()
        cpu_started = time.process_time()
        clock.start()
        ticker.start()
        if not args.no_read:
            window.read_action.trigger()
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
        app.exec()
        cpu_used = time.process_time() - cpu_started
        ticker.stop()
        window.reader.shutdown()
        QThreadPool.globalInstance().waitForDone(5000)  # no pool thread left running at exit
        first_word = words[0] - started if words else float("nan")
        gaps_ms = sorted(g * 1000 for g in gaps[1:])
        print(f"read for {args.seconds:.0f} s with {args.busy} cores busy, {os.cpu_count()} cores")
        print(f"words highlighted                  {len(words)}")
        print(f"Read -> first word highlighted     {first_word * 1000:6.0f} ms")
        print(f"event-loop tick gap median         {statistics.median(gaps_ms):6.1f} ms (timer 5 ms)")
        print(f"event-loop tick gap p99            {gaps_ms[int(len(gaps_ms) * 0.99)]:6.1f} ms")
        print(f"longest stall                      {gaps_ms[-1]:6.1f} ms  (target <= 50 ms)")
        print(f"stalls over 50 ms                  {sum(g > 50 for g in gaps_ms)}")
        print(f"CPU used by the app                {cpu_used / args.seconds:6.2f} cores  "
              f"(the GUI thread competes with it on {os.cpu_count()} cores)")
    finally:
        for burner in burners:
            burner.kill()
        session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
