"""test_examples.py — owns running the Python examples (examples/python/scan_mailbox.py and
scan_directory.py) as a user would, in a subprocess with the built package on PYTHONPATH, on
small inputs made in a temporary directory from real samples of tests/data: an mbox, a maildir
and a directory; checks their tables, summaries and exit statuses."""
import mailbox
import os
import re
import subprocess
import sys

import pytest

SAMPLES = {  # file -> (Subject, action)
    "content/messages/clean.eml": ("lunch", "deliver"),
    "av-rar/clam-rar.eml": ("Invoice attached (RAR)", "reject"),
    "mime/python-email/msg_01.txt": ("This is a test message", "deliver"),
    "spam/sa_gtube.eml": ("GTUBE", "deliver"),
}


@pytest.fixture(scope="module")
def run(repo, build_dir):
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"))

    def run_example(script, *args, rc):
        p = subprocess.run([sys.executable, str(repo / "examples/python" / script),
                            *map(str, args)], capture_output=True, text=True, env=env,
                           timeout=300, cwd=repo)
        assert p.returncode == rc, (p.returncode, p.stdout, p.stderr)
        return p
    return run_example


def rows(stdout: str) -> dict[str, str]:
    """Subject -> the table line that shows it."""
    out = {}
    for line in stdout.splitlines()[1:]:
        for subject, _ in SAMPLES.values():
            if subject in line:
                out[subject] = line
    return out


def check_table(stdout, labels):
    lines = stdout.splitlines()
    assert re.match(r"message\s+From\s+Subject\s+action\s+reason$", lines[0]), lines[0]
    got = rows(stdout)
    assert set(got) == {s for s, _ in SAMPLES.values()}, stdout
    for subject, action in SAMPLES.values():
        cols = got[subject].split()
        assert action in cols, got[subject]
    rar = got["Invoice attached (RAR)"]
    assert "accounts@example.com" in rar
    assert "antivirus: infected (ClamAV-Test-File" in rar
    assert "invoice.rar/clam.exe" in rar
    assert "bbb@ddd.com" in got["This is a test message"]
    assert lines[-1] == f"{len(SAMPLES)} messages, 1 acted on"
    for label in labels:
        assert any(line.startswith(label + " ") for line in lines[1:-1]), (label, stdout)


def test_scan_mailbox_on_an_mbox(run, data, av_db, tmp_path):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path)
    for name in SAMPLES:
        box.add((data / name).read_bytes())
    box.close()
    p = run("scan_mailbox.py", "--av-db", av_db, "--threads", 2, path, rc=1)
    check_table(p.stdout, ["0", "1", "2", "3"])
    # Rows are in mbox order.
    order = [line for line in p.stdout.splitlines()[1:-1]]
    assert [s for s, _ in SAMPLES.values()] == [next(s for s, _ in SAMPLES.values() if s in line)
                                                 for line in order]


def test_scan_mailbox_on_a_maildir(run, data, av_db, tmp_path):
    md = mailbox.Maildir(tmp_path / "Maildir", create=True)
    keys = [md.add((data / name).read_bytes()) for name in SAMPLES]
    md.close()
    p = run("scan_mailbox.py", "--av-db", av_db, "--threads", 1, tmp_path / "Maildir", rc=1)
    check_table(p.stdout, keys)


def test_scan_mailbox_clean_mailbox_and_config(run, data, tmp_path):
    path = tmp_path / "clean.mbox"
    box = mailbox.mbox(path)
    box.add((data / "content/messages/clean.eml").read_bytes())
    box.close()
    cfg = tmp_path / "noav.toml"
    cfg.write_text("[modules]\nantivirus = false\n")
    p = run("scan_mailbox.py", "--config", cfg, path, rc=0)
    assert "lunch" in p.stdout and p.stdout.splitlines()[-1] == "1 messages, 0 acted on"


def test_scan_mailbox_errors(run, tmp_path, av_db):
    p = run("scan_mailbox.py", "--av-db", tmp_path / "nowhere", tmp_path, rc=2)
    assert "antivirus.database_dir" in p.stderr
    p = run("scan_mailbox.py", "--av-db", av_db, tmp_path / "missing.mbox", rc=2)
    assert "missing.mbox" in p.stderr
    p = run("scan_mailbox.py", "--help", rc=0)
    assert "--threads" in p.stdout and "--av-db" in p.stdout and "--config" in p.stdout


def test_scan_directory(run, data, av_db, tmp_path):
    d = tmp_path / "spool"
    (d / "sub").mkdir(parents=True)
    for i, name in enumerate(SAMPLES):
        (d / ("sub" if i % 2 else "") / f"{i}.eml").write_bytes((data / name).read_bytes())
    (d / "sub" / "winmail.eml").write_bytes((data / "tnef/ukr.eml").read_bytes())
    p = run("scan_directory.py", "--av-db", av_db, "--threads", 2, "--verbose", d, rc=1)
    out = p.stdout.splitlines()
    m = re.search(r"scanned 5 messages \(([\d.]+) MB\) in ([\d.]+) s with 2 threads: "
                  r"([\d.]+) msgs/s", p.stdout)
    assert m, p.stdout
    assert float(m.group(3)) > 0
    counts = {line.split()[0]: int(line.split()[1]) for line in out if line.startswith("  ")}
    assert counts == {"deliver": 4, "tempfail": 0, "discard": 0, "reject": 1}, p.stdout
    assert any(line.startswith(str(d / "sub" / "1.eml") + ": reject") for line in out), p.stdout


def test_scan_directory_examples_messages(run, repo, av_db):
    p = run("scan_directory.py", "--av-db", av_db, "--threads", 1, repo / "examples/messages",
            rc=1)  # malformed.eml: probably infected (a broken executable)
    assert "scanned 3 messages" in p.stdout
    assert "  reject    1" in p.stdout and "  deliver   2" in p.stdout


def test_scan_directory_errors(run, tmp_path, av_db):
    p = run("scan_directory.py", "--av-db", av_db, tmp_path / "missing", rc=2)
    assert "missing" in p.stderr
    p = run("scan_directory.py", "--av-db", av_db, "--threads", 0, tmp_path, rc=2)
    assert "--threads" in p.stderr
    p = run("scan_directory.py", "--help", rc=0)
    assert "--threads" in p.stdout and "--av-db" in p.stdout and "--config" in p.stdout
