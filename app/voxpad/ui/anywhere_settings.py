"""Settings for dictating into other apps: hotkeys (captured by pressing them), insertion, cues."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QKeySequenceEdit, QWidget

from voxpad.config import Settings

_METHODS = [
    ("auto", "Automatic (type, paste what cannot be typed)"),
    ("xtest", "Type keys (X11)"),
    ("clipboard", "Paste through the clipboard (restored after)"),
    ("wtype", "Type keys (Wayland, wtype)"),
    ("portal", "Type keys (Wayland, desktop portal: GNOME, KDE)"),
    ("ydotool", "Type keys (ydotool)"),
]


def _key_field(current: str, accessible: str) -> QKeySequenceEdit:
    """A field that records the next key combination pressed in it (one combination, no chords)."""
    edit = QKeySequenceEdit(QKeySequence(current))
    edit.setAccessibleName(accessible)
    edit.setMaximumSequenceLength(1)
    edit.setClearButtonEnabled(True)
    return edit


def _key_text(edit: QKeySequenceEdit) -> str:
    return edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)


class AnywhereSettings(QWidget):
    """Rows added to the settings form; ``apply_to(settings)`` writes them back."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle_key = _key_field(settings.toggle_hotkey, "Dictation hotkey (press to start and stop)")
        self.push_to_talk_key = _key_field(settings.push_to_talk_hotkey, "Push-to-talk hotkey (hold to talk)")
        self.read_selection_key = _key_field(settings.read_selection_hotkey, "Read selection aloud hotkey")
        self.method = QComboBox()
        self.method.setAccessibleName("How text is put into other apps")
        for value, label in _METHODS:
            self.method.addItem(label, value)
        self.method.setCurrentIndex(max(0, self.method.findData(settings.insertion_method)))
        self.cues = QCheckBox("Play a sound when dictation starts and stops")
        self.cues.setChecked(settings.cue_sounds)
        self.overlay = QCheckBox("Show a listening strip while dictating into other apps")
        self.overlay.setChecked(settings.show_overlay)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Dictation hotkey (toggle):", self.toggle_key)
        form.addRow("&Push-to-talk hotkey (hold):", self.push_to_talk_key)
        form.addRow("Read se&lection hotkey:", self.read_selection_key)
        form.addRow("&Insert text in other apps by:", self.method)
        form.addRow(self.cues)
        form.addRow(self.overlay)

    def apply_to(self, settings: Settings) -> None:
        settings.toggle_hotkey = _key_text(self.toggle_key)
        settings.push_to_talk_hotkey = _key_text(self.push_to_talk_key)
        settings.read_selection_hotkey = _key_text(self.read_selection_key)
        settings.insertion_method = self.method.currentData()
        settings.cue_sounds = self.cues.isChecked()
        settings.show_overlay = self.overlay.isChecked()
