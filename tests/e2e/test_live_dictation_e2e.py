"""Live dictation in the real app: text lands in the document while the speaker is still talking.

The real app on a real X server; the speech is played with paplay into the PulseAudio null
sink that the app's microphone records. Saving with Ctrl+S while the clip still plays shows
what the document holds at that moment: finals only (the grey partials are never saved).
Partials themselves are observed in tests/gui/test_live_dictation.py with the same microphone.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest_e2e import captured_bytes, recording_streams, wait_for_the_microphone, wait_until  # noqa: F401  (see conftest)
from speech_metrics import normalise, wer

pytestmark = pytest.mark.e2e


def test_words_reach_the_document_while_the_clip_still_plays(launch, desktop, tmp_path, speech_clips):
    clips = {path.stem: (path, text) for path, text in speech_clips}
    first, first_text = clips["jfk"]
    second, second_text = clips["librispeech_1089-134686-0000"]
    talk = tmp_path / "talk.wav"
    # JFK, a second's pause, then another 10 s: about 22 s of someone dictating.
    paused = tmp_path / "jfk_then_pause.wav"
    subprocess.run(["sox", str(first), str(paused), "pad", "0", "1"], check=True)
    subprocess.run(["sox", str(paused), str(second), str(talk)], check=True)

    doc = tmp_path / "live.txt"
    doc.write_text("")
    app = launch("--open", str(doc))
    app.wait_for_window("live.txt")
    before, captured = recording_streams(app.env), captured_bytes(app)
    app.key("ctrl+d")
    wait_for_the_microphone(app, before, captured)
    player = desktop.play(talk, wait=False)
    try:
        def saved_words():
            app.key("ctrl+s")
            time.sleep(0.3)
            return normalise(doc.read_text())

        # JFK's own pauses end utterances: his first words are final long before the clip ends.
        # ("fellow", not "americans": tiny.en sometimes hears "america" when the words are cut.)
        early = wait_until(lambda: (lambda text: text if "fellow" in text else None)(saved_words()),
                           15, "the first words in the saved document", interval=0.5)
        assert player.poll() is None, "the clip had already finished playing"
        assert early.startswith("and so my fellow"), early
    finally:
        player.wait(60)
    app.key("ctrl+d")
    wait_until(lambda: recording_streams(app.env) == before, 15, "the microphone to close")

    def all_saved():
        text = saved_words()
        return text if "sauce" in text else None

    text = wait_until(all_saved, 30, "the whole dictation in the saved file", interval=1)
    assert wer([first_text + " " + second_text], [text]) < 0.2, text
    assert app.process.poll() is None
