"""Reading and writing documents (.txt, .md) safely.

Save is atomic: write a temporary file beside the target, fsync, rename. A failed save
leaves the old file intact and raises DocumentError; the caller keeps the text in memory.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from voxpad.errors import DocumentError

# Refuse to load something that is clearly not a text document into the editor.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def read_document(path: Path) -> str:
    """The text of ``path``; undecodable bytes become U+FFFD rather than a refusal."""
    try:
        if path.is_dir():
            raise DocumentError(f"{path} is a folder, not a document.")
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"{path.name} is too large to open as a document ({size // 1_048_576} MB).")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{path} does not exist.") from None
    except PermissionError:
        raise DocumentError(f"You do not have permission to read {path}.") from None
    except OSError as exc:
        raise DocumentError(f"{path} could not be read: {exc.strerror or exc}.") from None
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path.name} is not a text document.")
    text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def write_document(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, or raise DocumentError saying why not."""
    directory = path.parent
    try:
        if path.is_dir():
            raise DocumentError(f"{path} is a folder; choose a file name.")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except FileNotFoundError:
        raise DocumentError(f"The folder {directory} does not exist.") from None
    except PermissionError:
        raise DocumentError(f"You do not have permission to save in {directory}.") from None
    except OSError as exc:
        raise DocumentError(_save_failure(path, exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8", errors="replace"))
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o777)
        os.replace(tmp_name, path)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise DocumentError(_save_failure(path, exc)) from None


def _save_failure(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"The disk is full, so {path.name} was not saved. Your text is still here; free some space and save again."
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{path.parent} cannot be written to, so {path.name} was not saved. Choose another folder."
    return f"{path.name} was not saved: {exc.strerror or exc}."
