"""A real HTTP server on 127.0.0.1 serving model files, for the download tests.

It answers Range requests the way Hugging Face and any static file server do, records every
request, and can be told to misbehave: drop the connection part-way through a file, or send
an X-Linked-Etag header. Fixture helpers build a catalogue (``<data dir>/catalogue.json``)
whose entries point at the served files.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@dataclass
class ServedRequest:
    path: str
    range: str | None


@dataclass
class ModelFileServer:
    """Serves ``files`` (URL path -> file on disk); start() picks a free port on 127.0.0.1."""

    files: dict[str, Path] = field(default_factory=dict)
    requests: list[ServedRequest] = field(default_factory=list)
    # URL path -> bytes after which the next response for it stops (one-shot, then removed).
    drop_after: dict[str, int] = field(default_factory=dict)
    # URL path -> value of an X-Linked-Etag header (as Hugging Face sends for large files).
    linked_etags: dict[str, str] = field(default_factory=dict)
    always_drop: set[str] = field(default_factory=set)

    def start(self) -> "ModelFileServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                owner._serve(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def ranged_requests(self, path: str) -> list[str]:
        return [r.range for r in self.requests if r.path == path and r.range]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.lstrip("/")
        range_header = handler.headers.get("Range")
        self.requests.append(ServedRequest(path, range_header))
        source = self.files.get(path)
        if source is None:
            handler.send_error(404)
            return
        data = source.read_bytes()
        start = 0
        status = 200
        if range_header:
            match = _RANGE.match(range_header)
            start = int(match.group(1)) if match else 0
            if start >= len(data):
                handler.send_response(416)
                handler.send_header("Content-Range", f"bytes */{len(data)}")
                handler.end_headers()
                return
            status = 206
        body = data[start:]
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Accept-Ranges", "bytes")
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        if path in self.linked_etags:
            handler.send_header("X-Linked-Etag", f'"{self.linked_etags[path]}"')
        handler.end_headers()
        cut = self.drop_after.pop(path, None)
        if path in self.always_drop:
            cut = len(body) // 2
        if cut is not None:
            handler.wfile.write(body[:cut])
            handler.wfile.flush()
            handler.close_connection = True
            return  # the socket closes with the file unfinished: a dropped connection
        handler.wfile.write(body)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def catalogue_file_entry(url_path: str, source: Path, *, filename: str | None = None, pin: bool = True) -> dict:
    entry = {"url_path": url_path, "filename": filename or Path(url_path).name}
    if pin:
        entry["size"] = source.stat().st_size
        entry["sha256"] = sha256_of(source)
    return entry


def write_catalogue(data_dir: Path, entries: list[dict]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "catalogue.json").write_text(json.dumps(entries), encoding="utf-8")


def corrupted_copy(source: Path, target: Path) -> Path:
    """A same-size copy of ``source`` with bytes in the middle changed (what a bad mirror serves)."""
    shutil.copyfile(source, target)
    with target.open("r+b") as fh:
        fh.seek(source.stat().st_size // 2)
        fh.write(b"\xde\xad\xbe\xef" * 16)
    return target
