#!/usr/bin/env bash
# Install the Voxpad bundle for the current user, under ~/.local, with a menu entry and icon.
#
#   bash packaging/install.sh [BUNDLE] [--autostart]   # BUNDLE: a voxpad-*.tar.gz or a voxpad/ folder
#   bash packaging/install.sh --uninstall              # remove exactly what was installed
#
# BUNDLE defaults to the bundle this script sits in (build.sh puts a copy in it, so
# `tar xzf voxpad-*.tar.gz && voxpad/install.sh` works), else the repo's dist/voxpad. Files go to:
#   ~/.local/lib/voxpad/                      the app
#   ~/.local/bin/voxpad                       the command (a launcher script)
#   ~/.local/share/applications/, icons/hicolor/, metainfo/   menu entry, icons, AppStream data
#   ~/.config/autostart/                      only with --autostart
# Every file installed is listed in ~/.local/lib/voxpad/MANIFEST; --uninstall removes those
# files and the folders it created that are left empty, and nothing else.
set -euo pipefail

APP_ID=io.github.voxpad.Voxpad
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
CONFIG_HOME="${XDG_CONFIG_HOME:-$HOME/.config}"
PREFIX="$HOME/.local"
APP_DIR="$PREFIX/lib/voxpad"
BIN="$PREFIX/bin/voxpad"
MANIFEST="$APP_DIR/MANIFEST"

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

UNINSTALL=0 AUTOSTART=0 SOURCE=""
for arg in "$@"; do
    case "$arg" in
        --uninstall) UNINSTALL=1 ;;
        --autostart) AUTOSTART=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option: $arg" ;;
        *) [[ -z $SOURCE ]] || die "one bundle at a time"; SOURCE="$arg" ;;
    esac
done

uninstall() {
    [[ -f $MANIFEST ]] || die "Voxpad is not installed for this user ($MANIFEST is missing)."
    local path dirs=()
    while IFS= read -r path; do
        [[ -n $path ]] || continue
        case "$path" in
            "$APP_DIR") dirs+=("$path") ;;        # the app folder: removed whole, below
            */) dirs+=("${path%/}") ;;           # a folder this script created
            *) rm -f -- "$path" ;;
        esac
    done <"$MANIFEST"
    rm -rf -- "$APP_DIR"
    # Folders created by the install, deepest first, only if nothing else is in them now.
    local dir
    for dir in $(printf '%s\n' "${dirs[@]}" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
        [[ $dir == "$APP_DIR" ]] && continue
        rmdir -- "$dir" 2>/dev/null || true
    done
    refresh_caches
    say "Voxpad removed."
}

refresh_caches() {
    # Only an icon cache the user already has needs refreshing (menus watch the folders);
    # no update-desktop-database: the entry declares no MimeType, and its cache would stay behind.
    if command -v gtk-update-icon-cache >/dev/null && [[ -f $DATA_HOME/icons/hicolor/index.theme ]]; then
        gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" 2>/dev/null || true
    fi
}

if [[ $UNINSTALL == 1 ]]; then
    uninstall
    exit 0
fi

# --- Where the bundle comes from ----------------------------------------------------------
if [[ -z $SOURCE ]]; then
    for candidate in "$HERE" "$HERE/../dist/voxpad"; do
        if [[ -x $candidate/voxpad && -d $candidate/_internal ]]; then SOURCE="$candidate"; break; fi
    done
    [[ -n $SOURCE ]] || die "no bundle given and none found: pass a voxpad-*.tar.gz or a voxpad/ folder."
fi
STAGE=""
cleanup() { [[ -z $STAGE ]] || rm -rf -- "$STAGE"; }
trap cleanup EXIT
if [[ -f $SOURCE ]]; then
    STAGE="$(mktemp -d)"
    tar --extract --gzip --file "$SOURCE" --directory "$STAGE"
    SOURCE="$STAGE/voxpad"
fi
[[ -x $SOURCE/voxpad && -d $SOURCE/_internal ]] || die "$SOURCE is not a Voxpad bundle (no voxpad program in it)."
if [[ -d $APP_DIR && "$(cd "$SOURCE" && pwd -P)" == "$(cd "$APP_DIR" && pwd -P)" ]]; then
    die "this is the installed copy; to reinstall, run the install.sh of a new bundle (or --uninstall)."
fi
RES="$SOURCE/_internal/voxpad_resources"
[[ -f $RES/$APP_ID.desktop ]] || die "$SOURCE has no desktop files (voxpad_resources)."

if [[ -f $MANIFEST ]]; then
    say "Replacing the installed Voxpad"
    uninstall >/dev/null
fi

# --- Install, recording each file and each folder made ------------------------------------
new_manifest="$(mktemp)"
record() { printf '%s\n' "$1" >>"$new_manifest"; }
make_dir() {
    # mkdir -p, remembering each folder that did not exist, so uninstall can remove it again.
    local dir="$1" missing=()
    while [[ ! -d $dir ]]; do missing+=("$dir"); dir="$(dirname "$dir")"; done
    local i
    for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
        mkdir -- "${missing[i]}"
        record "${missing[i]}/"
    done
}
put() { # put SRC DEST [MODE]
    make_dir "$(dirname "$2")"
    install -m "${3:-644}" -- "$1" "$2"
    record "$2"
}

say "Installing Voxpad into $APP_DIR"
make_dir "$(dirname "$APP_DIR")"
cp -a -- "$SOURCE" "$APP_DIR"
record "$APP_DIR"

# The command: a launcher script rather than a symlink, so the bundle is found by its real path.
make_dir "$(dirname "$BIN")"
printf '#!/bin/sh\nexec "%s/voxpad" "$@"\n' "$APP_DIR" >"$BIN"
chmod 755 "$BIN"
record "$BIN"

# Menu entry: Exec points at the installed launcher, whatever PATH holds.
desktop_tmp="$(mktemp)"
sed -e "s|^Exec=voxpad|Exec=$BIN|" -e "s|^TryExec=.*|TryExec=$BIN|" "$RES/$APP_ID.desktop" >"$desktop_tmp"
put "$desktop_tmp" "$DATA_HOME/applications/$APP_ID.desktop"
rm -f "$desktop_tmp"

for png in "$RES"/icons/voxpad-*.png; do
    size="${png##*-}"; size="${size%.png}"
    put "$png" "$DATA_HOME/icons/hicolor/${size}x${size}/apps/voxpad.png"
done
put "$RES/voxpad.svg" "$DATA_HOME/icons/hicolor/scalable/apps/voxpad.svg"
put "$RES/$APP_ID.metainfo.xml" "$DATA_HOME/metainfo/$APP_ID.metainfo.xml"

if [[ $AUTOSTART == 1 ]]; then
    put "$DATA_HOME/applications/$APP_ID.desktop" "$CONFIG_HOME/autostart/$APP_ID.desktop"
fi

install -m 644 "$new_manifest" "$MANIFEST"
rm -f "$new_manifest"
refresh_caches

say "Installed $("$BIN" --version)"
case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) printf '    note: %s is not on PATH; start Voxpad from the menu or run %s\n' "$PREFIX/bin" "$BIN" ;;
esac
