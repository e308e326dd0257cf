"""Settings: microphone, output device, voice speed, and how dictation ends an utterance."""

from __future__ import annotations

from copy import deepcopy

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from voxpad.config import Settings
from voxpad.ui.anywhere_settings import AnywhereSettings

_DEFAULT_DEVICE = "System default"


def _device_combo(names: list[str], current: str | None, accessible: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(accessible)
    combo.addItem(_DEFAULT_DEVICE, None)
    for name in names:
        combo.addItem(name, name)
    if current is not None:
        index = combo.findData(current)
        if index < 0:  # a device that is gone: keep the choice visible rather than drop it
            combo.addItem(f"{current} (not connected)", current)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
    return combo


def _voice_combo(current: str | None) -> QComboBox:
    """Installed piper voices; a chosen voice that has gone stays visible, marked missing."""
    from voxpad.tts.voices import installed_voices

    combo = QComboBox()
    combo.setAccessibleName("Voice")
    for choice in installed_voices():
        combo.addItem(choice.name, str(choice.path) if choice.path else None)
    if current:
        index = combo.findData(str(current))
        if index < 0:
            combo.addItem(f"{current} (missing)", str(current))
            index = combo.count() - 1
        combo.setCurrentIndex(index)
    return combo


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` returns it after OK."""

    def __init__(
        self,
        settings: Settings,
        input_devices: list[str],
        output_devices: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voxpad Settings")
        self._settings = deepcopy(settings)
        self.microphone = _device_combo(input_devices, settings.input_device, "Microphone")
        self.output = _device_combo(output_devices, settings.output_device, "Output device")
        self.voice = _voice_combo(settings.voice_model)
        self.follow_language = QCheckBox("&Read other languages with an installed voice of that language")
        self.follow_language.setAccessibleName("Voice follows the document's language")
        self.follow_language.setChecked(settings.voice_follows_language)
        self.speed = QDoubleSpinBox()
        self.speed.setAccessibleName("Voice speed")
        self.speed.setRange(0.5, 2.0)
        self.speed.setSingleStep(0.1)
        self.speed.setDecimals(1)
        self.speed.setSuffix("×")
        self.speed.setValue(settings.voice_speed)
        self.silence = QDoubleSpinBox()
        self.silence.setAccessibleName("Silence that ends an utterance")
        self.silence.setRange(0.2, 5.0)
        self.silence.setSingleStep(0.1)
        self.silence.setDecimals(1)
        self.silence.setSuffix(" s")
        self.silence.setValue(settings.silence_timeout)
        self.retention = QDoubleSpinBox()  # the recording journal of sessions that closed normally
        self.retention.setAccessibleName("Days to keep the recordings of finished sessions")
        self.retention.setRange(0, 365)
        self.retention.setDecimals(0)
        self.retention.setSuffix(" days")
        self.retention.setSpecialValueText("Delete when Voxpad closes")
        self.retention.setValue(settings.journal_retention_days)
        self.spoken_commands = QCheckBox("Spoken &punctuation and commands (\u201ccomma\u201d, \u201cnew line\u201d, \u201cscratch that\u201d…)")
        self.spoken_commands.setAccessibleName("Spoken punctuation and commands")
        self.spoken_commands.setChecked(settings.spoken_commands)

        form = QFormLayout(self)
        form.addRow("&Microphone:", self.microphone)
        form.addRow("&Output device:", self.output)
        form.addRow("&Voice:", self.voice)
        form.addRow(self.follow_language)
        form.addRow("Voice &speed:", self.speed)
        form.addRow("S&ilence ends an utterance after:", self.silence)
        form.addRow(self.spoken_commands)
        form.addRow("&Keep dictation recordings:", self.retention)
        self.anywhere = AnywhereSettings(settings)  # hotkeys, insertion into other apps, cues
        form.addRow(self.anywhere)
        note = QLabel("Speech is recognised and spoken on this computer. Nothing is sent anywhere.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def result_settings(self) -> Settings:
        result = self._settings
        result.input_device = self.microphone.currentData()
        result.output_device = self.output.currentData()
        result.voice_speed = round(self.speed.value(), 2)
        result.voice_model = self.voice.currentData()
        result.voice_follows_language = self.follow_language.isChecked()
        result.silence_timeout = round(self.silence.value(), 2)
        result.spoken_commands = self.spoken_commands.isChecked()
        result.journal_retention_days = float(self.retention.value())
        self.anywhere.apply_to(result)
        return result.clamp()
