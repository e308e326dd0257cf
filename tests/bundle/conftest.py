"""Builds the PyInstaller bundle once per test run and unpacks its tarball elsewhere.

The build takes a minute or two on a 2-core machine; every bundle test shares it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

import voxpad
from bundle_support import REPO, Bundle


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> Bundle:
    env = {**os.environ, "VOXPAD_PYTHON": sys.executable}
    for name in ("PYTHONPATH", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    start = time.monotonic()
    result = subprocess.run(["bash", str(REPO / "packaging" / "build.sh")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=40 * 60)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f"build.sh failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    tarball = REPO / "dist" / f"voxpad-{voxpad.__version__}-linux-x86_64.tar.gz"
    assert tarball.is_file(), f"build.sh did not make {tarball.name}"
    # Unpacked far from the repo and from dist/, so nothing can lean on the build tree.
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="tar")
    shutil.rmtree(REPO / "build" / "pyinstaller", ignore_errors=True)
    return Bundle(tarball, target / "voxpad", seconds)
