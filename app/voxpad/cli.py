"""The ``voxpad`` command: the window by default, subcommands for the engines.

Nothing here imports Qt until the window is asked for, so CLI commands start fast and
run where there is no display.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from voxpad import __version__
from voxpad.errors import VoxpadError


def _offline_switches() -> None:
    """Voxpad never phones home: make the Hugging Face libraries inside faster-whisper agree."""
    from voxpad.privacy import apply_offline_switches, install_guard_if_requested

    apply_offline_switches()
    install_guard_if_requested()


def _subcommand_modules():
    from voxpad.commands import bench, models, recover, speak, transcribe

    return {"transcribe": transcribe, "speak": speak, "bench": bench, "recover": recover, "models": models}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxpad",
        description="Offline dictation and read-aloud. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"voxpad {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="load both models, speak and transcribe a sentence, open the window; report")
    parser.add_argument("--debug", action="store_true", help="verbose logging to stderr")
    parser.add_argument("--open", metavar="FILE", dest="open_file", help="open a document in the window")
    # For shortcuts bound in the desktop's own settings (the only way on Wayland): sent to the
    # running Voxpad, or Voxpad starts and does it.
    parser.add_argument("--toggle-dictation", action="store_const", const="toggle-dictation", dest="gui_command",
                        help="start or stop dictating into the focused app (in the running Voxpad)")
    parser.add_argument("--read-selection", action="store_const", const="read-selection", dest="gui_command",
                        help="read the text selected in any app aloud (in the running Voxpad)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _subcommand_modules().values():
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _offline_switches()
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="voxpad: %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.self_test:
            from voxpad.commands import selftest

            return selftest.run(args)
        if args.command:
            return _subcommand_modules()[args.command].run(args)
        from voxpad.ui.application import run_gui

        return run_gui(args.open_file, args.gui_command)
    except VoxpadError as exc:
        print(f"voxpad: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
