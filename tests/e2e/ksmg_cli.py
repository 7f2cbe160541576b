"""ksmg_cli.py — running the ksmg tools from the end-to-end tests: `ksmg scan` and its JSON
lines, and any command with what it cost (CPU time, which a busy machine does not inflate as it
does wall time, so that a bound on it holds whatever else runs)."""
import json
import resource
import subprocess


def scan(ksmg, *args, rc=None, timeout=120):
    p = subprocess.run([str(ksmg), "scan", *map(str, args)], capture_output=True, timeout=timeout)
    if rc is not None:
        assert p.returncode == rc, (p.returncode, p.stderr.decode(errors="replace"),
                                    p.stdout.decode(errors="replace")[:2000])
    return p


def docs(stdout: bytes):
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def run_measured(cmd, timeout=60, **kwargs):
    """Runs cmd (subprocess.run, output captured, kwargs passed on); returns (completed process,
    CPU seconds of that child alone, peak RSS bytes of the largest child reaped so far: this one
    unless an earlier child of the test run was bigger)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p, cpu, after.ru_maxrss * 1024
