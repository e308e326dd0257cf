"""``voxpad models``: list, import, download, use and remove speech models and voices.

``voxpad models list --json`` prints a JSON array of
``{"kind": "stt"|"tts", "name", "path", "languages", "bundled", "active", "size", "hint"}``.
Downloads happen only here and in the Models and Voices window, never on their own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from voxpad.errors import VoxpadError


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "models", help="list, import, download, use or remove speech models and voices",
        description="Manage speech models (faster-whisper) and voices (piper). The bundled tiny.en "
                    "and en_US-joe-medium are always there.")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")
    listing = actions.add_parser("list", help="installed models and voices")
    listing.add_argument("--json", action="store_true", help="a JSON array")
    available = actions.add_parser("available", help="models and voices that can be downloaded")
    available.add_argument("--json", action="store_true", help="a JSON array")
    importing = actions.add_parser("import", help="install a Whisper model folder or a piper .onnx voice")
    importing.add_argument("path", type=Path, metavar="PATH")
    importing.add_argument("--name", help="name to install it as (default: the folder or file name)")
    remove = actions.add_parser("remove", help="delete an installed model or voice")
    remove.add_argument("name", metavar="NAME")
    download = actions.add_parser("download", help="download a model or voice from the catalogue")
    download.add_argument("name", metavar="NAME")
    download.add_argument("--mirror", metavar="URL", help="base URL to download from (default: settings)")
    use = actions.add_parser("use", help="make a model or voice the one Voxpad uses")
    use.add_argument("name", metavar="NAME")
    parser.set_defaults(models_command="list", json=False)
    return parser


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        return _ACTIONS[args.models_command](args, stdout, stderr)
    except VoxpadError as exc:
        print(f"voxpad: {exc}", file=stderr, flush=True)
        return 1


def _size(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


def _languages(languages) -> str:
    return f"{len(languages)} languages" if len(languages) > 3 else ", ".join(languages) or "?"


def _list(args, stdout: TextIO, _stderr) -> int:
    from voxpad.config import load_settings
    from voxpad.models import store

    settings = load_settings()
    models = store.list_installed()
    if args.json:
        print(json.dumps([m.as_json(m.is_active(settings)) for m in models], ensure_ascii=False), file=stdout)
        return 0
    for m in models:
        flags = " ".join(f for f in ("active" if m.is_active(settings) else "", "bundled" if m.bundled else "") if f)
        print(f"{m.kind}  {m.name:<24} {_size(m.size):>8}  {_languages(m.languages):<14} {m.hint}"
              + (f"  [{flags}]" if flags else ""), file=stdout)
    return 0


def _available(args, stdout: TextIO, _stderr) -> int:
    from voxpad.models import catalogue, store

    installed = {(m.kind, m.name) for m in store.list_installed()}
    rows = [(e, (e.kind, e.name) in installed) for e in catalogue.entries()]
    if args.json:
        print(json.dumps([{"kind": e.kind, "name": e.name, "languages": list(e.languages), "size": e.size,
                           "hint": e.hint, "installed": done} for e, done in rows]), file=stdout)
        return 0
    for e, done in rows:
        print(f"{e.kind}  {e.name:<24} {_size(e.size):>8}  {_languages(e.languages):<14} {e.hint}"
              + ("  [installed]" if done else ""), file=stdout)
    return 0


def _import(args, stdout: TextIO, _stderr) -> int:
    from voxpad.models import store

    model = store.import_model(args.path, args.name)
    print(f"Installed {model.name}; 'voxpad models use {model.name}' makes Voxpad use it.", file=stdout)
    return 0


def _remove(args, stdout: TextIO, _stderr) -> int:
    from voxpad.config import load_settings, save_settings
    from voxpad.models import store

    settings = load_settings()
    model = store.remove_model(args.name)
    if store.forget_if_active(model, settings):
        save_settings(settings)
        print(f"Removed {model.name}; Voxpad uses the bundled one again.", file=stdout)
    else:
        print(f"Removed {model.name}.", file=stdout)
    return 0


def _use(args, stdout: TextIO, _stderr) -> int:
    from voxpad.config import load_settings, save_settings
    from voxpad.models import store

    settings = load_settings()
    model = store.use_model(args.name, settings)
    save_settings(settings)
    print(f"Voxpad now uses {model.name}.", file=stdout)
    return 0


def _download(args, stdout: TextIO, stderr: TextIO) -> int:
    from voxpad.config import load_settings
    from voxpad.models import catalogue
    from voxpad.models.download import ModelDownload

    entry = catalogue.find_entry(args.name)
    base = args.mirror or load_settings().model_mirror_url or None
    job = ModelDownload(entry, base)
    shown = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 0
        if percent != shown["percent"] and stderr.isatty():
            shown["percent"] = percent
            print(f"\rDownloading {entry.name}: {percent}% of {_size(total)}", end="", file=stderr, flush=True)

    print(f"Downloading {entry.name} from {job.base}", file=stderr, flush=True)
    try:
        model = job.run(progress)
    except KeyboardInterrupt:
        print(f"\nvoxpad: The download of {entry.name} was interrupted; run the same command to resume it.",
              file=stderr, flush=True)
        return 130
    finally:
        if stderr.isatty():
            print(file=stderr)
    print(f"Installed {model.name}; 'voxpad models use {model.name}' makes Voxpad use it.", file=stdout)
    return 0


_ACTIONS = {"list": _list, "available": _available, "import": _import, "remove": _remove,
            "use": _use, "download": _download}
