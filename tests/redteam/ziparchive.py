"""ziparchive.py — owns writing the zip archives of the red team's payloads byte by byte: stdlib
zipfile cannot write what an attacker writes (a member only in the local headers, a central
directory that names another file, an end record far from the end, ZipCrypto without a library).

write_zip(local, central, ...) lays out local entries then a central directory that lists
`central` (names of local entries; None: all of them), so the two views can disagree on purpose.
ZipCrypto is the traditional PKWARE stream cipher (APPNOTE 6.1), which stdlib zipfile reads with
a password, so a client that knows the password really extracts the member.
"""
import struct
import zlib
from dataclasses import dataclass

_MASK = 0xFFFFFFFF


@dataclass
class Entry:
    name: str
    data: bytes
    deflate: bool = True
    password: bytes | None = None


def _crc_byte(crc: int, byte: int) -> int:
    # PKWARE's key update is the bare CRC-32 step; zlib.crc32 pre- and post-inverts.
    return zlib.crc32(bytes([byte]), crc ^ _MASK) ^ _MASK


class _ZipCrypto:
    def __init__(self, password: bytes):
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for b in password:
            self._update(b)

    def _update(self, plain: int) -> None:
        self.k0 = _crc_byte(self.k0, plain)
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & _MASK
        self.k2 = _crc_byte(self.k2, self.k1 >> 24)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            t = (self.k2 | 2) & 0xFFFF
            out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(b)
        return bytes(out)


def _stored(entry: Entry, rng_bytes: bytes) -> tuple[bytes, int, int, int]:
    """(compressed bytes, method, flags, crc) of one member."""
    crc = zlib.crc32(entry.data) & _MASK
    if entry.deflate:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        body, method = c.compress(entry.data) + c.flush(), 8
    else:
        body, method = entry.data, 0
    flags = 0
    if entry.password is not None:
        # The 12-byte encryption header ends with the CRC's high byte: the password check.
        header = rng_bytes[:11] + bytes([crc >> 24])
        body, flags = _ZipCrypto(entry.password).encrypt(header + body), 1
    return body, method, flags, crc


def write_zip(entries: list[Entry], central: list[str] | None = None, *, prefix: bytes = b"",
              between: bytes = b"", suffix: bytes = b"", rng_bytes: bytes = bytes(11)) -> bytes:
    """The archive: `prefix`, each local entry followed by `between`, the central directory of
    the entries named in `central` (default all), the end record, then `suffix`."""
    out = bytearray(prefix)
    records = {}
    for e in entries:
        body, method, flags, crc = _stored(e, rng_bytes)
        name = e.name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc,
                           len(body), len(e.data), len(name), 0) + name + body + between
        records[e.name] = (flags, method, crc, len(body), len(e.data), name, offset)
    cd_start = len(out)
    listed = [e.name for e in entries] if central is None else central
    for n in listed:
        flags, method, crc, csize, usize, name, offset = records[n]
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                           csize, usize, len(name), 0, 0, 0, 0, 0, offset) + name
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(listed), len(listed),
                       len(out) - cd_start, cd_start, 0)
    return bytes(out + suffix)
