#!/usr/bin/python3
"""Make the RAR fixtures in this directory: clam.rar and clam-rar.eml.

clam.rar      ClamAV's harmless test program clam.exe (544 bytes, read from
              ../av/clamav-testfiles/clam.exe) stored in a RAR 1.5-4.x
              archive: method 0x30 ("store", no compression), no
              encryption, not solid, fixed timestamp.
clam-rar.eml  An RFC 5322 multipart/mixed message with a short text/plain
              part and clam.rar attached as invoice.rar
              (application/x-rar-compressed, base64, 76-char lines).

Why: tests need to check that a scanner finds the program inside a RAR
attachment. No RAR writer exists on the build machines (rar is non-free,
libarchive cannot write RAR), so this script writes the archive itself,
following the published RAR 3.x/4.x format description (technote.txt).
Debian's libclamav has no RAR support, so clamscan does not find the
program in these files; see SOURCE.md.

Stdlib only. The output is byte-identical on every run. Run:
    /usr/bin/python3 make_fixtures.py
"""

import base64
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "av", "clamav-testfiles", "clam.exe")

# Fixed modification time stored in the archive: 2024-01-02 03:04:06.
MTIME = (2024, 1, 2, 3, 4, 6)


def dos_datetime(year, month, day, hour, minute, second):
    """MS-DOS date/time as one 32-bit value: date in the high word."""
    date = ((year - 1980) << 9) | (month << 5) | day
    time = (hour << 11) | (minute << 5) | (second // 2)
    return (date << 16) | time


def block(head_type, flags, body):
    """A RAR 4 block header: HEAD_CRC, HEAD_TYPE, HEAD_FLAGS, HEAD_SIZE, body.

    HEAD_CRC is the low 16 bits of CRC32 over the header from HEAD_TYPE on.
    """
    head_size = 7 + len(body)
    rest = struct.pack("<BHH", head_type, flags, head_size) + body
    crc = zlib.crc32(rest) & 0xFFFF
    return struct.pack("<H", crc) + rest


def make_rar(name, data, mtime):
    out = bytearray()
    # Marker block (HEAD_TYPE 0x72), fixed bytes.
    out += b"Rar!\x1a\x07\x00"
    # Archive header (HEAD_TYPE 0x73): flags 0 (not a volume, not solid,
    # not locked, no encryption), RESERVED1 (2 bytes), RESERVED2 (4 bytes).
    out += block(0x73, 0x0000, struct.pack("<HI", 0, 0))
    # File header (HEAD_TYPE 0x74). HEAD_FLAGS 0x8000: ADD_SIZE present,
    # which for a file header is PACK_SIZE (the data that follows).
    # Dictionary bits (0x00E0) 0 = 64 KB, no split, no password, no salt.
    fname = name.encode("ascii")
    host_os = 3                      # Unix
    attr = 0o100644                  # regular file, rw-r--r--
    unp_ver = 20                     # version needed to extract: 2.0
    method = 0x30                    # store
    body = struct.pack(
        "<IIBIIBBHI",
        len(data),                   # PACK_SIZE
        len(data),                   # UNP_SIZE
        host_os,                     # HOST_OS
        zlib.crc32(data) & 0xFFFFFFFF,  # FILE_CRC
        dos_datetime(*mtime),        # FTIME
        unp_ver,                     # UNP_VER
        method,                      # METHOD
        len(fname),                  # NAME_SIZE
        attr,                        # ATTR
    ) + fname
    out += block(0x74, 0x8000, body)
    out += data
    # End of archive block (HEAD_TYPE 0x7B), flag 0x4000 as RAR writes it.
    out += block(0x7B, 0x4000, b"")
    return bytes(out)


def make_eml(rar, attach_name):
    boundary = "=_ksmg_fixture_boundary_7f3a"
    b64 = base64.b64encode(rar).decode("ascii")
    b64_lines = [b64[i:i + 76] for i in range(0, len(b64), 76)]
    lines = [
        "From: Accounts <accounts@example.com>",
        "To: Recipient <recipient@example.org>",
        "Subject: Invoice attached (RAR)",
        "Date: Tue, 02 Jan 2024 03:04:06 +0000",
        "Message-ID: <clam-rar-fixture@example.com>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="%s"' % boundary,
        "",
        "This is a multi-part message in MIME format.",
        "",
        "--" + boundary,
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "",
        "Please find the invoice attached.",
        "",
        "--" + boundary,
        'Content-Type: application/x-rar-compressed; name="%s"' % attach_name,
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="%s"' % attach_name,
        "",
    ] + b64_lines + [
        "",
        "--" + boundary + "--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def main():
    with open(SOURCE, "rb") as f:
        exe = f.read()
    rar = make_rar("clam.exe", exe, MTIME)
    with open(os.path.join(HERE, "clam.rar"), "wb") as f:
        f.write(rar)
    with open(os.path.join(HERE, "clam-rar.eml"), "wb") as f:
        f.write(make_eml(rar, "invoice.rar"))


if __name__ == "__main__":
    main()
