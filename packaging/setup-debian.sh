#!/usr/bin/env bash
# Install Voxpad and everything it needs on Debian 12 (bookworm) or 13 (trixie), as root.
#
#   bash packaging/setup-debian.sh          # the app, in .venv at the repo root
#   bash packaging/setup-debian.sh --dev    # also the test tools (Xvfb, PulseAudio, xdotool, ...)
#
# Safe to run again: installed Debian packages are skipped and .venv is reused.
set -euo pipefail

usage() {
    sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

DEV=0
for arg in "$@"; do
    case "$arg" in
        --dev) DEV=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "setup-debian: unknown option: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\nsetup-debian: error: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run this as root (it installs Debian packages)."
[[ -r /etc/debian_version ]] || die "this script is for Debian 12 or 13; /etc/debian_version is missing."
# shellcheck disable=SC1091
DEBIAN_NAME="$(. /etc/os-release && echo "${PRETTY_NAME:-Debian}")"
say "Setting up Voxpad in $REPO on $DEBIAN_NAME ($(cat /etc/debian_version))$([[ $DEV == 1 ]] && echo ', with test tools')"

# ---------------------------------------------------------------------------------------
# Debian packages. An entry "a|b" takes the first name the archive has: Debian 13 renamed
# libraries for 64-bit time_t (libglib2.0-0 -> libglib2.0-0t64, libpng16-16 -> libpng16-16t64,
# libasound2 -> libasound2t64), so one list serves both releases.
# ---------------------------------------------------------------------------------------
RUNTIME_PACKAGES=(
    ca-certificates
    # sounddevice loads PortAudio from the system.
    libportaudio2
    # What PySide6's Qt (QtCore, QtGui, QtWidgets, the xcb platform plugin) links against.
    "libglib2.0-0t64|libglib2.0-0"
    "libpng16-16t64|libpng16-16"
    libfreetype6 libfontconfig1 fonts-dejavu-core
    libdbus-1-3 libegl1 libgl1 libopengl0
    libx11-6 libx11-xcb1 libxcb1 libxkbcommon0 libxkbcommon-x11-0
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
    libxcb-util1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
    # Qt's Wayland platform plugin, used on a Wayland desktop (xcb through XWayland otherwise).
    libwayland-client0 libwayland-cursor0 libwayland-egl1
)
DEV_PACKAGES=(
    # A private X server and sound server for the tests; ALSA's pulse plugin so that
    # sounddevice's default device is the PulseAudio server.
    xvfb pulseaudio pulseaudio-utils libasound2-plugins
    # Driving and inspecting the desktop: keys, a second X app to type into, clipboard, screenshots.
    xdotool xterm x11-utils xclip imagemagick
    # Making and measuring test sounds; validating the .desktop and AppStream files.
    sox desktop-file-utils appstream
    # Proving privacy: the tests trace every connect() of the app and the CLI.
    strace
    # Typing into a native Wayland app (tests/unit/test_desktop_wayland_typing.py): a headless
    # Sway as the compositor, wtype as the typer under test, foot as the target app.
    sway wtype foot
    # A private session bus for the GlobalShortcuts portal tests (tests/unit/test_desktop_portal_shortcuts.py).
    dbus-daemon
    # Non-English speech for the language-detection tests: espeak-ng speaks Spanish and French.
    espeak-ng
    # Building the PyInstaller bundle (tests/bundle): objdump, and the shared libpython the
    # bundle's loader needs (Debian's python3 binary does not link it). First match wins:
    # Debian 13 has libpython3.13, Debian 12 libpython3.11.
    binutils "libpython3.13|libpython3.11"
)

# ---------------------------------------------------------------------------------------
# Python: the python3 on PATH if it is 3.11+ and can make a venv (with pip), else Debian's.
# ---------------------------------------------------------------------------------------
python_ok() {
    # ensurepip is what `python -m venv` uses to put pip in the venv; Debian ships it in python3-venv.
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

PYTHON=""
if [[ -x "$VENV/bin/python" ]] && python_ok "$VENV/bin/python"; then
    note "Reusing $VENV ($("$VENV/bin/python" --version 2>&1))"
elif command -v python3 >/dev/null && python_ok "$(command -v python3)"; then
    PYTHON="$(command -v python3)"
    note "Using $PYTHON ($("$PYTHON" --version 2>&1)) for the venv"
else
    PYTHON=/usr/bin/python3
    RUNTIME_PACKAGES+=(python3 python3-venv python3-pip)
    note "No usable python3 >= 3.11 with venv on PATH: installing Debian's python3"
fi

wanted=("${RUNTIME_PACKAGES[@]}")
[[ $DEV == 1 ]] && wanted+=("${DEV_PACKAGES[@]}")

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}
has_candidate() {
    # A real package with a version to install (not a purely virtual name).
    local candidate
    candidate="$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
    [[ -n $candidate && $candidate != "(none)" ]]
}

