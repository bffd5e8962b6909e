#!/usr/bin/env python3
"""Mark one symbol-version requirement of an ELF shared object as weak, in place.

Why: TorchSharp 0.107.0's libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++), which
Debian 12's libstdc++ (GCC 12) lacks, so the dynamic loader refuses to load it. The only symbol bound
to that version is std::ios_base_library_init, which the library never calls. When a version
requirement carries VER_FLG_WEAK, glibc's loader skips a missing version instead of failing, and the
library loads and runs. This edits only the flags of the matching Vernaux entry in .gnu.version_r of
the COPY in the build output (never the NuGet cache, never a committed file).

usage: weaken_verneed.py FILE.so [VERSION]   (VERSION defaults to GLIBCXX_3.4.32)
Idempotent; exits 0 when the file has no such requirement.
"""
import os
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def weaken(path: str, version: str) -> int:
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"{path}: not a little-endian 64-bit ELF file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)

    def section(i):
        # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize
        return struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)

    changed = 0
    for i in range(e_shnum):
        _, sh_type, _, _, sh_offset, _, sh_link, sh_info, _, _ = section(i)
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab_offset = section(sh_link)[4]  # the string table the names point into (.dynstr)

        def name_at(off):
            start = strtab_offset + off
            return data[start:data.index(0, start)].decode()

        vn = sh_offset
        for _ in range(sh_info):  # sh_info = number of Verneed entries
            _, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
            aux = vn + vn_aux
            for _ in range(vn_cnt):
                _, vna_flags, _, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                if name_at(vna_name) == version:
                    if vna_flags & VER_FLG_WEAK:
                        print(f"{path}: {version} (from {name_at(vn_file)}) already weak")
                    else:
                        struct.pack_into("<H", data, aux + 4, vna_flags | VER_FLG_WEAK)
                        changed += 1
                        print(f"{path}: marked {version} (from {name_at(vn_file)}) weak")
                aux += vna_next
            vn += vn_next
    if changed:
        # A new file renamed over the old one: never write through a hard link into a package cache.
        tmp = path + ".weaken.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.chmod(tmp, os.stat(path).st_mode)
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    sys.exit(weaken(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "GLIBCXX_3.4.32"))
