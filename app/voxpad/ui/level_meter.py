"""A microphone level meter: a thin bar that shows the person they are being heard."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


class LevelMeter(QWidget):
    """Shows a level in 0..1 with a quick rise and a slower fall, like a VU meter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level = 0.0
        self.setAccessibleName("Microphone level")
        self.setToolTip("Microphone level")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(120, 14)

    @property
    def level(self) -> float:
        return self._level

    def set_level(self, level: float) -> None:
        level = min(1.0, max(0.0, level))
        # Fall slowly so short gaps between words do not make the bar flicker.
        self._level = level if level > self._level else self._level * 0.7 + level * 0.3
        self.update()

    def reset(self) -> None:
        self._level = 0.0
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        rect = self.rect().adjusted(0, 2, -1, -3)
        painter.setPen(self.palette().mid().color())
        painter.setBrush(self.palette().base())
        painter.drawRoundedRect(rect, 3, 3)
        if not self.isEnabled() or self._level <= 0.0:
            return
        filled = rect.adjusted(1, 1, 0, 0)
        filled.setWidth(int((rect.width() - 1) * self._level))
        color = QColor("#2e9d4f") if self._level < 0.85 else QColor("#d9822b")
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(filled, 2, 2)
