"""Desktop integration: single instance, hotkeys, typing into other apps."""
