"""test_objects_bombs.py — decompression bombs mailed as attachments through `ksmg objects --json`:
a 1 GiB single-entry zip and a 10 GiB zip nested three levels deep. Each must be cut by the
limits with little CPU time and bounded memory, and reported limit_exceeded, never as clean.

The bombs are built here (nothing binary is committed): a raw deflate stream of zeros restarted
with Z_FULL_FLUSH every MiB repeats byte for byte, so a GiB of it costs one MiB of compression."""
import base64
import json
import struct
import zlib

import pytest

from ksmg_cli import run_measured

MiB = 1 << 20
CPU_SECONDS_MAX = 1.0  # the acceptance bound, in CPU time of the ksmg process
RSS_MAX = 1 << 30  # peak resident memory of the ksmg process


def zeros_deflated(mib: int) -> tuple[bytes, int]:
    """Raw deflate stream of `mib` MiB of zeros, and its CRC-32."""
    chunk = bytes(MiB)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    middle = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) if mib > 1 else b""
    stream = first + middle * (mib - 2) + (c.compress(chunk) + c.flush() if mib > 1 else c.flush())
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return stream, crc


def zip_of(entries) -> bytes:
    """A zip from (name, method, data, crc, uncompressed_size) entries; method 8 = deflate."""
    local, central = b"", b""
    for name, method, data, crc, size in entries:
        n = name.encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data),
                             size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                               len(data), size, len(n), 0, 0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                      len(local), 0)
    return local + central + end


def stored(name: str, data: bytes):
    return (name, 0, data, zlib.crc32(data), len(data))


def mail_with(name: str, attachment: bytes) -> bytes:
    b64 = base64.encodebytes(attachment)
    return (b"From: a@example.org\nTo: b@example.org\nSubject: bomb\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\n"
            b"see attachment\n--XX\nContent-Type: application/zip; name=" + name.encode() +
            b"\nContent-Transfer-Encoding: base64\n\n" + b64 + b"--XX--\n")


def one_gib_zip() -> bytes:
    stream, crc = zeros_deflated(1024)
    return zip_of([("zeros.bin", 8, stream, crc, 1024 * MiB)])


def nested_ten_gib_zip() -> bytes:
    # 10 outer members x 10 inner zips x 100 MiB of zeros = 10 GiB three levels down.
    stream, crc = zeros_deflated(100)
    inner = zip_of([("zeros.bin", 8, stream, crc, 100 * MiB)])
    middle = zip_of([stored(f"inner{i}.zip", inner) for i in range(10)])
    return zip_of([stored(f"middle{i}.zip", middle) for i in range(10)])


BOMBS = {"one_gib_single_entry": one_gib_zip, "ten_gib_nested_three_levels": nested_ten_gib_zip}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_bomb_is_cut_fast_and_flagged(ksmg, tmp_path, bomb):
    path = tmp_path / f"{bomb}.eml"
    path.write_bytes(mail_with(f"{bomb}.zip", BOMBS[bomb]()))
    p, cpu, rss = run_measured([str(ksmg), "objects", "--json", str(path)])
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    print(f"{bomb}: cpu {cpu:.3f} s, peak rss {rss / MiB:.0f} MiB, "
          f"unpacked {doc['unpacked_bytes'] / MiB:.0f} MiB, limits {doc['limits_exceeded']}")
    assert "limit_exceeded" in doc["flags"]
    zip_object = next(o for o in doc["objects"] if o["name"] == f"{bomb}.zip")
    assert "limit_exceeded" in zip_object["flags"], zip_object
    assert doc["unpacked_bytes"] <= 256 * MiB  # ScanLimits::max_unpacked_bytes
    assert cpu < CPU_SECONDS_MAX
    assert rss < RSS_MAX
    # What was cut is still listed: the zeros member(s) with a hash of what was read.
    assert any(o["name"] == "zeros.bin" and "limit_exceeded" in o["flags"] for o in doc["objects"])
