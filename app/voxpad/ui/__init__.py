"""Qt widgets and the controllers that bridge the engines to them."""

# Before any widget or controller emits a signal: see pyside_workarounds for the defect.
from voxpad.ui.pyside_workarounds import make_bools_immortal as _make_bools_immortal

_make_bools_immortal()
