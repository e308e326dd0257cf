"""Privacy, proven: no IP connection from any command, offline switches set by every entry point."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from crash_helpers import crash_a_session
from privacy_helpers import env_without_offline_switches, ip_connections, strace
from voxpad.privacy import OFFLINE_SWITCHES, NetworkConnectionBlocked, NetworkGuard


def test_the_guard_blocks_and_records_ip_connections_but_not_local_sockets(tmp_path):
    guard = NetworkGuard.install()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkConnectionBlocked):
            sock.connect(("127.0.0.1", 9))
        assert any("127.0.0.1" in attempt for attempt in guard.attempts)
        count = len(guard.attempts)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, pytest.raises(OSError) as raised:
            sock.connect(str(tmp_path / "no-such-socket"))
        assert not isinstance(raised.value, NetworkConnectionBlocked)
        assert len(guard.attempts) == count
    finally:
        guard.enabled = False  # other tests may run a local HTTP server


def test_strace_sees_an_ip_connection_so_the_proof_below_can_fail(tmp_path):
    log = tmp_path / "trace"
    code = "import socket\ntry: socket.create_connection(('127.0.0.1', 9), 1)\nexcept OSError: pass"
    subprocess.run([strace(), "-f", "-qq", "-e", "trace=connect", "-o", str(log), sys.executable, "-c", code],
                   check=True, timeout=60)
    assert ip_connections(log)


COMMANDS = {
    "transcribe": ["transcribe", "{jfk}"],
    "transcribe-live": ["transcribe", "--live", "--pace", "8", "--json", "{jfk}"],
    "speak": ["speak", "Nothing leaves this computer.", "-o", "{tmp}/out.wav"],
    "recover": ["recover", "--json"],
    "models": ["models"],
    "version": ["--version"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_commands_make_no_ip_connection(name, tmp_path, jfk_wav):
    if name == "recover":  # something to recover, so the speech model really loads and runs
        crash_a_session(tmp_path / "data", jfk_wav, document="x")
    args = [part.format(jfk=jfk_wav, tmp=tmp_path) for part in COMMANDS[name]]
    log = tmp_path / "trace"
    report = tmp_path / "guard-report"
    env = env_without_offline_switches(VOXPAD_DATA_DIR=str(tmp_path / "data"),
                                       VOXPAD_CONFIG_DIR=str(tmp_path / "config"),
                                       VOXPAD_NETWORK_GUARD="1", VOXPAD_NETWORK_GUARD_REPORT=str(report))
    result = subprocess.run([strace(), "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
                             sys.executable, "-m", "voxpad", *args],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert ip_connections(log) == []
    assert not report.exists(), report.read_text()


@pytest.mark.parametrize("entry", [
    "from voxpad.cli import main; main(['--version'])",
    "from voxpad.ui.application import create_application; create_application()",
])
def test_every_entry_point_sets_the_offline_switches(entry):
    code = (f"import os, sys\ntry:\n    {entry}\nexcept SystemExit:\n    pass\n"
            "print(','.join(os.environ.get(n, '') for n in " + repr(sorted(OFFLINE_SWITCHES)) + "))")
    result = subprocess.run([sys.executable, "-c", code], env=env_without_offline_switches(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ",".join("1" for _ in OFFLINE_SWITCHES)
