"""Native memory settings behind issue 7's soak (see voxpad.native_memory): glibc and onnxruntime."""

from __future__ import annotations

import subprocess
import sys

import pytest

from voxpad import native_memory


def test_an_explicit_malloc_arena_max_is_left_to_the_user(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert native_memory.limit_malloc_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc arenas exist only on Linux")
def test_importing_voxpad_caps_the_arenas_so_new_threads_share_them(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    # Threads that each malloc and exit, as dictation and read-aloud sessions do: without the
    # cap glibc gives them arenas of their own (up to 8 per core).
    probe = (
        "import ctypes, re, threading, voxpad\n"
        "libc = ctypes.CDLL('libc.so.6')\n"
        "libc.malloc.restype = ctypes.c_void_p\n"
        "libc.free.argtypes = [ctypes.c_void_p]\n"
        "barrier = threading.Barrier(8)\n"
        "def work():\n"
        "    blocks = [libc.malloc(4096) for _ in range(100)]\n"
        "    barrier.wait()  # all alive at once, each holding memory\n"
        "    [libc.free(b) for b in blocks]\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "libc.open_memstream.restype = ctypes.c_void_p\n"
        "buf, size = ctypes.c_char_p(), ctypes.c_size_t()\n"
        "f = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))\n"
        "libc.malloc_info(0, ctypes.c_void_p(f)); libc.fclose(ctypes.c_void_p(f))\n"
        "print(len(re.findall('<heap nr=', ctypes.string_at(buf, size.value).decode())))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert int(out) <= native_memory.ARENA_MAX


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mmap threshold exists only on Linux")
@pytest.mark.parametrize("import_voxpad", [True, False])
def test_importing_voxpad_keeps_big_buffers_out_of_the_heap_after_one_is_freed(monkeypatch, import_voxpad):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    # glibc raises its mmap threshold when an mmapped block is freed, so the next buffer of that
    # size lands in the heap, where freeing it may not give memory back. With voxpad imported the
    # threshold is fixed: the second buffer is mmapped too. Without, it is not (the control).
    probe = (
        ("import voxpad\n" if import_voxpad else "")
        + "import ctypes\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(n, ctypes.c_size_t) for n in ('arena ordblks smblks hblks hblkhd usmblks '\n"
        "                                                'fsmblks uordblks fordblks keepcost').split()]\n"
        "libc = ctypes.CDLL('libc.so.6')\n"
        "libc.mallinfo2.restype = Info\n"
        "libc.malloc.restype = ctypes.c_void_p\n"
        "libc.free.argtypes = [ctypes.c_void_p]\n"
        "size = 4 << 20\n"
        "libc.free(libc.malloc(size))\n"
        "before = libc.mallinfo2().hblkhd\n"
        "block = libc.malloc(size)\n"
        "print(libc.mallinfo2().hblkhd - before >= size)\n"
        "libc.free(block)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(import_voxpad)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads RSS from /proc")
@pytest.mark.parametrize("shrinking", [True, False])
def test_the_voice_gives_a_long_sentences_memory_back(shrinking):
    # Issue 7's remaining soak steps: onnxruntime's CPU arena keeps every region it grew for a
    # run, and piper's tensors grow with the sentence. A sentence longer than any before it left
    # ~150 MB held with the arena kept (the control: the bare session) and ~1 MB with the app's
    # ArenaShrinkingSession.
    probe = (
        "from voxpad.native_memory import ArenaShrinkingSession\n"
        "from voxpad.tts.voice import Voice\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmRSS:'))\n"
        "voice = Voice.load()\n"
        "assert isinstance(voice._piper.session, ArenaShrinkingSession)\n"
        + ("" if shrinking else "voice._piper.session = voice._piper.session.session  # the control: bare\n")
        + "voice.synthesize_words('Ready.')\n"
        "before = rss()\n"
        "voice.synthesize_words('This one sentence is a good deal longer than the word before it, so every '\n"
        "                       'tensor the voice needs for it is larger than any it has needed so far.')\n"
        "print(rss() - before)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    held = float(out)
    if shrinking:
        assert held < 10.0
    else:
        assert held > 40.0  # the control: without the fix the memory stays with the session
