"""Other programs holding the X clipboard, and an independent reader of it (xclip).

The owners are real X clients in their own processes, as a user's browser or image editor
would be: a Qt application offering several formats at once, and ``xclip -i`` offering one.
Each sends large formats its own way (Qt in one big request up to 16 MB and by INCR above;
xclip by INCR from 4 MB), which is what Voxpad's clipboard restore has to cope with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A Qt application that copies the formats named in a JSON file ({mime type: path of the bytes}),
# says "owned" and keeps serving them until it is ended.
_QT_OWNER = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QClipboard
from PySide6.QtWidgets import QApplication
app = QApplication([])
data = QMimeData()
for mime, path in json.loads(Path(sys.argv[1]).read_text()).items():
    data.setData(mime, Path(path).read_bytes())
app.clipboard().setMimeData(data, QClipboard.Mode.Clipboard)
QTimer.singleShot(0, lambda: print("owned", flush=True))
app.exec()
"""


class QtClipboardOwner:
    """A separate Qt program that has copied ``formats`` (mime type -> bytes) to the CLIPBOARD."""

    def __init__(self, formats: dict[str, bytes], folder: Path) -> None:
        paths = {}
        for index, (mime, data) in enumerate(formats.items()):
            path = folder / f"format-{index}.bin"
            path.write_bytes(data)
            paths[mime] = str(path)
        listing = folder / "formats.json"
        listing.write_text(json.dumps(paths))
        self.process = subprocess.Popen([sys.executable, "-c", _QT_OWNER, str(listing)], stdout=subprocess.PIPE,
                                        text=True, env={**os.environ, "QT_QPA_PLATFORM": "xcb"})
        said = self.process.stdout.readline().strip()
        if said != "owned":
            self.close()
            raise AssertionError(f"the Qt clipboard owner did not start (it said {said!r}, exit code "
                                 f"{self.process.returncode})")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)


class XclipOwner:
    """``xclip -i`` holding ``data`` as ``target`` on the CLIPBOARD; it exits once another program copies."""

    def __init__(self, target: str, data: bytes, folder: Path) -> None:
        path = folder / "xclip-input.bin"
        path.write_bytes(data)
        # -quiet keeps xclip in the foreground, so this process can end it.
        self.process = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard", "-t", target, "-i", str(path)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from polling import wait_until

        wait_until(lambda: target in clipboard_targets(), 30, f"xclip to offer {target} on the clipboard")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)


def clipboard_read(target: str) -> bytes:
    """The CLIPBOARD's ``target`` as xclip receives it (xclip speaks INCR)."""
    result = subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t", target], capture_output=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"xclip could not read {target} from the clipboard: {result.stderr.decode().strip()}")
    return result.stdout


def clipboard_targets() -> set[str]:
    """The CLIPBOARD's TARGETS; empty while no owner answers (the poll that called it asks again).

    Once in a CI run, xclip -o waited 30 s for an answer right after the test started a new
    owner; the cause was not found, so a stuck request now counts as "not offered yet".
    """
    try:
        result = subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t", "TARGETS"], capture_output=True,
                                text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return set()
    return set(result.stdout.split()) if result.returncode == 0 else set()


def clipboard_formats() -> dict[str, bytes]:
    """Every data format on the CLIPBOARD, read by xclip, not by Voxpad's own reader."""
    meta = {"TARGETS", "TIMESTAMP", "MULTIPLE", "SAVE_TARGETS"}
    return {target: clipboard_read(target) for target in sorted(clipboard_targets() - meta)}
