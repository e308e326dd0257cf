"""The main window: the document, the Dictate / Read aloud / Stop toolbar, menus, status.

It wires widgets to controllers and holds no engine logic: dictation, reading and file
transcription live in their controllers, text joining in voxpad.text.
"""

from __future__ import annotations

import base64
import logging
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QByteArray, QLocale, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from voxpad import APP_NAME, __version__
from voxpad.config import Settings, save_settings
from voxpad.engines import Engines
from voxpad.errors import VoxpadError
from voxpad.text.document_io import read_document, write_document
from voxpad.ui.dictation_controller import DictationController
from voxpad.ui.dictate_anywhere import DictateAnywhere
from voxpad.ui.live_text import LiveDictationText, spoken_final
from voxpad.ui.autosave import DocumentSafety
from voxpad.ui.document_editor import DocumentEditor
from voxpad.ui.file_transcription import AUDIO_FILE_FILTER, FileTranscription
from voxpad.ui.find_bar import FindBar
from voxpad.ui.level_meter import LevelMeter
from voxpad.ui.model_status import ModelStatus
from voxpad.ui.reader_controller import ReaderController
from voxpad.ui.reading_controls import ReadingControls
from voxpad.ui.audio_export import AudioExport
from voxpad.ui.settings_dialog import SettingsDialog
from voxpad.ui.tasks import describe_error, run_in_background

log = logging.getLogger(__name__)

DOCUMENT_FILTER = "Text (*.txt);;Markdown (*.md);;All files (*)"


class SaveChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class MainWindow(QMainWindow):
    """Voxpad's document window."""

    def __init__(self, settings: Settings, engines: Engines) -> None:
        super().__init__()
        self.settings = settings
        self.engines = engines
        self.document_path: Path | None = None
        self.editor = DocumentEditor(self)
        self.live_text = LiveDictationText(self.editor)  # grey partials, finals as undo steps
        self.find_bar = FindBar(self.editor, self)
        self.find_bar.hide()
        self.level_meter = LevelMeter(self)
        self.level_meter.setEnabled(False)
        self.status_label = QLabel(self)
        self.status_label.setAccessibleName("Status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Transcription progress")
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel transcription")
        self.cancel_button.hide()

        self.dictation = DictationController(engines, self)
        self.reader = ReaderController(engines, self)
        self.file_transcription = FileTranscription(engines, self)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_layout()
        self._connect()
        # Journal, autosave and crash recovery (after _connect: it relies on slot order).
        self.safety = DocumentSafety(self)
        # Global hotkeys, typing into other apps, overlay, tray: idle until anywhere.start().
        self.anywhere = DictateAnywhere(self)
        self.apply_settings(settings)
        self.reading_controls = ReadingControls(self)  # pause, skip, speed, volume, word highlight
        self.audio_export = AudioExport(self)  # File > Export Audio…
        self._update_title()
        self.resize(820, 600)
        if settings.window_geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(settings.window_geometry)))

    # -- construction --------------------------------------------------------------
    def _action(self, text: str, shortcut: QKeySequence | str | None, slot, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                              if shortcut else tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.new_action = self._action("&New", std.New, self.new_document)
        self.open_action = self._action("&Open…", std.Open, self.open_document_dialog)
        self.save_action = self._action("&Save", std.Save, self.save_document)
        self.save_as_action = self._action("Save &As…", "Ctrl+Shift+S", self.save_document_as)
        self.transcribe_file_action = self._action(
            "&Transcribe Audio File…", "Ctrl+T", self.transcribe_file_dialog,
            "Transcribe a recording and insert the text at the cursor")
        self.quit_action = self._action("&Quit", std.Quit, self.close)
        self.undo_action = self._action("&Undo", std.Undo, self.editor.undo)
        self.redo_action = self._action("&Redo", std.Redo, self.editor.redo)
        self.cut_action = self._action("Cu&t", std.Cut, self.editor.cut)
        self.copy_action = self._action("&Copy", std.Copy, self.editor.copy)
        self.paste_action = self._action("&Paste", std.Paste, self.editor.paste)
        self.select_all_action = self._action("Select &All", std.SelectAll, self.editor.selectAll)
        self.find_action = self._action("&Find…", std.Find, self.find_bar.show_bar)
        self.find_next_action = self._action("Find &Next", std.FindNext, self.find_bar.find_next)
        self.wrap_action = self._action("&Word Wrap", None, self._toggle_wrap)
        self.wrap_action.setCheckable(True)
        self.bigger_action = self._action("&Bigger Text", std.ZoomIn, lambda: self._change_font(+1))
        self.smaller_action = self._action("&Smaller Text", std.ZoomOut, lambda: self._change_font(-1))
        self.dictate_action = self._action(
            "&Dictate", "Ctrl+D", self.toggle_dictation, "Dictate into the document")
        self.dictate_action.setCheckable(True)
        self.read_action = self._action(
            "&Read Aloud", "Ctrl+R", self.read_aloud, "Read the selection, or from the cursor on")
        self.stop_action = self._action("S&top", "Escape", self.stop_all, "Stop dictating or reading")
        self.settings_action = self._action("S&ettings…", std.Preferences, self.show_settings)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.models_action = self._action("&Models and Voices…", None, self.show_models,
                                          "Install, download and choose speech models and voices")
        self.about_action = self._action("&About Voxpad", None, self.show_about)
        self.shortcuts_action = self._action("&Keyboard Shortcuts", "F1", self.show_shortcuts)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.transcribe_file_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.cut_action, self.copy_action, self.paste_action, self.select_all_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.find_action, self.find_next_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.settings_action)
        edit_menu.addAction(self.models_action)
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.wrap_action, self.bigger_action, self.smaller_action])
        speech_menu = bar.addMenu("&Speech")
        speech_menu.addActions([self.dictate_action, self.read_action, self.stop_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Speech", self)
        toolbar.setObjectName("speech-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.dictate_action)
        toolbar.addAction(self.read_action)
        toolbar.addAction(self.stop_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Mic ", self))
        toolbar.addWidget(self.level_meter)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        for action in (self.dictate_action, self.read_action, self.stop_action):
            toolbar.widgetForAction(action).setAccessibleName(action.text().replace("&", ""))

    def _build_layout(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.find_bar)
        self.setCentralWidget(central)
        status = self.statusBar()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        self.editor.document().modificationChanged.connect(self._update_title)
        self.editor.undoAvailable.connect(self.undo_action.setEnabled)
        self.editor.redoAvailable.connect(self.redo_action.setEnabled)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        d = self.dictation
        d.started.connect(lambda: self.set_status("Listening… speak now. Press Stop or Ctrl+D to finish."))
        d.level.connect(self.level_meter.set_level)
        d.final.connect(self._insert_final)
        d.partial.connect(self._show_partial)
        d.stopped.connect(self.live_text.end_session)
        d.transcribing.connect(lambda: self.set_status("Transcribing the last words…"))
        d.stopped.connect(self._dictation_stopped)
        d.failed.connect(self.show_error)
        d.language_detected.connect(self._dictation_language)
        r = self.reader
        r.loading.connect(lambda: self.set_status("Loading the voice…"))
        r.sentence_started.connect(self._reading_sentence)
        r.finished.connect(self._reading_finished)
        r.failed.connect(self.show_error)
        f = self.file_transcription
        f.progress.connect(lambda fraction: self.progress.setValue(int(fraction * 1000)))
        f.finished.connect(self._file_transcribed)
        f.failed.connect(self._file_failed)
        f.cancelled.connect(self._file_cancelled)
        self.cancel_button.clicked.connect(f.cancel)
        # "Unloaded the speech model after 10 minutes…", "Loading the speech model again…"
        self.model_status = ModelStatus(self.engines, self)
        self.model_status.message.connect(self.set_status)
        self.stop_action.setEnabled(False)

    # -- settings --------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.editor.set_font_size(settings.font_size)
        self.editor.set_word_wrap(settings.word_wrap)
        self.wrap_action.setChecked(settings.word_wrap)
        self.dictation.input_device = settings.input_device
        self.dictation.silence_timeout = settings.silence_timeout
        self.dictation.language = None if settings.language == "auto" else settings.language
        self.reader.output_device = settings.output_device
        self.reader.speed = settings.voice_speed
        self.reader.follow_language = settings.voice_follows_language
        self.file_transcription.beam_size = settings.beam_size
        self.file_transcription.language = None if settings.language == "auto" else settings.language
        self.engines.set_idle_unload(settings.idle_unload_minutes * 60)
        self.anywhere.apply_settings(settings)
        self._rebuild_recent_menu()

    def save_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.show_error(f"Settings could not be saved: {exc.strerror or exc}.")

    def show_settings(self) -> None:
        from voxpad.audio.microphone import list_input_devices
        from voxpad.audio.speaker import list_output_devices

        dialog = SettingsDialog(self.settings, list_input_devices(), list_output_devices(), self)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())
            self.engines.use_models(self.settings.speech_model, self.settings.voice_model)  # a new voice loads on next use
            self.save_settings()
            self.set_status("Settings saved.")

    def show_models(self) -> None:
        from voxpad.ui.models_page import open_models_dialog

        open_models_dialog(self)

    def _toggle_wrap(self) -> None:
        self.settings.word_wrap = self.wrap_action.isChecked()
        self.editor.set_word_wrap(self.settings.word_wrap)

    def _change_font(self, step: int) -> None:
        self.settings.font_size = min(72, max(6, self.editor.font_size() + step))
        self.editor.set_font_size(self.settings.font_size)

    # -- status ----------------------------------------------------------------------
    def set_status(self, text: str) -> None:
        self.status_label.setStyleSheet("")
        self.status_label.setText(text)

    def show_error(self, text: str) -> None:
        self.status_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.status_label.setText(text)
        self.status_label.setAccessibleDescription(text)
        log.warning("%s", text)

    def preload_models(self) -> None:
        """Load both models in the background; the window works meanwhile."""
        self.set_status("Loading the speech model… You can type and dictate already.")

        def load(_task):
            self.engines.recognizer()
            self.engines.voice()

        run_in_background(load, on_done=lambda _r: self.set_status("Ready."),
                          on_error=lambda exc: self.show_error(describe_error(exc)))

    # -- dictation -------------------------------------------------------------------
    def toggle_dictation(self) -> None:
        if self.dictation.active:
            self.dictation.stop()
            return
        self.reader.stop()
        self.dictate_action.setChecked(True)
        self.stop_action.setEnabled(True)
        self.level_meter.setEnabled(True)
        self.set_status("Starting the microphone…")
        self.dictation.start()

    def _insert_final(self, text: str) -> None:
        command = spoken_final(text, self.settings.spoken_commands)
        if command.stop:
            self.dictation.stop()
        if command.text and self.anywhere.take_final(command.text):  # another app has focus: typed there
            return
        if command.scratch_previous:
            self.live_text.scratch_last()
        self.live_text.insert_final(command.text)

    def _dictation_language(self, code: str) -> None:
        """With "Detect automatically", say which language dictation settled on, and each change."""
        if self.dictation.language is None:
            name = QLocale(code).languageToString(QLocale(code).language())
            self.set_status(f"Listening… the language is {name}. Press Stop or Ctrl+D to finish.")

    def _show_partial(self, text: str) -> None:
        if not self.anywhere.started or self.anywhere.voxpad_has_focus():
            self.live_text.show_partial(spoken_final(text, self.settings.spoken_commands).text)

    def _dictation_stopped(self) -> None:
        self.dictate_action.setChecked(False)
        self.level_meter.reset()
        self.level_meter.setEnabled(False)
        self._update_stop_enabled()
        if not self.status_label.styleSheet():  # keep an error on screen
            self.set_status("Dictation finished.")

    # -- reading ---------------------------------------------------------------------
    def read_aloud(self) -> None:
        text, offset = self.editor.text_to_read()
        if not text.strip():
            self.set_status("There is nothing to read. Type or dictate some text first.")
            return
        self.reader_will_start()
        self.reader.read(text, offset)

    def reader_will_start(self) -> None:
        if self.dictation.active:
            self.dictation.stop()
        self.stop_action.setEnabled(True)
        self.set_status("Speaking…")

    def reading_stopped_by_edit(self) -> None:
        self._update_stop_enabled()
        self.set_status("Stopped reading because the text changed. Press Ctrl+R to read again.")

    def _reading_sentence(self, start: int, end: int) -> None:
        if not self.anywhere.reading_selection:  # offsets of another app's text are not ours
            self.editor.highlight_reading(start, end)

    def _reading_finished(self) -> None:
        self.editor.clear_reading_highlight()
        self._update_stop_enabled()
        if not self.status_label.styleSheet():
            self.set_status("Finished reading.")

    def stop_all(self) -> None:
        if self.find_bar.isVisible() and self.find_bar.field.hasFocus():
            self.find_bar.hide_bar()
            return
        if self.dictation.active:
            self.dictation.stop()
        if self.reader.active:
            self.reader.stop()
            self._reading_finished()
            self.set_status("Stopped reading.")

    def _update_stop_enabled(self) -> None:
        self.stop_action.setEnabled(self.dictation.active or self.reader.active)

    # -- file transcription ----------------------------------------------------------
    def transcribe_file_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Transcribe Audio File", str(Path.home()), AUDIO_FILE_FILTER)
        if name:
            self.transcribe_file(Path(name))

    def transcribe_file(self, path: Path) -> None:
        if self.file_transcription.active:
            self.set_status("A transcription is already running; cancel it first.")
            return
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.transcribe_file_action.setEnabled(False)
        self.set_status(f"Transcribing {path.name}…")
        self.file_transcription.start(path)

    def _file_done_ui(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.transcribe_file_action.setEnabled(True)

    def _file_transcribed(self, name: str, text: str) -> None:
        self._file_done_ui()
        if not text.strip():
            self.set_status(f"No speech was found in {name}.")
            return
        self.editor.insert_dictation(text)
        self.set_status(f"Transcribed {name}.")

    def _file_failed(self, message: str) -> None:
        self._file_done_ui()
        self.show_error(message)

    def _file_cancelled(self) -> None:
        self._file_done_ui()
        self.set_status("Transcription cancelled.")

    # -- documents -------------------------------------------------------------------
    def _update_title(self, *_args) -> None:
        name = self.document_path.name if self.document_path else "Untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.editor.document().isModified())

    def ask_save_changes(self) -> SaveChoice:
        """Ask what to do with unsaved changes (tests replace this with a scripted answer)."""
        name = self.document_path.name if self.document_path else "Untitled"
        answer = QMessageBox.question(
            self, APP_NAME, f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {QMessageBox.StandardButton.Save: SaveChoice.SAVE,
                QMessageBox.StandardButton.Discard: SaveChoice.DISCARD}.get(answer, SaveChoice.CANCEL)

    def ok_to_lose_changes(self) -> bool:
        if not self.editor.document().isModified():
            return True
        choice = self.ask_save_changes()
        if choice is SaveChoice.SAVE:
            return self.save_document()
        return choice is SaveChoice.DISCARD

    def new_document(self) -> None:
        if not self.ok_to_lose_changes():
            return
        self.reader.stop()
        self.editor.clear()
        self.editor.document().setModified(False)
        self.document_path = None
        self._update_title()

    def open_document_dialog(self) -> None:
        if not self.ok_to_lose_changes():
            return
        start = str(self.document_path.parent if self.document_path else Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open Document", start, DOCUMENT_FILTER)
        if name:
            self.open_document(Path(name), ask=False)

    def open_document(self, path: Path, ask: bool = True) -> bool:
        if ask and not self.ok_to_lose_changes():
            return False
        try:
            text = read_document(path)
        except VoxpadError as exc:
            self.show_error(str(exc))
            return False
        self.reader.stop()
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self.document_path = path
        self._remember(path)
        self._update_title()
        self.set_status(f"Opened {path.name}.")
        return True

    def save_document(self) -> bool:
        if self.document_path is None:
            return self.save_document_as()
        return self.save_to(self.document_path)

    def save_document_as(self) -> bool:
        start = str(self.document_path or Path.home() / "Untitled.txt")
        name, chosen = QFileDialog.getSaveFileName(self, "Save Document", start, DOCUMENT_FILTER)
        if not name:
            return False
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".md" if chosen.startswith("Markdown") else ".txt")
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        try:
            write_document(path, self.editor.toPlainText())
        except VoxpadError as exc:
            self.show_error(str(exc))  # the text stays in the editor, unsaved
            return False
        self.document_path = path
        self.editor.document().setModified(False)
        self._remember(path)
        self._update_title()
        self.set_status(f"Saved {path.name}.")
        return True

    def _remember(self, path: Path) -> None:
        self.settings.add_recent_file(str(path))
        self._rebuild_recent_menu()
        self.save_settings()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for index, name in enumerate(self.settings.recent_files, start=1):
            action = self.recent_menu.addAction(f"&{index} {Path(name).name}")
            action.setToolTip(name)
            action.triggered.connect(lambda _checked=False, p=name: self.open_document(Path(p)))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    # -- help ------------------------------------------------------------------------
    def show_about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>Dictation and read-aloud that run entirely on "
            "this computer. No audio or text leaves it.</p><p>Speech recognition: faster-whisper. "
            "Voice: piper.</p><p>License: GPL-3.0-or-later.</p>")

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{a.text().replace('&', '')}</td><td><b>"
            f"{a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}</b></td></tr>"
            for a in self.actions() if not a.shortcut().isEmpty())
        QMessageBox.information(self, "Keyboard Shortcuts", f"<table>{rows}</table>")

    # -- closing ---------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.anywhere.close_to_tray():
            event.ignore()
            return
        if not self.ok_to_lose_changes():
            event.ignore()
            return
        self.dictation.stop()
        self.anywhere.shutdown()
        self.safety.close()
        self.reader.shutdown()
        self.file_transcription.cancel()
        self.settings.window_geometry = base64.b64encode(bytes(self.saveGeometry())).decode("ascii")
        self.save_settings()
        event.accept()
