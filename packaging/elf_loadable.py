"""Exit 0 if every PT_LOAD segment of a 64-bit ELF file is mappable (offset and address agree
modulo the alignment), the check the dynamic loader makes; build.sh runs it after strip."""

import struct
import sys

PT_LOAD = 1


def loadable(path: str) -> bool:
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2:  # ELFCLASS64 only (x86_64)
            return False
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, _filesz, _memsz, align = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize)
        if p_type == PT_LOAD and align > 1 and offset % align != vaddr % align:
            return False
    return True


if __name__ == "__main__":
    sys.exit(0 if all(loadable(path) for path in sys.argv[1:]) else 1)
