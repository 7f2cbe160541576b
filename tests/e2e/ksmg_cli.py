"""ksmg_cli.py — running `ksmg scan` from the end-to-end tests and reading its JSON lines."""
import json
import subprocess


def scan(ksmg, *args, rc=None, timeout=120):
    p = subprocess.run([str(ksmg), "scan", *map(str, args)], capture_output=True, timeout=timeout)
    if rc is not None:
        assert p.returncode == rc, (p.returncode, p.stderr.decode(errors="replace"),
                                    p.stdout.decode(errors="replace")[:2000])
    return p


def docs(stdout: bytes):
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
