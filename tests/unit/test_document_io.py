"""Documents open and save safely; a failed save says why and loses nothing."""

import os

import pytest

from voxpad.errors import DocumentError
from voxpad.text.document_io import read_document, write_document


def test_round_trip_unicode(tmp_path):
    path = tmp_path / "note.md"
    text = "# Title\n\nCafé — “quoted” ß 😀\n"
    write_document(path, text)
    assert read_document(path) == text


def test_overwrite_keeps_permissions_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_document(path, "new")
    assert path.read_text() == "new"
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["note.txt"]


def test_invalid_utf8_is_replaced_not_refused(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9".encode("latin-1"))
    assert read_document(path) == "caf\ufffd"


@pytest.mark.parametrize("make", ["missing", "folder", "binary"])
def test_unreadable_documents_give_a_sentence(tmp_path, make):
    path = tmp_path / "doc.txt"
    if make == "folder":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"\x7fELF\x00\x00\x01")
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    message = str(caught.value)
    assert message.endswith(".") and "doc.txt" in message


def test_save_into_missing_folder_fails_clearly_and_keeps_old_file(tmp_path):
    with pytest.raises(DocumentError, match="does not exist"):
        write_document(tmp_path / "nope" / "doc.txt", "text")


def test_save_into_read_only_folder_fails_clearly(tmp_path, monkeypatch):
    # Simulated: CI runs as root, which ignores folder permissions, so the kernel's
    # answer for a read-only file system is injected where the temp file is created.
    import errno

    from voxpad.text import document_io

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(document_io.tempfile, "mkstemp", read_only)
    with pytest.raises(DocumentError, match="cannot be written to"):
        write_document(tmp_path / "doc.txt", "text")


def test_save_to_full_disk_fails_clearly_and_keeps_old_file(tmp_path):
    # /dev/full is a real device that reports "no space left" on every write.
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    from voxpad.text import document_io

    original = document_io.os.fdopen

    def fdopen_full(fd, *args, **kwargs):
        os.dup2(os.open("/dev/full", os.O_WRONLY), fd)
        return original(fd, *args, **kwargs)

    path = tmp_path / "doc.txt"
    path.write_text("precious")
    document_io.os.fdopen = fdopen_full
    try:
        with pytest.raises(DocumentError, match="disk is full"):
            write_document(path, "x" * 100_000)
    finally:
        document_io.os.fdopen = original
    assert path.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.txt"]
