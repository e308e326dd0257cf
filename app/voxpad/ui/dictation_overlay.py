"""A small always-on-top strip that shows Voxpad is listening, the level and the live text.

It must never take keyboard focus: the text it announces is being typed into another
application, and a focus change would send it to the wrong place. Hence a frameless tool
window that does not accept focus and is shown without being activated.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from voxpad.ui.level_meter import LevelMeter

_MAX_CHARS = 90  # live text shown: the end of what is being said


class DictationOverlay(QWidget):
    """Listening state, microphone level and live text; hidden when dictation stops."""

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWindowTitle("Voxpad dictation")
        self.setObjectName("dictation-overlay")
        self.setStyleSheet("#dictation-overlay { background: #202124; border-radius: 6px; }"
                           "QLabel { color: #f1f3f4; }")
        self.state_label = QLabel("● Listening", self)
        self.state_label.setStyleSheet("color: #ff6d60; font-weight: bold;")
        self.level_meter = LevelMeter(self)
        self.text_label = QLabel("", self)
        self.text_label.setMinimumWidth(360)
        self.text_label.setAccessibleName("Live dictation text")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.state_label)
        layout.addWidget(self.level_meter)
        layout.addWidget(self.text_label, 1)
        self._settled = ""

    def show_listening(self) -> None:
        self._settled = ""
        self.state_label.setText("● Listening")
        self.text_label.setText("")
        self.level_meter.reset()
        self.adjustSize()
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.center().x() - self.width() // 2, area.bottom() - self.height() - 48)
        self.show()

    def show_transcribing(self) -> None:
        self.state_label.setText("● Finishing")

    def set_partial(self, text: str) -> None:
        # The preview in italics after the settled text, as in the main window.
        settled = self._settled[-_MAX_CHARS:]
        room = max(0, _MAX_CHARS - len(settled))
        self.text_label.setText(f"{_escape(settled)} <i>{_escape(text[-room:] if room else '')}</i>")

    def add_final(self, text: str) -> None:
        self._settled = (self._settled + " " + text.strip()).strip()
        self.text_label.setText(_escape(self._settled[-_MAX_CHARS:]))

    @property
    def live_text(self) -> str:
        return self.text_label.text()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
