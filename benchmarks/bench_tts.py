"""Text-to-speech figures: voice load, time to first sound, real-time factor.

Time to first sound is measured where a listener would: from ``SentenceReader.read()``
to the first loud sample arriving at the sound server (``parec`` on the sink's monitor).
By default the script starts a private PulseAudio with a null sink (as the tests do), so
nothing plays on your speakers; ``--current-desktop`` uses the running sound server.

    python benchmarks/bench_tts.py [--runs 7]

Prints medians of several runs; compare ratios between machines, not seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ONE_SENTENCE = "The meeting is moved to Thursday at ten."
# Starts with the same sentence, so the ratio shows what the length of the text costs.
FORTY_SENTENCES = " ".join([ONE_SENTENCE] + [
    f"Item {n}: the meeting is moved to Thursday at ten, and everyone should bring their notes."
    for n in range(2, 41)])
LOUD = 0.02  # the voice starts with ~40 ms of near-silence; this is the first audible sound


class SinkListener:
    """Timestamps the first loud sample the sound server's sink plays after arm()."""

    def __init__(self, env: dict[str, str]) -> None:
        sink = subprocess.run(["pactl", "get-default-sink"], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()
        self._process = subprocess.Popen(
            ["parec", f"--device={sink}.monitor", "--raw", "--format=s16le", "--rate=16000",
             "--channels=1", "--latency-msec=5"],
            stdout=subprocess.PIPE, env=env)
        self._armed = False
        self.captured: list[bytes] | None = None  # set to [] to keep what the sink plays
        self._heard: float | None = None
        self._flowing = threading.Event()
        self._done = threading.Event()
        threading.Thread(target=self._listen, daemon=True).start()
        # An idle null sink first serves a new client after up to 2 s; wait that out once.
        if not self._flowing.wait(10):
            raise RuntimeError("parec delivered no audio")

    def _listen(self) -> None:
        while chunk := self._process.stdout.read(160):  # 5 ms
            self._flowing.set()
            if self.captured is not None:
                self.captured.append(chunk)
            if self._armed and self._heard is None:
                if np.abs(np.frombuffer(chunk, np.int16)).max() > LOUD * 32768:
                    self._heard = time.perf_counter()
                    self._done.set()

    def arm(self) -> None:
        self._heard = None
        self._done.clear()
        self._armed = True

    def wait(self, timeout: float = 10) -> float:
        if not self._done.wait(timeout):
            raise RuntimeError("no sound reached the sink")
        self._armed = False
        return self._heard

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(5)


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.0f} ms  (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"


def reader_first_sound(voice, speaker, listener: SinkListener, text: str) -> tuple[float, float]:
    """Seconds from read() to the first sound at the sink, and to the on_sentence callback."""
    from voxpad.audio.speaker import Speaker
    from voxpad.tts.reader import SentenceReader

    current = speaker or Speaker()
    announced = threading.Event()
    callback_at: list[float] = []
    reader = SentenceReader(voice, current,
                            on_sentence=lambda span: (callback_at.append(time.perf_counter()), announced.set()))
    listener.arm()
    start = time.perf_counter()
    reader.read(text)
    heard = listener.wait()
    announced.wait(10)
    reader.stop()
    if speaker is None:
        current.close()
    return heard - start, callback_at[0] - start


def naive_first_sound(voice, listener: SinkListener) -> float:
    """The baseline design.md describes: synthesise, then sounddevice.play() on a new stream."""
    import sounddevice

    listener.arm()
    start = time.perf_counter()
    sounddevice.play(voice.synthesize(ONE_SENTENCE), voice.sample_rate)
    heard = listener.wait()
    sounddevice.stop()
    return heard - start


def first_sound_figures(voice, listener: SinkListener, runs: int) -> dict[str, list[float]]:
    """Each way of starting speech, interleaved run by run so machine noise hits all alike."""
    from voxpad.audio.speaker import Speaker

    figures: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)
        time.sleep(0.3)  # let the sink fall silent before the next measurement

    with Speaker() as speaker:
        speaker.open(voice.sample_rate)
        for _ in range(runs):
            start = time.perf_counter()
            voice.synthesize(ONE_SENTENCE)
            figures.setdefault("synth", []).append(time.perf_counter() - start)
            sound, callback = reader_first_sound(voice, speaker, listener, ONE_SENTENCE)
            note("one", sound)
            figures.setdefault("one_cb", []).append(callback)
            sound, callback = reader_first_sound(voice, speaker, listener, FORTY_SENTENCES)
            note("forty", sound)
            figures.setdefault("forty_cb", []).append(callback)
            note("cold", reader_first_sound(voice, None, listener, ONE_SENTENCE)[0])
            note("naive", naive_first_sound(voice, listener))
    return figures


