"""A private D-Bus session bus (its own dbus-daemon) for tests that put a fake portal on it.

Nothing installed on the machine can start on it (no <servicedir>), so a real
xdg-desktop-portal never answers in place of a test's fake.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def require_dbus_daemon() -> None:
    if shutil.which("dbus-daemon") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the portal tests, but dbus-daemon is missing (Debian: dbus-daemon)")
        pytest.skip("needs dbus-daemon (Debian: dbus-daemon)")


@contextmanager
def private_session_bus() -> Iterator[str]:
    """A running dbus-daemon; yields its address."""
    require_dbus_daemon()
    folder = Path(tempfile.mkdtemp(prefix="voxpad-bus-"))
    address = f"unix:path={folder}/bus"
    (folder / "bus.conf").write_text(_CONFIG.format(address=address))
    # It prints its address once it accepts connections. (The socket file appears earlier,
    # at bind(), before listen(): a connection then is refused.)
    daemon = subprocess.Popen(["dbus-daemon", f"--config-file={folder}/bus.conf", "--nofork", "--nopidfile",
                               "--print-address=1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([daemon.stdout], [], [], 10)
        assert ready and daemon.stdout.readline().startswith(b"unix:"), "dbus-daemon did not start"
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)
        daemon.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)
