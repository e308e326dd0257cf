"""One Voxpad per user: a second launch hands its command to the running one and exits.

The running instance listens on a local socket; ``voxpad``, ``voxpad --toggle-dictation``
and ``voxpad --read-selection`` first try to deliver their command there. That is also what
lets people bind keys in their desktop's own shortcut settings (the only way on Wayland).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from voxpad import paths

log = logging.getLogger(__name__)

# Commands the running instance understands; "open:PATH" opens a document.
SHOW = "show"
TOGGLE_DICTATION = "toggle-dictation"
READ_SELECTION = "read-selection"
_REPLY = b"ok\n"
_TIMEOUT_MS = 2000


def socket_path() -> str:
    """Per user (in XDG_RUNTIME_DIR) and per settings folder, so separate profiles stay separate."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    profile = hashlib.sha1(str(paths.config_dir().resolve()).encode()).hexdigest()[:10]
    return str(Path(runtime) / f"voxpad-{os.getuid()}-{profile}.sock")


def send_to_running_instance(command: str, name: str | None = None) -> bool:
    """Deliver ``command`` to a running Voxpad; False if none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name or socket_path())
    if not socket.waitForConnected(_TIMEOUT_MS):
        return False
    socket.write(command.encode("utf-8") + b"\n")
    socket.waitForBytesWritten(_TIMEOUT_MS)  # False when flush() already sent it all: fine
    while socket.bytesAvailable() < len(_REPLY) and socket.waitForReadyRead(_TIMEOUT_MS):
        pass
    answered = bytes(socket.readAll().data()).startswith(_REPLY)
    socket.disconnectFromServer()
    return answered


class SingleInstanceServer(QObject):
    """Listens for commands from later launches; emits ``command_received`` on the GUI thread."""

    command_received = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or socket_path()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        # Nobody answered on the socket (the caller checked), so a file left there is stale.
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning("Voxpad could not listen for commands on %s: %s", self.name, self._server.errorString())
            return False
        return True

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        command = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
        socket.write(_REPLY)
        socket.flush()
        if command:
            self.command_received.emit(command)