PARAGRAPH = ("The library opens at nine in the morning and closes at six in the evening. "
             "Visitors can borrow up to ten books at a time, and most loans last three weeks. "
             "If you need a book that is already on loan, ask at the front desk and we will "
             "hold it for you when it comes back. Quiet study rooms are on the second floor, "
             "and they can be booked a day in advance.")


# Ordinary prose with numbers written as digits, as people type them.
PARAGRAPH_WITH_NUMBERS = ("Our train leaves at 7:45 from platform 3, and the trip takes about 2 hours. "
                          "Tickets cost 25 dollars each, or 40 for a return. The 1st carriage is quiet, "
                          "so please keep your phone on silent. We should arrive by 10, which leaves "
                          "time for coffee before the meeting starts.")


class SpeakProcess:
    """``voxpad speak --play -`` as the issue's check runs it: started, then fed lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voxpad", "speak", "--play", "-"], stdin=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1)
        while "ready" not in (line := self.process.stderr.readline()):
            if not line:
                raise RuntimeError("voxpad speak exited before saying ready")

    def say(self, line: str) -> float:
        """Write one line; returns the time it was written."""
        start = time.perf_counter()
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return start

    def finish(self, timeout: float = 120) -> None:
        self.process.stdin.close()
        self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


def paplay_first_sound(wav: Path, listener: SinkListener) -> float:
    """The baseline the issue's check uses: paplay of a ready WAV."""
    listener.arm()
    start = time.perf_counter()
    subprocess.run(["paplay", str(wav)], check=True)
    return listener.wait() - start


def cli_contract_figures(voice, listener: SinkListener, runs: int, tmp: Path) -> dict[str, list[float]]:
    """Line written to ``voxpad speak --play -`` -> first sound at the sink, vs paplay."""
    wav = tmp / "one.wav"
    voice.synthesize_to_wav(ONE_SENTENCE, wav)
    figures: dict[str, list[float]] = {}
    for _ in range(runs):
        figures.setdefault("paplay", []).append(paplay_first_sound(wav, listener))
        time.sleep(0.3)
        for name, text in (("cli_one", ONE_SENTENCE), ("cli_forty", FORTY_SENTENCES)):
            speak = SpeakProcess()  # a fresh one each time: a 40-sentence line plays for minutes
            try:
                listener.arm()
                start = speak.say(text)
                figures.setdefault(name, []).append(listener.wait() - start)
            finally:
                speak.kill()
            time.sleep(0.3)
    return figures


def cli_round_trip_wer(listener: SinkListener, paragraph: str = PARAGRAPH) -> tuple[float, float, str]:
    """Speak PARAGRAPH through the CLI, record the sink, transcribe it with the bundled Whisper.

    Returns the WER with numbers spelt out on both sides ("9" and "nine" are the same
    word heard), the plain WER, and what Whisper heard.
    """
    sys.path.insert(0, str(REPO / "tests"))
    from number_words import spoken_wer
    from speech_metrics import wer
    from voxpad.stt.recognizer import SpeechRecognizer

    speak = SpeakProcess()
    listener.captured = []
    speak.say(paragraph)
    speak.finish()
    time.sleep(0.3)
    audio = np.frombuffer(b"".join(listener.captured), np.int16).astype(np.float32) / 32768
    listener.captured = None
    text = SpeechRecognizer.load().transcribe(audio).text
    return spoken_wer([paragraph], [text]), wer([paragraph], [text]), text


def round_trip_figures(listener: SinkListener, runs: int) -> None:
    """The round trip WER of each paragraph, ``runs`` times (piper's noise makes runs differ)."""
    for name, paragraph in (("prose", PARAGRAPH), ("prose with numbers", PARAGRAPH_WITH_NUMBERS)):
        spoken, plain = [], []
        for _ in range(runs):
            a, b, heard = cli_round_trip_wer(listener, paragraph)
            spoken.append(a)
            plain.append(b)
            print(f"  {name}: {a * 100:.1f} % (plain {b * 100:.1f} %) heard {heard!r}", flush=True)
        print(f"TTS -> sink -> Whisper WER, {name}: median {statistics.median(spoken) * 100:.1f} % "
              f"(numbers spelt out both sides), {statistics.median(plain) * 100:.1f} % without; {runs} runs",
              flush=True)


