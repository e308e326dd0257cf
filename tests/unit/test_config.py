"""Settings survive a save and load, and a damaged file never stops the app."""

import json
import os
import stat

from voxpad.config import MAX_RECENT_FILES, Settings, load_settings, save_settings, settings_path


def test_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(input_device="USB mic", voice_speed=1.4, font_size=18)
    settings.add_recent_file("/tmp/a.txt")
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded == settings


def test_file_is_private(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "nope.json") == Settings()


def test_damaged_file_gives_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b"\x00{not json")
    assert load_settings(path) == Settings()
    path.write_text("[1, 2]")
    assert load_settings(path) == Settings()


def test_wrong_types_and_unknown_keys_are_ignored_and_values_clamped(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"voice_speed": 9, "font_size": "big", "future_option": True,
                                "input_device": "Mic 2"}))
    loaded = load_settings(path)
    assert loaded.voice_speed == 2.0
    assert loaded.font_size == Settings().font_size
    assert loaded.input_device == "Mic 2"


def test_recent_files_are_unique_newest_first_and_bounded():
    settings = Settings()
    for index in range(MAX_RECENT_FILES + 3):
        settings.add_recent_file(f"/doc{index}.txt")
    settings.add_recent_file("/doc5.txt")
    assert settings.recent_files[0] == "/doc5.txt"
    assert len(settings.recent_files) == MAX_RECENT_FILES
    assert len(set(settings.recent_files)) == MAX_RECENT_FILES


def test_tests_never_touch_the_real_settings():
    assert str(settings_path()).startswith(os.environ["VOXPAD_CONFIG_DIR"])
