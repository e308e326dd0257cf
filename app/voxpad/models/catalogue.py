"""The models and voices Voxpad can download on request, and where from.

Every file is addressed relative to one base URL (Hugging Face by default), so a mirror
only has to copy the same paths: set it in Settings (``model_mirror_url``) or with the
environment variable VOXPAD_MODEL_MIRROR, which wins. Nothing here touches the network.

Built-in entries carry approximate sizes for display; their checksums are not pinned here
because Hugging Face reports each file's SHA-256 with the download (X-Linked-Etag), which
the downloader verifies. Extra entries, with pinned sizes and SHA-256, can be added in
``<data dir>/catalogue.json`` (a mirror's administrator or a test does this).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from voxpad import paths
from voxpad.errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://huggingface.co/"
MIRROR_ENV = "VOXPAD_MODEL_MIRROR"
CATALOGUE_FILE = "catalogue.json"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a model: its path below the base URL, the name it is saved as, what it must be."""

    url_path: str
    filename: str
    size: int | None = None  # bytes; None: trust the server's Content-Length
    sha256: str | None = None  # None: use the server's X-Linked-Etag if it is a SHA-256


@dataclass(frozen=True)
class CatalogueEntry:
    """A downloadable speech model ("stt") or voice ("tts")."""

    kind: str
    name: str
    languages: tuple[str, ...]
    hint: str  # quality/speed in a few words
    files: tuple[RemoteFile, ...]
    approx_size: int = 0  # bytes, for display before the download starts

    @property
    def size(self) -> int:
        pinned = [f.size for f in self.files]
        return sum(pinned) if all(s is not None for s in pinned) else self.approx_size


def base_url(setting: str | None = None) -> str:
    """The URL every catalogue path is relative to: env VOXPAD_MODEL_MIRROR, the setting, or Hugging Face."""
    url = os.environ.get(MIRROR_ENV) or setting or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


_MB = 1_000_000

# faster-whisper CTranslate2 conversions published by SYSTRAN (the models faster-whisper
# itself downloads by name). All but the .en ones are multilingual.
_WHISPER = (
    ("tiny", "Systran/faster-whisper-tiny", "fastest, least accurate", 75),
    ("base.en", "Systran/faster-whisper-base.en", "fast, more accurate than tiny", 145),
    ("base", "Systran/faster-whisper-base", "fast, more accurate than tiny", 145),
    ("small.en", "Systran/faster-whisper-small.en", "accurate, about 3x slower than base", 484),
    ("small", "Systran/faster-whisper-small", "accurate, about 3x slower than base", 484),
    ("distil-small.en", "Systran/faster-distil-whisper-small.en", "accurate as small, faster", 332),
    ("medium", "Systran/faster-whisper-medium", "very accurate, slow on 2 cores", 1530),
    ("distil-large-v3", "Systran/faster-distil-whisper-large-v3", "most accurate here, needs 2 GB RAM", 1510),
)

# rhasspy/piper-voices: <family>/<code>/<speaker>/<quality>/<code>-<speaker>-<quality>.onnx(.json)
_PIPER = (
    ("en_US-lessac-medium", "clear US English, medium quality", 63),
    ("en_US-amy-low", "US English, low quality, smallest", 63),
    ("en_GB-alba-medium", "British English, medium quality", 63),
    ("de_DE-thorsten-medium", "German, medium quality", 63),
    ("fr_FR-siwis-medium", "French, medium quality", 63),
    ("es_ES-davefx-medium", "Spanish, medium quality", 63),
    ("it_IT-riccardo-x_low", "Italian, low quality, fast", 28),
    ("nl_NL-mls-medium", "Dutch, medium quality", 63),
    ("pt_BR-faber-medium", "Brazilian Portuguese, medium quality", 63),
)


def _whisper_entry(name: str, repo: str, hint: str, megabytes: int) -> CatalogueEntry:
    files = tuple(
        RemoteFile(f"{repo}/resolve/main/{filename}", filename)
        for filename in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
    )
    languages = ("en",) if name.endswith(".en") else ("multilingual",)
    return CatalogueEntry("stt", name, languages, hint, files, megabytes * _MB)


def _piper_entry(name: str, hint: str, megabytes: int) -> CatalogueEntry:
    code, speaker, quality = name.split("-", 2)
    folder = f"rhasspy/piper-voices/resolve/main/{code.split('_')[0]}/{code}/{speaker}/{quality}"
    files = (
        RemoteFile(f"{folder}/{name}.onnx.json", f"{name}.onnx.json"),
        RemoteFile(f"{folder}/{name}.onnx", f"{name}.onnx"),
    )
    return CatalogueEntry("tts", name, (code,), hint, files, megabytes * _MB)


def built_in_entries() -> list[CatalogueEntry]:
    return [_whisper_entry(*row) for row in _WHISPER] + [_piper_entry(*row) for row in _PIPER]


def _entry_from_json(raw: dict) -> CatalogueEntry:
    files = tuple(
        RemoteFile(str(f["url_path"]), str(f.get("filename") or Path(f["url_path"]).name),
                   int(f["size"]) if f.get("size") is not None else None,
                   str(f["sha256"]).lower() if f.get("sha256") else None)
        for f in raw["files"]
    )
    kind = str(raw["kind"])
    if kind not in ("stt", "tts") or not files:
        raise ValueError("kind must be stt or tts, with at least one file")
    return CatalogueEntry(kind, str(raw["name"]), tuple(raw.get("languages", ())), str(raw.get("hint", "")),
                          files, int(raw.get("approx_size", 0)))


def local_entries(path: Path | None = None) -> list[CatalogueEntry]:
    """Entries from ``<data dir>/catalogue.json`` (a JSON array); a damaged file is logged and skipped."""
    path = path or paths.data_dir() / CATALOGUE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [_entry_from_json(item) for item in raw]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("Ignoring the model catalogue %s: %s", path, exc)
        return []


def entries() -> list[CatalogueEntry]:
    """Everything downloadable; a local entry replaces a built-in one of the same kind and name."""
    local = local_entries()
    overridden = {(e.kind, e.name) for e in local}
    return [e for e in built_in_entries() if (e.kind, e.name) not in overridden] + local


def find_entry(name: str) -> CatalogueEntry:
    """The catalogue entry called ``name``, or ModelError saying how to see the list."""
    for entry in entries():
        if entry.name == name:
            return entry
    raise ModelError(f"There is no model or voice called {name} in the catalogue; "
                     f"'voxpad models available' lists what can be downloaded.")

