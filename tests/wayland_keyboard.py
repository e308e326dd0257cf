"""A keyboard that stays plugged into the headless Sway seat, as a real desktop's keyboard does.

Why: the headless Sway of wayland_session.py has no input devices, so the seat has no
keyboard until wtype's virtual keyboard appears and none again when wtype exits. Each
wtype run then makes the seat announce a keyboard, and foot must ask for a wl_keyboard
before it can receive keys; the keys wtype sends before foot's request reaches Sway are
dropped by Sway (no keyboard object to send them to). Measured under two busy loops plus
other load: foot's WAYLAND_DEBUG log showed it never received the lost presses, and runs
lost their first letters in every batch of 40; with a keyboard kept in the seat, 280 of 280
runs without any pause typed every key. On a real desktop the physical keyboard keeps the
seat's keyboard (and every app's wl_keyboard) in place, so this is what the tests stand in
for: a wtype that uploads an empty keymap and then only sleeps, pressing nothing.
"""

from __future__ import annotations

import json
import subprocess

from polling import wait_until

_HOUR_MS = 3_600_000  # wtype's longest sleep that fits its unsigned milliseconds * 1000


class SeatKeyboard:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        before = self._keyboards()
        self.process = subprocess.Popen(["wtype", *(["-s", str(_HOUR_MS)] * 24)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: len(self._keyboards()) > len(before), 20, "the seat to have a keyboard")
        except AssertionError:
            self.close()
            raise AssertionError(f"the stand-in keyboard (wtype) did not join the seat: "
                                 f"{self.process.stderr.read().decode(errors='replace').strip()}") from None

    def _keyboards(self) -> list[dict]:
        if getattr(self, "process", None) is not None and self.process.poll() is not None:
            raise AssertionError(f"the stand-in keyboard (wtype) exited ({self.process.returncode})")
        out = subprocess.run(["swaymsg", "-t", "get_inputs", "--raw"], env=self.env, capture_output=True,
                             text=True, timeout=10, check=True)
        return [device for device in json.loads(out.stdout) if device.get("type") == "keyboard"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)
        self.process.stderr.close()
