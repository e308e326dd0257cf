"""Window start-up time: the PyInstaller bundle against the venv install.

Measures, for each build, the time from launching ``voxpad`` to its main window being mapped
on the X server (``xdotool search --onlyvisible``), then quits it with Ctrl+Q. Runs on a
private Xvfb with an empty environment and a fresh HOME per run, as a first start from a
desktop menu would. Build the bundle first (``bash packaging/build.sh``).

    python benchmarks/bench_startup.py [--runs 5] [--bundle dist/voxpad]

Prints medians of several runs; compare ratios between machines, not seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    number = 200 + os.getpid() % 100
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("Xvfb did not start")
        time.sleep(0.02)
    return proc, f":{number}"


def time_to_window(program: Path, display: str, timeout: float = 60) -> float:
    """Seconds from exec to the main window mapped."""
    home = Path(tempfile.mkdtemp(prefix="voxpad-bench-home-"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": display}
    start = time.perf_counter()
    proc = subprocess.Popen([str(program)], env=env, cwd=home,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid), "--name", "Voxpad"],
                                   env=env, capture_output=True, text=True)
            if found.stdout.split():
                elapsed = time.perf_counter() - start
                window = found.stdout.split()[0]
                break
            if proc.poll() is not None:
                raise SystemExit(f"{program} exited: {proc.stderr.read().decode()}")
            if time.perf_counter() - start > timeout:
                raise SystemExit(f"{program}: no window within {timeout} s")
            time.sleep(0.01)
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+q"], env=env, check=True)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(home, ignore_errors=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / "voxpad")
    parser.add_argument("--venv", type=Path, default=REPO / ".venv")
    args = parser.parse_args()
    programs = {"frozen bundle": args.bundle / "voxpad", "venv": args.venv / "bin" / "voxpad"}
    for name, program in programs.items():
        if not program.exists():
            raise SystemExit(f"{program} is missing ({name}); build it first")
    xvfb, display = _start_xvfb()
    try:
        results: dict[str, list[float]] = {name: [] for name in programs}
        # One untimed launch each, so the page cache is warm for both alike.
        for program in programs.values():
            time_to_window(program, display)
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            for name, program in programs.items():
                results[name].append(time_to_window(program, display))
    finally:
        xvfb.terminate()
        xvfb.wait()
    print(f"Launch to main window mapped, median of {args.runs} runs (warm cache):")
    for name, times in results.items():
        print(f"  {name:14s} {statistics.median(times):6.2f} s   (min {min(times):.2f}, max {max(times):.2f})")
    ratio = statistics.median(results["frozen bundle"]) / statistics.median(results["venv"])
    print(f"  frozen / venv  {ratio:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
