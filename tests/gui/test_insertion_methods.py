"""The settings offer every way of inserting text that the typing code knows, and no other."""

from __future__ import annotations

from voxpad.config import INSERTION_METHODS, Settings
from voxpad.desktop.typing import typers
from voxpad.ui.anywhere_settings import AnywhereSettings


def test_every_insertion_method_can_be_chosen_and_is_saved(qtbot):
    settings = Settings()
    page = AnywhereSettings(settings)
    qtbot.addWidget(page)
    offered = [page.method.itemData(i) for i in range(page.method.count())]
    assert offered == list(INSERTION_METHODS)
    page.method.setCurrentIndex(page.method.findData("portal"))
    page.apply_to(settings)
    assert settings.insertion_method == "portal"


def test_the_settings_know_exactly_the_methods_the_typing_code_has():
    assert ["auto"] + sorted(t.name for t in typers()) == ["auto"] + sorted(INSERTION_METHODS[1:])


def test_a_chosen_insertion_method_survives_loading_the_settings():
    for method in INSERTION_METHODS:
        assert Settings(insertion_method=method).clamp().insertion_method == method
    assert Settings(insertion_method="telepathy").clamp().insertion_method == "auto"
