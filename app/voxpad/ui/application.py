"""Start the window: show it first, load models after, so it is on screen at once."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from voxpad import APP_ID, APP_NAME, __version__, paths
from voxpad.config import load_settings
from voxpad.engines import Engines


def app_icon() -> QIcon:
    icon = QIcon()
    resources = paths.resources_dir()
    for png in sorted((resources / "icons").glob("voxpad-*.png")):
        icon.addFile(str(png))
    svg = resources / "voxpad.svg"
    if svg.exists():
        icon.addFile(str(svg))
    return icon


def create_application(argv: list[str] | None = None) -> QApplication:
    from voxpad.privacy import apply_offline_switches

    apply_offline_switches()  # also when the window is started without the CLI
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    return app


def create_main_window():
    from voxpad.ui.main_window import MainWindow

    settings = load_settings()
    engines = Engines(settings.speech_model, settings.voice_model)
    return MainWindow(settings, engines)


def run_gui(open_file: str | None = None, command: str | None = None) -> int:
    """Open the window, or hand ``command`` (or "show") to a Voxpad already running and return."""
    from voxpad.ui import single_instance

    app = create_application()
    request = command or (f"open:{Path(open_file).resolve()}" if open_file else single_instance.SHOW)
    if single_instance.send_to_running_instance(request):
        return 0
    server = single_instance.SingleInstanceServer()
    server.listen()
    window = create_main_window()
    window.anywhere.start(server)  # global hotkeys, tray, commands from later launches
    window.show()
    if open_file:
        window.open_document(Path(open_file), ask=False)
    if command is not None:
        QTimer.singleShot(0, lambda: window.anywhere.run_command(command))
    # After the first paint, so loading never delays the window appearing.
    QTimer.singleShot(0, window.preload_models)
    QTimer.singleShot(0, window.safety.offer_recovery)  # what a crash left, if anything
    return app.exec()