missing=()
for entry in "${wanted[@]}"; do
    IFS='|' read -r -a names <<<"$entry"
    found=0
    for name in "${names[@]}"; do
        if is_installed "$name"; then found=1; break; fi
    done
    [[ $found == 1 ]] || missing+=("$entry")
done

if ((${#missing[@]} == 0)); then
    say "Debian packages: all ${#wanted[@]} already installed"
else
    say "Debian packages: updating the package lists"
    apt-get update
    to_install=()
    for entry in "${missing[@]}"; do
        IFS='|' read -r -a names <<<"$entry"
        chosen=""
        for name in "${names[@]}"; do
            if has_candidate "$name"; then chosen="$name"; break; fi
        done
        [[ -n $chosen ]] || die "no Debian package found for: ${entry//|/ or }"
        to_install+=("$chosen")
    done
    say "Debian packages: installing ${to_install[*]}"
    apt-get install -y --no-install-recommends "${to_install[@]}"
fi

# ---------------------------------------------------------------------------------------
# The virtual environment and Voxpad itself.
# ---------------------------------------------------------------------------------------
if [[ -n $PYTHON ]]; then
    if [[ -e $VENV ]]; then
        note "$VENV exists but does not work; making it anew"
        rm -rf "$VENV"
    fi
    say "Creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi

say "Upgrading pip in $VENV"
"$VENV/bin/python" -m pip install --upgrade pip

if [[ $DEV == 1 ]]; then
    say "Installing Voxpad (editable) with its test dependencies"
    "$VENV/bin/python" -m pip install --editable "$REPO[test]"
else
    say "Installing Voxpad"
    "$VENV/bin/python" -m pip install "$REPO"
fi

# ---------------------------------------------------------------------------------------
# Checks: the Qt platform plugins find every library they link, and PortAudio loads.
# ---------------------------------------------------------------------------------------
say "Checking that Qt and PortAudio find their system libraries"
QT_DIR="$("$VENV/bin/python" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))')"
unresolved="$(
    for lib in "$QT_DIR"/plugins/platforms/libq{xcb,offscreen,wayland}*.so \
               "$QT_DIR"/lib/libQt6{Core,Gui,Widgets,Network,XcbQpa,WaylandClient,DBus}.so.6; do
        if [[ -e $lib ]]; then
            ldd "$lib" | awk -v lib="${lib##*/}" '/not found/ {print "      " lib ": " $1}'
        fi
    done | sort -u
)"
[[ -z $unresolved ]] || die "these libraries that Qt needs are not installed:
$unresolved
Find the Debian package that provides each (apt-file search NAME) and add it to RUNTIME_PACKAGES."
"$VENV/bin/python" -c 'import sounddevice; print("    PortAudio:", sounddevice.get_portaudio_version()[1])' \
    || die "sounddevice cannot load PortAudio (Debian package libportaudio2)."

# ---------------------------------------------------------------------------------------
# Tests: sounddevice's default ALSA device must go to PulseAudio (the private server the
# tests start). Debian's pulseaudio package makes ALSA's default "pulse" whenever a server is
# running, through /etc/alsa/conf.d/99-pulse.conf; put that link back if it is missing.
# ---------------------------------------------------------------------------------------
if [[ $DEV == 1 ]]; then
    say "Checking that ALSA's default device is PulseAudio"
    pulse_conf=/usr/share/alsa/alsa.conf.d/pulse.conf
    link=/etc/alsa/conf.d/99-pulse.conf
    [[ -e $pulse_conf ]] || die "$pulse_conf is missing: reinstall the pulseaudio package."
    if [[ ! -e $link ]]; then
        mkdir -p /etc/alsa/conf.d
        ln -sfn "$pulse_conf" "$link"
        note "Linked $link -> $pulse_conf"
    fi
    note "$link -> $(readlink -f "$link")"
    for other in /etc/alsa/conf.d/99-pipewire-default.conf /etc/asound.conf "${HOME:-/root}/.asoundrc"; do
        if [[ -e $other ]]; then
            note "warning: $other may set another ALSA default; the audio tests expect PulseAudio."
        fi
    done
fi

say "Done."
note "Start the app:  $VENV/bin/voxpad"
[[ $DEV == 1 ]] && note "Run the tests:  $VENV/bin/python -m pytest"
exit 0
