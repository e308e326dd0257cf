"""The tray icon: Dictate, Read selection aloud, Show window, Settings, Quit, with state shown.

Desktops without a system tray (and a bare X server) simply get no icon; ``TrayIcon.create``
returns None there, and the window then quits on close as usual.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget


class TrayIcon(QSystemTrayIcon):
    """The icon and its menu; the owner connects the actions."""

    def __init__(self, icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(icon, parent)
        self.menu = QMenu()
        self.dictate_action = QAction("Dictate", self.menu)
        self.dictate_action.setCheckable(True)
        self.read_selection_action = QAction("Read Selection Aloud", self.menu)
        self.show_action = QAction("Show Window", self.menu)
        self.settings_action = QAction("Settings…", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        self.menu.addActions([self.dictate_action, self.read_selection_action])
        self.menu.addSeparator()
        self.menu.addActions([self.show_action, self.settings_action])
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.setContextMenu(self.menu)
        self.set_state("Ready")

    @classmethod
    def create(cls, icon: QIcon, parent: QWidget | None = None) -> TrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        return cls(icon, parent)

    def set_state(self, state: str, listening: bool = False) -> None:
        self.dictate_action.setChecked(listening)
        self.dictate_action.setText("Stop Dictating" if listening else "Dictate")
        self.setToolTip(f"Voxpad — {state}")
