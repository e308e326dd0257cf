"""Models and Voices: see what is installed, import, download, choose and remove models and voices.

All file work (import validation loads the model; downloads) runs through run_in_background;
this window only shows results. Changes to the settings are announced with ``settings_changed``
and applied by :func:`open_models_dialog`'s caller glue (engines, settings file).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voxpad.config import Settings
from voxpad.errors import Cancelled, VoxpadError
from voxpad.models import catalogue, store
from voxpad.ui.tasks import BackgroundTask, describe_error, run_in_background

log = logging.getLogger(__name__)

_KIND_LABELS = {store.STT: "Speech model", store.TTS: "Voice"}
_COLUMNS = ("Name", "Kind", "Languages", "Size", "Quality / speed", "In use")
_ERROR_STYLE = "color: #b3261e; font-weight: bold;"
_AUTO = "auto"


def _size_text(size: int) -> str:
    if size >= 1_000_000_000:
        return f"{size / 1_000_000_000:.1f} GB"
    return f"{size / 1_000_000:.0f} MB"


def _languages_text(languages: tuple[str, ...]) -> str:
    if len(languages) > 3:
        return f"{len(languages)} languages"
    return ", ".join(languages) or "unknown"


class ModelsDialog(QDialog):
    """The model and voice manager. Edits ``settings`` in place and emits ``settings_changed``."""

    settings_changed = Signal(object)  # the Settings, after use/remove/language/idle/mirror changes
    busy_changed = Signal(bool)  # an import or download started (True) or ended (False)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models and Voices")
        self.setObjectName("models-dialog")
        self.settings = settings
        self._task: BackgroundTask | None = None
        self._rows: list[store.InstalledModel] = []

        self.table = QTableWidget(0, len(_COLUMNS), self)
        self.table.setAccessibleName("Installed models and voices")
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())

        self.use_button = QPushButton("&Use", self)
        self.use_button.setToolTip("Make the selected model or voice the one Voxpad uses")
        self.remove_button = QPushButton("&Remove", self)
        self.import_model_button = QPushButton("Import &Model Folder…", self)
        self.import_voice_button = QPushButton("Import &Voice…", self)
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_model_button.clicked.connect(self._choose_model_folder)
        self.import_voice_button.clicked.connect(self._choose_voice_file)

        self.available = QComboBox(self)
        self.available.setAccessibleName("Models and voices to download")
        self.download_button = QPushButton("&Download", self)
        self.download_button.clicked.connect(self.download_selected)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Download progress")
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel download")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.mirror = QLineEdit(settings.model_mirror_url, self)
        self.mirror.setAccessibleName("Download from")
        self.mirror.setPlaceholderText(catalogue.DEFAULT_BASE_URL)
        self.mirror.editingFinished.connect(self._mirror_edited)

        self.language = QComboBox(self)
        self.language.setAccessibleName("Spoken language")
        self.language.activated.connect(self._language_chosen)
        self.idle_minutes = QDoubleSpinBox(self)
        self.idle_minutes.setAccessibleName("Unload models after idle minutes")
        self.idle_minutes.setRange(0, 24 * 60)
        self.idle_minutes.setDecimals(0)
        self.idle_minutes.setSuffix(" min")
        self.idle_minutes.setSpecialValueText("Never")
        self.idle_minutes.setValue(settings.idle_unload_minutes)
        self.idle_minutes.setMaximumWidth(140)
        self.idle_minutes.valueChanged.connect(self._idle_changed)

        self.message = QLabel(self)
        self.message.setAccessibleName("Models message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._layout()
        self.refresh()
        self.resize(760, 520)

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.use_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.import_model_button, self.import_voice_button):
            buttons.addWidget(button)

        download_box = QGroupBox("Download (only when you ask; everything else stays offline)", self)
        download_form = QFormLayout(download_box)
        row = QHBoxLayout()
        row.addWidget(self.available, 1)
        row.addWidget(self.download_button)
        available_label = QLabel("&Available:", download_box)
        available_label.setBuddy(self.available)  # a layout field gets no buddy by itself
        download_form.addRow(available_label, row)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        download_form.addRow(progress_row)
        download_form.addRow("From &server:", self.mirror)

        options = QFormLayout()
        options.addRow("Spoken &language:", self.language)
        options.addRow("Unload a model &after:", self.idle_minutes)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(download_box)
        layout.addLayout(options)
        layout.addWidget(self.message)
        layout.addWidget(close)

    # -- showing -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the store (cheap: file listings and small JSON files)."""
        selected = self.selected()
        self._rows = store.list_installed()
        self.table.setRowCount(len(self._rows))
        for index, model in enumerate(self._rows):
            active = model.is_active(self.settings)
            cells = (model.name + (" (bundled)" if model.bundled else ""), _KIND_LABELS[model.kind],
                     _languages_text(model.languages), _size_text(model.size), model.hint, "✓ in use" if active else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2 and len(model.languages) > 3:
                    item.setToolTip(", ".join(model.languages))
                self.table.setItem(index, column, item)
            if selected is not None and (model.kind, model.name) == (selected.kind, selected.name):
                self.table.selectRow(index)
        self._fill_available()
        self._fill_languages()
        self._update_buttons()

    def _fill_available(self) -> None:
        installed = {(m.kind, m.name) for m in self._rows}
        chosen = self.available.currentData()
        self.available.clear()
        for entry in catalogue.entries():
            if (entry.kind, entry.name) in installed:
                continue
            what = "voice" if entry.kind == store.TTS else "speech model"
            self.available.addItem(f"{entry.name} ({what}, {_size_text(entry.size)}, {entry.hint})", entry.name)
        self.available.setCurrentIndex(max(0, self.available.findData(chosen)))  # keep the user's choice

    def _fill_languages(self) -> None:
        model = store.active_model(store.STT, self.settings)
        self.language.clear()
        if model is None or not model.multilingual:
            self.language.addItem("English (this speech model knows only English)", "en")
            self.language.setEnabled(False)
            return
        self.language.setEnabled(True)
        # Live dictation settles the language from its first ~2 s of speech and checks it again at
        # each new utterance (stt/fast_decoder).
        self.language.addItem("Detect automatically", _AUTO)
        for code in model.languages:
            self.language.addItem(code, code)
        index = self.language.findData(self.settings.language)
        self.language.setCurrentIndex(max(0, index))

    def selected(self) -> store.InstalledModel | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()]

    def select(self, name: str) -> None:
        for index, model in enumerate(self._rows):
            if model.name == name:
                self.table.selectRow(index)
                return

    def _update_buttons(self) -> None:
        model = self.selected()
        busy = self._task is not None
        self.use_button.setEnabled(model is not None and not model.is_active(self.settings))
        self.remove_button.setEnabled(model is not None and not model.bundled and not busy)
        self.import_model_button.setEnabled(not busy)
        self.import_voice_button.setEnabled(not busy)
        self.download_button.setEnabled(not busy and self.available.count() > 0)

    def say(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(_ERROR_STYLE)
        self.message.setText(text)
        self.message.setAccessibleDescription(text)

    # -- choosing and removing -----------------------------------------------------------
    def use_selected(self) -> None:
        model = self.selected()
        if model is None:
            return
        store.use_model(model.name, self.settings, model.kind)
        self.say(f"Voxpad now uses {model.name}.")
        self._changed()

    def remove_selected(self) -> None:
        model = self.selected()
        if model is None:
            return
        try:
            removed = store.remove_model(model.name, model.kind)
        except VoxpadError as exc:
            self.show_error(str(exc))
            return
        except OSError as exc:  # a read-only or vanished folder
            self.show_error(f"{model.name} could not be removed: {(exc.strerror or str(exc)).lower()}.")
            return
        if store.forget_if_active(removed, self.settings):
            self.say(f"Removed {removed.name}; Voxpad uses the bundled one again.")
            self._changed()
        else:
            self.say(f"Removed {removed.name}.")
            self.refresh()

    def _changed(self) -> None:
        self.refresh()
        self.settings_changed.emit(self.settings)

    def _language_chosen(self, _index: int) -> None:
        code = self.language.currentData()
        if code and code != self.settings.language:
            self.settings.language = code
            self._changed()

    def _idle_changed(self, value: float) -> None:
        self.settings.idle_unload_minutes = float(value)
        self.settings_changed.emit(self.settings)

    def _mirror_edited(self) -> None:
        url = self.mirror.text().strip()
        if url != self.settings.model_mirror_url:
            self.settings.model_mirror_url = url
            self.settings_changed.emit(self.settings)

    # -- importing -------------------------------------------------------------------------
    def _choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a CTranslate2 Whisper model folder")
        if folder:
            self.import_path(Path(folder))

    def _choose_voice_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a piper voice", "", "Piper voices (*.onnx);;All files (*)")
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path, name: str | None = None) -> None:
        """Check and install ``path`` in the background (loading it to check takes a moment)."""
        if self._refuse_while_busy():
            return
        self.say(f"Checking {path.name}…")
        self._start(lambda _task: store.import_model(path, name), self._installed)

    # -- downloading -----------------------------------------------------------------------
    def download_selected(self) -> None:
        name = self.available.currentData()
        if name:
            self.download(name)

    def download(self, name: str) -> None:
        from voxpad.models.download import ModelDownload

        if self._refuse_while_busy():
            return
        job = ModelDownload(catalogue.find_entry(name), self.settings.model_mirror_url or None)
        self.say(f"Downloading {name} from {job.base}…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()

        def work(task: BackgroundTask):
            return job.run(lambda done, total: task.report_progress(done / total if total else 0.0),
                           lambda: task.cancelled)

        self._start(work, self._installed, on_progress=lambda f: self.progress.setValue(int(f * 1000)))

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.say("Cancelling…")

    def _refuse_while_busy(self) -> bool:
        if self._task is None:
            return False
        self.show_error("Wait for the import or download under way to finish, or cancel it.")
        return True

    @property
    def busy(self) -> bool:
        return self._task is not None

    def _start(self, work, on_done, on_progress=None) -> None:
        if self._task is not None:
            return
        self._task = run_in_background(work, on_done=lambda result: self._finish(on_done, result),
                                       on_error=self._failed, on_progress=on_progress)
        self._update_buttons()
        self.busy_changed.emit(True)

    def _finish(self, on_done, result) -> None:
        self._task = None
        self._idle_ui()
        on_done(result)
        self.busy_changed.emit(False)

    def _installed(self, model: store.InstalledModel) -> None:
        self.refresh()
        self.select(model.name)
        self.say(f"Installed {model.name}. Select it and press Use to use it.")

    def _failed(self, exc: Exception) -> None:
        self._task = None
        self._idle_ui()
        if isinstance(exc, Cancelled):
            self.say(f"{exc} What was downloaded is kept, so downloading again continues from there.")
        else:
            self.show_error(describe_error(exc))
        self.refresh()
        self.busy_changed.emit(False)

    def _idle_ui(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self._update_buttons()

    def reject(self) -> None:
        # Closing while a download runs cancels it; the partial file stays for next time.
        if self._task is not None:
            self._task.cancel()
        super().reject()


def open_models_dialog(window) -> ModelsDialog:
    """Show the manager for the main window ``window``; its changes reach the engines and the settings file.

    One dialog per window, kept (hidden) after closing, so a late result from a worker thread
    never reaches a deleted widget.
    """
    dialog = window.findChild(ModelsDialog)
    if dialog is not None:
        dialog.settings = window.settings
        dialog.refresh()
        dialog.show()
        dialog.raise_()
        return dialog
    dialog = ModelsDialog(window.settings, window)

    def apply(settings: Settings) -> None:
        window.engines.use_models(settings.speech_model, settings.voice_model)
        window.engines.set_idle_unload(settings.idle_unload_minutes * 60)
        window.apply_settings(settings)
        window.save_settings()

    dialog.settings_changed.connect(apply)
    dialog.show()
    return dialog
