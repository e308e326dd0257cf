"""GUI responsiveness while reading aloud with word highlighting.

A QTimer ticks every 5 ms on the GUI thread while the main window reads a long document;
the largest gap between ticks is the longest the event loop stalled. Runs offscreen with
a private PulseAudio (as the tests do); ``--busy N`` keeps N cores busy meanwhile.

    python benchmarks/bench_read_gui.py [--seconds 20] [--busy 2]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to read")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="cores to keep busy")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "tests"))
    import desktop_session

    session = desktop_session.start()
    os.environ.update(session.env)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        from PySide6.QtCore import QElapsedTimer, QTimer
        from PySide6.QtWidgets import QApplication

        from voxpad.config import Settings
        from voxpad.engines import Engines
        from voxpad.ui.main_window import MainWindow

        app = QApplication([])
        engines = Engines()
        engines.voice()
        window = MainWindow(Settings(), engines)
        window.show()
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
        clock.start()
        ticker.start()
        window.read_action.trigger()
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
        app.exec()
        ticker.stop()
        window.reader.shutdown()
        first_word = words[0] - started if words else float("nan")
        gaps_ms = sorted(g * 1000 for g in gaps[1:])
        print(f"read for {args.seconds:.0f} s with {args.busy} cores busy, {os.cpu_count()} cores")
        print(f"words highlighted                  {len(words)}")
        print(f"Read -> first word highlighted     {first_word * 1000:6.0f} ms")
        print(f"event-loop tick gap median         {statistics.median(gaps_ms):6.1f} ms (timer 5 ms)")
        print(f"event-loop tick gap p99            {gaps_ms[int(len(gaps_ms) * 0.99)]:6.1f} ms")
        print(f"longest stall                      {gaps_ms[-1]:6.1f} ms  (target <= 50 ms)")
        print(f"stalls over 50 ms                  {sum(g > 50 for g in gaps_ms)}")
    finally:
        for burner in burners:
            burner.kill()
        session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
