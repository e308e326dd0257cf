"""Download a catalogue entry on the user's request: progress, cancel, resume, verify, install.

Uses urllib from the standard library rather than httpx: a download is a handful of plain
GETs with a Range header, which urllib does fully (proxies from the environment included),
and a new dependency would add install size and a second HTTP stack for no gain.

Partial files are kept in ``<data dir>/downloads/<kind>-<name>/`` (outside the store, so
never listed); a dropped connection is retried from where it stopped, and a cancelled or
failed download resumes from there next time. Each finished file is checked against the
expected size and SHA-256 (pinned in the catalogue, else the server's X-Linked-Etag, which
Hugging Face sets to the file's SHA-256); then the whole model is load-checked and moved into
the store in one rename (see store.install_staged).
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import logging
import re
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxpad import __version__, paths
from voxpad.errors import Cancelled, ModelError
from voxpad.models import store
from voxpad.models.catalogue import CatalogueEntry, RemoteFile, base_url

log = logging.getLogger(__name__)

_CHUNK = 256 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes expected in all)


class _ConnectionDropped(Exception):
    """The server stopped sending before the file was complete: worth retrying from there."""


@dataclass(frozen=True)
class _Fetched:
    size: int
    server_sha256: str | None


def downloads_dir() -> Path:
    folder = paths.data_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def partial_dir(entry: CatalogueEntry) -> Path:
    """Where ``entry``'s partial files wait between attempts."""
    return downloads_dir() / f"{entry.kind}-{entry.name}"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _installed_filename(entry: CatalogueEntry, remote: RemoteFile) -> str:
    """A voice's files are saved as <entry name>.onnx(.json) whatever the server calls them."""
    if entry.kind == store.TTS:
        return f"{entry.name}.onnx.json" if remote.filename.endswith(".json") else f"{entry.name}.onnx"
    return remote.filename


