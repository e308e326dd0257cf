"""Read-aloud controls: pause, sentence skipping, read-from-here, speed and volume.

Wires the reader controller to the document editor: the word being spoken is highlighted
(its sentence faintly), and the controls live in the speech toolbar and menu with a
keyboard shortcut each. Editing the document while it is read stops the reading, so the
highlight can never point at text that has moved.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QMainWindow, QMenu, QSlider, QToolBar

from voxpad.tts.sentences import split_sentences
from voxpad.tts.voice import MAX_SPEED, MIN_SPEED

SPEED_STEP = 0.1
VOLUME_STEP = 10  # percent
# How far back "previous sentence" looks for a sentence start: longer than any span.
_LOOK_BACK_CHARS = 2000


class ReadingControls(QObject):
    """The reading toolbar items, menu entries and shortcuts of one main window."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._editor = window.editor
        self._reader = window.reader
        self.pause_action = self._action("&Pause Reading", "Ctrl+P", self.toggle_pause, "Pause or resume reading")
        self.previous_action = self._action("Pre&vious Sentence", "Alt+Left", self.previous_sentence,
                                            "Read the previous sentence")
        self.next_action = self._action("Ne&xt Sentence", "Alt+Right", self.next_sentence,
                                        "Skip to the next sentence")
        self.read_here_action = self._action("Read from &Here", "Ctrl+Shift+R", self.read_from_cursor,
                                             "Read from the word at the cursor (or Ctrl+click a word)")
        self.slower_action = self._action("&Slower", "Ctrl+[", lambda: self.step_speed(-SPEED_STEP))
        self.faster_action = self._action("&Faster", "Ctrl+]", lambda: self.step_speed(+SPEED_STEP))
        self.quieter_action = self._action("&Quieter", "Alt+Down", lambda: self.step_volume(-VOLUME_STEP))
        self.louder_action = self._action("&Louder", "Alt+Up", lambda: self.step_volume(+VOLUME_STEP))
        self.actions = [self.pause_action, self.previous_action, self.next_action, self.read_here_action,
                        self.slower_action, self.faster_action, self.quieter_action, self.louder_action]

        self.speed_box = QDoubleSpinBox(window)
        self.speed_box.setAccessibleName("Reading speed")
        self.speed_box.setToolTip("Reading speed (Ctrl+[ slower, Ctrl+] faster)")
        self.speed_box.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_box.setSingleStep(SPEED_STEP)
        self.speed_box.setDecimals(1)
        self.speed_box.setSuffix("×")
        self.speed_box.setValue(self._reader.speed)
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.volume_slider = QSlider(Qt.Orientation.Horizontal, window)
        self.volume_slider.setAccessibleName("Reading volume")
        self.volume_slider.setToolTip("Reading volume (Alt+Up louder, Alt+Down quieter)")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(round(self._reader.volume * 100))
        self.volume_slider.setFixedWidth(70)
        self.volume_slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self._add_to_toolbar(window.toolbar)
        self._add_to_menu(window)
        self.speed_box.valueChanged.connect(self._speed_changed)
        self.volume_slider.valueChanged.connect(lambda value: self._reader.set_volume(value / 100))
        self._reader.word_started.connect(self._editor.highlight_word)
        self._reader.paused_changed.connect(self._paused_changed)
        self._reader.finished.connect(self.update_enabled)
        self._reader.stopped.connect(self.update_enabled)
        self._reader.sentence_started.connect(lambda *_: self.update_enabled())
        self._editor.document().contentsChange.connect(self._document_edited)
        self._editor.viewport().installEventFilter(self)
        # Open the sound output while the user is about to read (the window comes to the
        # front, text gets selected), so Read does not wait for a new stream to start.
        window.installEventFilter(self)
        self._editor.selectionChanged.connect(self._reader.warm_up)
        self._editor.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._editor.customContextMenuRequested.connect(self._context_menu)
        self.update_enabled()

    # -- building ------------------------------------------------------------------------
    def _action(self, text: str, shortcut: str, slot, tip: str = "") -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(shortcut))
        label = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('&', '')} ({label})")
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def _add_to_toolbar(self, toolbar: QToolBar) -> None:
        # Right after Stop: the transport controls, then speed and volume.
        actions = toolbar.actions()
        stop_index = actions.index(self._window.stop_action)
        before = actions[stop_index + 1] if stop_index + 1 < len(actions) else None
        self.pause_action.setIconText("Pause")
        # Arrows keep the toolbar narrow; tooltips and accessible names say what they do.
        self.previous_action.setIconText("◀")
        self.next_action.setIconText("▶")
        for action in (self.pause_action, self.previous_action, self.next_action):
            toolbar.insertAction(before, action)
            toolbar.widgetForAction(action).setAccessibleName(action.text().replace("&", ""))
        toolbar.insertSeparator(before)
        for widget in (QLabel(" Speed ", self._window), self.speed_box,
                       QLabel(" Vol ", self._window), self.volume_slider):
            toolbar.insertWidget(before, widget)

    def _add_to_menu(self, window: QMainWindow) -> None:
        for menu_action in window.menuBar().actions():
            if menu_action.text().replace("&", "") == "Speech" and menu_action.menu() is not None:
                menu = menu_action.menu()
                menu.addSeparator()
                menu.addActions(self.actions)

    # -- controls ------------------------------------------------------------------------
    def update_enabled(self) -> None:
        reading = self._reader.active
        for action in (self.pause_action, self.previous_action, self.next_action):
            action.setEnabled(reading)

    def toggle_pause(self) -> None:
        self._reader.toggle_pause()

    def _paused_changed(self, paused: bool) -> None:
        self.pause_action.setIconText("Resume" if paused else "Pause")
        self.pause_action.setText("&Resume Reading" if paused else "&Pause Reading")
        self._window.set_status("Paused. Press Ctrl+P to resume." if paused else "Speaking…")

    def next_sentence(self) -> None:
        target = self._neighbour_sentence(+1)
        if target is not None:
            self.read_from(target)

    def previous_sentence(self) -> None:
        """Re-read the sentence before the one being heard (the first one: from its start)."""
        current = self._reader.current_sentence
        if current is None:
            return
        # A skip restarts the reading, so the reader's own list may begin at this very
        # sentence: find the previous one in the document text just before it.
        window_start = max(0, current[0] - _LOOK_BACK_CHARS)
        before = split_sentences(self._editor.toPlainText()[window_start:current[0]])
        self.read_from(window_start + before[-1].start if before else current[0])

    def _neighbour_sentence(self, step: int) -> int | None:
        """Start of the sentence ``step`` after the one being heard, or None past the end."""
        sentences = self._reader.sentences()
        current = self._reader.current_sentence
        if not sentences or current is None:
            return None
        starts = [start for start, _ in sentences]
        index = starts.index(current[0]) if current[0] in starts else 0
        target = index + step
        return starts[target] if 0 <= target < len(starts) else None

    def read_from_cursor(self) -> None:
        self.read_from(self._word_start(self._editor.textCursor().position()))

    def read_from(self, position: int, end: int | None = None) -> None:
        """Read from document offset ``position`` to ``end`` (the current reading's end, or the document's)."""
        whole = self._editor.toPlainText()
        if end is None:
            end = self._reader.text_range[1] if self._reader.active else len(whole)
            if end <= position:
                end = len(whole)
        text = whole[position:end]
        if not text.strip():
            self._window.set_status("There is nothing to read after the cursor.")
            return
        self._window.reader_will_start()
        self._reader.read(text, position)
        self.update_enabled()

    def step_speed(self, step: float) -> None:
        self.speed_box.setValue(self.speed_box.value() + step)

    def step_volume(self, step: int) -> None:
        self.volume_slider.setValue(self.volume_slider.value() + step)

    def _speed_changed(self, speed: float) -> None:
        self._reader.set_speed(speed)
        self._window.settings.voice_speed = round(speed, 2)
        word = self._reader.current_word
        if self._reader.active and word is not None and not self._reader.paused:
            # Audio already synthesised ahead is at the old speed: re-read from this word.
            self.read_from(word[0], self._reader.text_range[1])

    # -- the document --------------------------------------------------------------------
    def _document_edited(self, position: int, removed: int, added: int) -> None:
        if (removed or added) and self._reader.active:
            self._reader.stop()
            self._editor.clear_reading_highlight()
            self.update_enabled()
            self._window.reading_stopped_by_edit()

    def _word_start(self, position: int) -> int:
        text = self._editor.toPlainText()
        position = min(position, len(text))
        while position > 0 and not text[position - 1].isspace():
            position -= 1
        return position

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window:
            if event.type() == QEvent.Type.WindowActivate:
                self._reader.warm_up()
            return False
        if (event.type() == QEvent.Type.MouseButtonRelease
                and event.button() == Qt.MouseButton.LeftButton
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            cursor = self._editor.cursorForPosition(event.position().toPoint())
            self.read_from(self._word_start(cursor.position()))
            return True
        return super().eventFilter(watched, event)

    def context_menu(self, point) -> QMenu:
        """The editor's usual menu with "Read from Here" (the word under ``point``) on top."""
        menu = self._editor.createStandardContextMenu(point)
        position = self._editor.cursorForPosition(point).position()
        here = QAction("Read from Here", menu)
        here.triggered.connect(lambda: self.read_from(self._word_start(position)))
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, here)
        menu.insertSeparator(first)
        return menu

    def _context_menu(self, point) -> None:
        menu = self.context_menu(point)
        menu.exec(self._editor.viewport().mapToGlobal(point))
        menu.deleteLater()
