#!/usr/bin/env bash
# Package the built bundle (dist/voxpad/, from packaging/build.sh) as a Debian package.
#
#   bash packaging/build-deb.sh      # dist/voxpad_<version>_amd64.deb
#
# The app goes to /opt/voxpad with /usr/bin/voxpad, the menu entry, icons and AppStream data
# in /usr/share. Depends lists only what the bundle takes from the system.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$REPO/dist/voxpad"
APP_ID=io.github.voxpad.Voxpad
die() { printf 'build-deb.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -x $BUNDLE/voxpad ]] || die "$BUNDLE is missing: run 'bash packaging/build.sh' first."
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian package dpkg)."
VERSION="$(env -i PATH=/usr/bin:/bin HOME=/tmp "$BUNDLE/voxpad" --version | awk '{print $2}')"
RES="$BUNDLE/_internal/voxpad_resources"
ROOT="$REPO/build/deb/voxpad"
DEB="$REPO/dist/voxpad_${VERSION}_amd64.deb"

rm -rf "$ROOT"
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" \
    "$ROOT/usr/share/metainfo" "$ROOT/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$ROOT/opt/voxpad"
printf '#!/bin/sh\nexec /opt/voxpad/voxpad "$@"\n' >"$ROOT/usr/bin/voxpad"
chmod 755 "$ROOT/usr/bin/voxpad"
install -m 644 "$RES/$APP_ID.desktop" "$ROOT/usr/share/applications/$APP_ID.desktop"
install -m 644 "$RES/$APP_ID.metainfo.xml" "$ROOT/usr/share/metainfo/$APP_ID.metainfo.xml"
install -m 644 "$RES/voxpad.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/voxpad.svg"
for png in "$RES"/icons/voxpad-*.png; do
    size="${png##*-}"; size="${size%.png}"
    install -D -m 644 "$png" "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps/voxpad.png"
done

# The system libraries the bundle links and does not carry (objdump over the bundle shows
# libc, libasound, libxcb, libGL/libEGL; the Wayland client libraries only on Wayland).
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: voxpad
Version: $VERSION
Architecture: amd64
Maintainer: Voxpad developers <voxpad@users.noreply.github.com>
Section: utils
Priority: optional
Installed-Size: $(du -sk "$ROOT" | cut -f1)
Depends: libc6 (>= 2.36), libasound2t64 | libasound2, libxcb1, libgl1, libegl1
Recommends: libwayland-client0, libwayland-cursor0, libwayland-egl1
Homepage: https://github.com/voxpad/voxpad
Description: offline dictation and read-aloud
 Voxpad turns speech into text and reads text aloud, entirely on your own
 computer, with faster-whisper and piper. The speech model and voice come
 with the package; nothing is downloaded.
CONTROL

dpkg-deb --root-owner-group -Zgzip -z6 --build "$ROOT" "$DEB" >/dev/null
rm -rf "$ROOT"
printf '==> %s (%s)\n' "$DEB" "$(du -h "$DEB" | cut -f1)"
