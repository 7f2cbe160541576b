"""test_cli_hostile.py — hostile messages through `ksmg parse --json --decode`: each one is parsed
with exit 0, within a bound on its CPU time, under a hard address-space cap, and its limit is
reported."""
import json
import resource

import pytest

from ksmg_cli import run_measured

ADDRESS_SPACE_CAP = 1 << 30  # the process is killed if it tries to use more


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def nested_multiparts(n=100_000):
    return b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
                    for i in range(n)) + b"\nend\n"


HOSTILE = {
    "nested_multiparts": (nested_multiparts, "mime_depth"),
    "header_line_8mb": (lambda: b"Subject: " + b"a" * (8 << 20) + b"\n\nbody", "header_line_length"),
    "million_fields": (lambda: b"X-H: v\n" * 1_000_000 + b"\nbody", "header_fields"),
    "sibling_parts": (lambda: b"Content-Type: multipart/mixed; boundary=B\n\n"
                      + b"--B\n\nx\n" * 100_000 + b"--B--\n", "part_count"),
    "params_80k": (lambda: b"Content-Type: text/plain" + b"".join(
        b"; p%d=v" % i for i in range(80_000)) + b"\n\nbody", None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_message_is_bounded(ksmg, tmp_path, name):
    make, limit = HOSTILE[name]
    path = tmp_path / f"{name}.eml"
    path.write_bytes(make())
    p, cpu, _ = run_measured([str(ksmg), "parse", "--json", "--decode", str(path)], timeout=30,
                             preexec_fn=cap_memory)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    doc = json.loads(p.stdout)
    if limit:
        assert limit in doc["limits_exceeded"]
    else:  # the 80k parameters sit in one header line: that line's limit cuts them first
        assert "header_line_length" in doc["limits_exceeded"]
    # Includes process start, reading the file and writing JSON; the library alone is held
    # to under a second of CPU by the GoogleTest suite.
    assert cpu < 3.0, f"{name}: {cpu:.2f} s of CPU"
