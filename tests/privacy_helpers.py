"""Proving no IP connection: run a process under strace and read which sockets it connected."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

# strace prints e.g. connect(3, {sa_family=AF_INET, sin_port=htons(443), ...}, 16)
_IP_CONNECT = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b.*")
from voxpad.privacy import OFFLINE_SWITCHES

HF_VARIABLES = tuple(OFFLINE_SWITCHES)  # every offline switch, not only Hugging Face's


def strace() -> str:
    tool = shutil.which("strace")
    assert tool, "strace is missing (packaging/setup-debian.sh --dev installs it)"
    return tool


def ip_connections(strace_log: Path) -> list[str]:
    """Lines of an strace log (all its files, with -ff) that open or send to an IP socket."""
    lines = []
    for path in sorted(strace_log.parent.glob(strace_log.name + "*")):
        lines += [line for line in path.read_text(errors="replace").splitlines() if _IP_CONNECT.search(line)]
    return lines


def env_without_offline_switches(**extra: str) -> dict[str, str]:
    """The test environment minus the offline switches, so Voxpad must set them itself."""
    env = {name: value for name, value in os.environ.items() if name not in HF_VARIABLES}
    env.update(extra)
    return env


def attach(pid: int, log: Path) -> subprocess.Popen:
    """strace every thread of a running process (and what it starts later) for connects."""
    tasks = [f"-p{task}" for task in os.listdir(f"/proc/{pid}/task")]
    return subprocess.Popen([strace(), "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log), *tasks],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