class ModelDownload:
    """One catalogue entry to download; :meth:`run` blocks (call it on a worker thread)."""

    def __init__(self, entry: CatalogueEntry, base: str | None = None, *, timeout: float = 30.0,
                 retries: int = 3, retry_pause: float = 0.5) -> None:
        self.entry = entry
        self.base = base_url(base)
        self.timeout = timeout
        self.retries = retries
        self.retry_pause = retry_pause

    def run(self, progress: ProgressCallback | None = None,
            cancelled: Callable[[], bool] | None = None) -> store.InstalledModel:
        """Download, verify and install; raises ModelError (with a sentence) or Cancelled."""
        entry = self.entry
        if any(m.name == entry.name for m in store.list_installed(entry.kind)):
            raise ModelError(f"{entry.name} is already installed.")
        folder = partial_dir(entry)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ".lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise ModelError(f"{entry.name} is already being downloaded.") from None
            self._download_all(folder, progress, cancelled or (lambda: False))
            installed = self._install(folder)
        shutil.rmtree(folder, ignore_errors=True)
        return installed

    # -- steps ---------------------------------------------------------------------------
    def _download_all(self, folder: Path, progress: ProgressCallback | None, cancelled: Callable[[], bool]) -> None:
        total = self.entry.size
        done_before = 0
        for remote in self.entry.files:
            final = folder / _installed_filename(self.entry, remote)
            if final.is_file():  # verified on an earlier attempt
                done_before += final.stat().st_size
                continue
            part = final.with_name(final.name + ".part")

            def report(file_bytes: int, _base=done_before) -> None:
                if progress is not None:
                    done = _base + file_bytes
                    progress(done, max(total, done))

            fetched = self._fetch_with_retries(remote, part, report, cancelled)
            self._verify(remote, part, fetched)
            part.rename(final)
            done_before += fetched.size
        if progress is not None:
            progress(done_before, max(total, done_before))

    def _install(self, folder: Path) -> store.InstalledModel:
        staged = store.staging_dir(self.entry.kind)
        try:
            for remote in self.entry.files:
                name = _installed_filename(self.entry, remote)
                (folder / name).rename(staged / name)
            return store.install_staged(self.entry.kind, self.entry.name, staged)
        except ModelError:
            # It downloaded intact but does not load: keeping it would only fail the same way again.
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staged, ignore_errors=True)

    def _verify(self, remote: RemoteFile, part: Path, fetched: _Fetched) -> None:
        size = part.stat().st_size
        expected_size = remote.size if remote.size is not None else fetched.size
        expected_sha = remote.sha256 or fetched.server_sha256
        problem = None
        if size != expected_size:
            problem = f"it has {size} bytes instead of {expected_size}"
        elif expected_sha and _sha256_of(part) != expected_sha.lower():
            problem = "its checksum does not match"
        if problem:
            part.unlink(missing_ok=True)
            raise ModelError(f"The download of {self.entry.name} was damaged ({remote.filename}: {problem}), so "
                             f"nothing was installed; try again, or use another mirror.")

    def _fetch_with_retries(self, remote: RemoteFile, part: Path, report: Callable[[int], None],
                            cancelled: Callable[[], bool]) -> _Fetched:
        url = self.base + remote.url_path.lstrip("/")
        for attempt in range(self.retries + 1):
            try:
                return self._fetch(url, remote, part, report, cancelled)
            except (_ConnectionDropped, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                if isinstance(exc, urllib.error.HTTPError) and exc.code != 416 and exc.code < 500:
                    raise ModelError(self._http_sentence(remote, exc)) from exc
                if attempt == self.retries:
                    raise ModelError(
                        f"The download of {self.entry.name} stopped ({_reason(exc)}); run it again to continue "
                        f"where it left off.") from exc
                log.info("Download of %s interrupted (%s); resuming", url, exc)
                if cancelled():
                    raise Cancelled(f"The download of {self.entry.name} was cancelled.") from None
                time.sleep(self.retry_pause * (attempt + 1))
        raise AssertionError("unreachable")

    def _http_sentence(self, remote: RemoteFile, exc: urllib.error.HTTPError) -> str:
        if exc.code == 404:
            return f"The server has no {remote.filename} for {self.entry.name} (not found); check the mirror address."
        return f"The server refused the download of {self.entry.name} (HTTP {exc.code} {exc.reason})."

    def _fetch(self, url: str, remote: RemoteFile, part: Path, report: Callable[[int], None],
               cancelled: Callable[[], bool]) -> _Fetched:
        have = part.stat().st_size if part.exists() else 0
        if remote.size is not None and have > remote.size:
            part.unlink()
            have = 0
        headers = {"User-Agent": f"voxpad/{__version__}"}
        if have:
            headers["Range"] = f"bytes={have}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # the part is already whole (or the file changed): start over
                part.unlink()
            raise
        with response:
            server_sha = (response.headers.get("X-Linked-Etag") or "").strip('"W/ ').lower() or None
            if server_sha and not _SHA256.match(server_sha):
                server_sha = None
            if have and response.status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if not match or int(match.group(1)) != have:
                    raise _ConnectionDropped("the server resumed at the wrong place")
                total = int(match.group(3)) if match.group(3) != "*" else None
                mode = "ab"
            else:  # a full answer: the server ignored Range, or this is the first attempt
                have = 0
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                mode = "wb"
            written = have
            with part.open(mode) as out:
                report(written)
                while True:
                    if cancelled():
                        raise Cancelled(f"The download of {self.entry.name} was cancelled.")
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    written += len(chunk)
                    report(written)
        if total is not None and written < total:
            raise _ConnectionDropped(f"the connection closed after {written} of {total} bytes")
        return _Fetched(total if total is not None else written, server_sha)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, socket.timeout):
        return "the server stopped answering"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120].rstrip(".")


def discard_partial(entry: CatalogueEntry) -> None:
    """Forget what was downloaded of ``entry`` so far."""
    shutil.rmtree(partial_dir(entry), ignore_errors=True)