def busy_cores(count: int) -> list[subprocess.Popen]:
    """Processes that keep ``count`` cores busy, as another heavy app would."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def underflows_during_long_read(voice, seconds: float = 10.0) -> int:
    from voxpad.audio.speaker import Speaker
    from voxpad.tts.reader import SentenceReader

    with Speaker() as speaker:
        reader = SentenceReader(voice, speaker)
        reader.read(FORTY_SENTENCES)
        time.sleep(seconds)
        count = speaker.underflows
        reader.stop()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median printed)")
    parser.add_argument("--current-desktop", action="store_true", help="use the running sound server")
    parser.add_argument("--wer-only", action="store_true",
                        help="only the TTS -> ASR round trip, --runs times for each paragraph")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="keep N cores busy with spinning processes during the measurements")
    args = parser.parse_args()
    runs = max(1, args.runs)

    session = None
    if not args.current_desktop:
        if shutil.which("pulseaudio") is None or shutil.which("parec") is None:
            print("needs pulseaudio and parec (or --current-desktop)", file=sys.stderr)
            return 1
        sys.path.insert(0, str(REPO / "tests"))
        import desktop_session

        session = desktop_session.start()
        os.environ.update(session.env)
    try:
        from voxpad.tts.sentences import split_sentences
        from voxpad.tts.voice import Voice

        if args.wer_only:
            listener = SinkListener(dict(os.environ))
            try:
                round_trip_figures(listener, runs)
            finally:
                listener.close()
            return 0

        loads = []
        for _ in range(runs):
            start = time.perf_counter()
            voice = Voice.load()
            loads.append(time.perf_counter() - start)
        voice.synthesize("Warm up.")
        print(f"medians of {runs} runs, {os.cpu_count()} cores")
        print(f"voice load                         {median_ms(loads)}")

        start = time.perf_counter()
        audio_seconds = sum(len(voice.synthesize(span.text)) for span in split_sentences(FORTY_SENTENCES))
        elapsed = time.perf_counter() - start
        audio_seconds /= voice.sample_rate
        print(f"real-time factor (40 sentences)    {elapsed / audio_seconds:6.3f}  "
              f"({audio_seconds:.0f} s of speech in {elapsed:.1f} s)")

        burners = busy_cores(args.busy)
        listener = SinkListener(dict(os.environ))
        try:
            import tempfile

            f = first_sound_figures(voice, listener, runs)
            with tempfile.TemporaryDirectory() as tmp:
                f.update(cli_contract_figures(voice, listener, runs, Path(tmp)))
            round_trip_wer, plain_wer, heard_text = cli_round_trip_wer(listener)
        finally:
            listener.close()
            for burner in burners:
                burner.kill()
        med = {name: statistics.median(values) for name, values in f.items()}
        print(f"synthesis of one sentence          {median_ms(f['synth'])}")
        print("read() to first sound at the sink:")
        print(f"  1 sentence, stream open          {median_ms(f['one'])}")
        print(f"  40 sentences, stream open        {median_ms(f['forty'])}  "
              f"(ratio to 1 sentence {med['forty'] / med['one']:.2f})")
        print(f"  1 sentence, new Speaker          {median_ms(f['cold'])}")
        print(f"  naive synthesize + sd.play       {median_ms(f['naive'])}  "
              f"(ratio to stream open {med['naive'] / med['one']:.2f})")
        print(f"  after synthesis (1 sentence)     {(med['one'] - med['synth']) * 1000:6.0f} ms  "
              "(block, device buffer, the voice's lead-in)")
        print("read() to on_sentence callback:")
        print(f"  1 sentence                       {median_ms(f['one_cb'])}")
        print(f"  40 sentences                     {median_ms(f['forty_cb'])}")
        print(f"the issue's contract, {args.busy} cores kept busy: line written to "
              "'voxpad speak --play -' -> first sound at the sink")
        print(f"  paplay of a ready WAV (baseline) {median_ms(f['paplay'])}")
        print(f"  1-sentence line                  {median_ms(f['cli_one'])}  "
              f"(ratio to paplay {med['cli_one'] / med['paplay']:.2f})")
        print(f"  40-sentence line                 {median_ms(f['cli_forty'])}  "
              f"(ratio to 1 sentence {med['cli_forty'] / med['cli_one']:.2f})")
        print(f"  TTS -> sink -> Whisper WER       {round_trip_wer * 100:6.1f} %  (numbers spelt out both sides; "
              f"without that {plain_wer * 100:.1f} %)")
        print(f"    heard: {heard_text!r}")
        print(f"glitches in 10 s of reading        {underflows_during_long_read(voice):6d}")
    finally:
        if session is not None:
            session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
