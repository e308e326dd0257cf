"""One way for tests to wait for something that happens in another process or thread."""

from __future__ import annotations

import time


def wait_until(check, timeout: float, what: str, interval: float = 0.02):
    """Poll ``check`` until it returns something true and return that; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
