"""test_cli_av.py — `ksmg scan --av-db`: every ClamAV test file infected with ClamAV's unit-test
signatures (JSON status, finding names, X-KSMG-AntiVirus header with the database's
description, exit code 1), clean mail delivered, the RAR mail found through its member, a
missing database directory refused (exit 2, message on stderr), and --verbose accepted."""
import email.message

import pytest

from ksmg_cli import docs, scan

CLAM = "tests/data/av/clamav-testfiles"
SIGS = "tests/data/av/clamav-unit/sigs"


@pytest.fixture(scope="module")
def sigs(repo):
    return repo / SIGS


def test_every_clamav_test_file_is_infected(ksmg, repo, sigs):
    p = scan(ksmg, "--json", "--av-db", sigs, repo / CLAM, rc=1)
    out = docs(p.stdout)
    names = sorted(d["file"].rsplit("/", 1)[-1] for d in out)
    assert len([n for n in names if n.startswith("clam")]) >= 40, names
    for d in out:
        name = d["file"].rsplit("/", 1)[-1]
        if not name.startswith("clam"):
            continue  # SOURCE.md
        av = d["antivirus"]
        assert av["status"] == "infected", (name, av)
        assert any(f["what"].startswith("ClamAV-Test-File") and f["detail"] == "infected"
                   for f in av["findings"]), (name, av)
        assert d["decided_by"] == {"module": "antivirus", "status": "infected"}, name
        assert d["action"] == "reject", name
        assert av["info"].startswith("ClamAV "), av["info"]
        assert d["headers"]["X-KSMG-AntiVirus"] == av["info"], name
        assert "ClamAV" in d["headers"]["X-KSMG-AntiVirus"]
        assert d["headers"]["X-KSMG-AntiVirus-Status"].startswith("Infected"), name


def test_clean_mail_is_delivered_with_the_av_header(ksmg, tmp_path, sigs):
    m = email.message.EmailMessage()
    m["From"] = "alice@example.org"
    m["To"] = "bob@example.org"
    m["Subject"] = "hello"
    m.set_content("nothing to see\n")
    path = tmp_path / "clean.eml"
    path.write_bytes(m.as_bytes())
    [d] = docs(scan(ksmg, "--json", "--av-db", sigs, path, rc=0).stdout)
    assert d["antivirus"]["status"] == "clean"
    assert d["antivirus"]["findings"] == []
    assert "ClamAV" in d["headers"]["X-KSMG-AntiVirus"]
    assert d["action"] == "deliver"


def test_rar_mail_is_found_through_its_member(ksmg, repo, sigs):
    path = repo / "tests/data/av-rar/clam-rar.eml"
    [d] = docs(scan(ksmg, "--json", "--av-db", sigs, path, rc=1).stdout)
    av = d["antivirus"]
    assert av["status"] == "infected", av
    assert any(f["where"].endswith("invoice.rar/clam.exe") for f in av["findings"]), av


def test_example_database(ksmg, repo):
    # examples/clamav: the two hash signatures scripts/run.sh uses.
    [d] = docs(scan(ksmg, "--json", "--av-db", repo / "examples/clamav",
                    repo / "tests/data/av/eicar/eicarcom2.zip", rc=1).stdout)
    assert d["antivirus"]["status"] == "infected"
    assert d["antivirus"]["findings"][0]["what"].startswith("Test.EICAR.Local")
    assert d["antivirus"]["findings"][0]["where"] == "eicarcom2.zip/eicar_com.zip/eicar.com"


def test_missing_database_directory_is_an_error(ksmg, repo, tmp_path):
    target = repo / CLAM / "clam.exe"
    p = scan(ksmg, "--json", "--av-db", tmp_path / "nowhere", target, rc=2)
    assert p.stdout == b""
    err = p.stderr.decode()
    assert "antivirus.database_dir" in err and "nowhere" in err, err
    # An empty directory holds no database either.
    p = scan(ksmg, "--av-db", tmp_path, target, rc=2)
    assert "no ClamAV database" in p.stderr.decode()
    # A broken signature file: refused, never a silent "clean".
    (tmp_path / "broken.hdb").write_text("not a signature\n")
    p = scan(ksmg, "--json", "--av-db", tmp_path, target, rc=2)
    assert p.stdout == b""
    assert b"broken" in p.stderr or b"Malformed" in p.stderr, p.stderr
    # --av-db with no value.
    assert scan(ksmg, "--av-db").returncode == 2


def test_verbose_is_accepted(ksmg, repo, sigs):
    target = repo / CLAM / "clam.exe"
    for flag in ("--verbose", "-v"):
        p = scan(ksmg, flag, "--json", "--av-db", sigs, target, rc=1)
        [d] = docs(p.stdout)
        assert d["antivirus"]["status"] == "infected"
    # Without --verbose the library's notes stay quiet.
    p = scan(ksmg, "--json", "--av-db", sigs, target, rc=1)
    assert b"loaded" not in p.stderr
    # With it, the database load is told on stderr.
    p = scan(ksmg, "--verbose", "--json", "--av-db", sigs, target, rc=1)
    assert b"ClamAV" in p.stderr, p.stderr


def test_mail_is_told_from_a_file_by_its_header_block(ksmg, repo, tmp_path):
    # A PDF header in a field and NUL bytes in a part before the payload: still a message,
    # read through its parts, so the EICAR attachment is found (issue 17, principle 5).
    eicar = (repo / "tests/data/av/eicar/eicar.com").read_bytes()
    m = email.message.EmailMessage()
    m["Subject"] = "%PDF-1.7 invoice"
    m.set_content("see attached\n")
    m.add_attachment(b"\0\0\x01binary\0", maintype="application", subtype="octet-stream",
                     cte="base64")
    m.add_attachment(eicar, maintype="application", subtype="octet-stream", filename="a.com")
    path = tmp_path / "marker.eml"
    path.write_bytes(m.as_bytes())
    [d] = docs(scan(ksmg, "--json", "--av-db", repo / "examples/clamav", path, rc=1).stdout)
    assert d["antivirus"]["status"] == "infected", d["antivirus"]
    assert d["antivirus"]["findings"][0]["where"].endswith("a.com"), d["antivirus"]
