"""test_cli_scan.py — the `ksmg scan` contract: JSON shape, human output, exit codes (0 nothing
found, 1 the policy acted, 2 an error), mbox and non-mail inputs, output order independent of
--threads, configuration errors, and the content-filter fixtures of tests/data/content."""
import email.message
import io
import zipfile

import pytest

from ksmg_cli import docs, scan

CONTENT = "tests/data/content"
MODULE_KEYS = {"antivirus", "content_filter", "antispam", "antiphishing", "auth"}
TOP_KEYS = ["file", "message", "scanned_as", "action", "reason", "decided_by", "extras"]
TAIL_KEYS = ["headers", "objects", "flags", "limits_exceeded", "defects"]


@pytest.fixture(scope="module")
def config(repo):
    return repo / CONTENT / "content.toml"


@pytest.fixture(scope="module")
def av(repo):
    """The built-in defaults need a ClamAV database; a test machine has none in /var/lib/clamav,
    so runs "on the defaults" use the example test database instead."""
    return ["--av-db", repo / "examples/clamav"]


@pytest.fixture(scope="module")
def messages(repo):
    return repo / CONTENT / "messages"


def clam_exe(repo) -> bytes:
    return (repo / "tests/data/av/clamav-testfiles/clam.exe").read_bytes()


def zip_bytes(members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def mail_with_zip(zip_data: bytes, sender="Mallory <mallory@elsewhere.test>") -> bytes:
    m = email.message.EmailMessage()
    m["From"] = sender
    m["To"] = "bob@example.org"
    m["Subject"] = "files"
    m.set_content("see attached\n")
    m.add_attachment(zip_data, maintype="application", subtype="zip", filename="files.zip")
    return m.as_bytes()


def test_json_shape_and_exit_1_when_the_policy_acts(ksmg, config, messages):
    path = messages / "base64-body.eml"
    p = scan(ksmg, "--json", "--config", config, path, rc=1)
    [doc] = docs(p.stdout)
    keys = list(doc)
    assert keys[:len(TOP_KEYS)] == TOP_KEYS
    assert keys[-len(TAIL_KEYS):] == TAIL_KEYS
    assert set(keys[len(TOP_KEYS):-len(TAIL_KEYS)]) <= MODULE_KEYS
    assert doc["file"] == str(path)
    assert doc["message"] is None
    assert doc["scanned_as"] == "message"
    assert doc["action"] == "reject"
    assert doc["decided_by"] == {"module": "content_filter", "status": "triggered"}
    assert "confidential-outside" in doc["reason"]
    assert doc["extras"] == {"backup": True}
    cf = doc["content_filter"]
    assert cf["status"] == "triggered"
    assert set(cf) == {"status", "findings", "info"}
    for f in cf["findings"]:
        assert set(f) == {"where", "what", "detail"}
    # Fired conditions first, then dictionary entries with the places they were seen in.
    assert cf["findings"][0]["what"] == "confidential-outside"
    entry = next(f for f in cf["findings"] if f["what"] == "dictionary confidential: confidential")
    assert "body" in entry["where"]
    assert doc["headers"] and all(k.startswith("X-KSMG-") for k in doc["headers"])
    assert "X-KSMG-ContentFiltering" in doc["headers"]
    assert isinstance(doc["objects"], int) and doc["objects"] >= 1
    assert doc["flags"] == [] and doc["limits_exceeded"] == []


def test_exit_0_when_nothing_is_found(ksmg, config, messages):
    [doc] = docs(scan(ksmg, "--json", "--config", config, messages / "clean.eml", rc=0).stdout)
    assert doc["action"] == "deliver"
    assert doc["reason"] is None and doc["decided_by"] is None and doc["extras"] == {}
    assert doc["content_filter"]["status"] == "clean"
    # Inside sender: the dictionary sees the word, the from_outside condition does not fire.
    [inside] = docs(scan(ksmg, "--json", "--config", config, messages / "inside-confidential.eml",
                         rc=0).stdout)
    assert inside["decided_by"] is None
    assert inside["content_filter"]["status"] == "clean"


def test_examples_on_the_defaults(ksmg, repo, av):
    p = scan(ksmg, "--json", *av, repo / "examples/messages", rc=1)
    out = {d["file"].rsplit("/", 1)[-1]: d for d in docs(p.stdout)}
    assert len(out) == len(list((repo / "examples/messages").iterdir()))
    # The malformed example attaches a cut-off executable header as invoice.exe.
    bad = out.pop("malformed.eml")
    assert bad["decided_by"] == {"module": "antivirus", "status": "probably_infected"}
    assert bad["antivirus"]["findings"][0]["what"] == "Heuristics.Broken.Executable"
    assert all(d["action"] == "deliver" and d["decided_by"] is None for d in out.values())
    assert p.stderr == b""


def test_every_fixture_on_the_content_config(ksmg, config, messages):
    out = {d["file"].rsplit("/", 1)[1]: d
           for d in docs(scan(ksmg, "--json", "--config", config, messages, rc=1).stdout)}
    triggered = {"base64-body.eml", "qp-soft-break.eml", "subject-b.eml", "subject-q.eml",
                 "html-entities.eml", "koi8r-body.eml", "sjis-body.eml", "header-only.eml",
                 "card-number.eml"}
    for name, d in out.items():
        want = "triggered" if name in triggered else "clean"
        assert d["content_filter"]["status"] == want, (name, d["content_filter"])
    # The card condition carries its own action: delivered with a subject tag.
    card = out["card-number.eml"]
    assert card["action"] == "deliver" and card["extras"] == {"subject_tag": "[CARD]"}
    assert card["decided_by"] == {"module": "content_filter", "status": "triggered"}
    # confidential + "public release": the expression "confidential and not public" holds not.
    assert out["confidential-twice.eml"]["decided_by"] is None
    whats = {f["what"] for f in out["negative.eml"]["content_filter"]["findings"]}
    assert not any(w.startswith("dictionary confidential") for w in whats), whats


def test_human_output(ksmg, config, messages):
    clean, hit = messages / "clean.eml", messages / "base64-body.eml"
    p = scan(ksmg, "--config", config, clean, hit, rc=1)
    lines = p.stdout.decode().splitlines()
    assert lines[0] == f"{clean}: deliver (clean)"
    assert lines[1].startswith(f"{hit}: REJECT content_filter: triggered (confidential-outside)")
    assert "+backup" in lines[1]
    assert lines[2].startswith("  content_filter: confidential-outside")
    assert any(line.startswith("  content_filter: dictionary confidential: confidential in body")
               for line in lines[2:])
    assert p.stderr == b""


def test_human_output_escapes_control_characters(ksmg, messages, tmp_path, av):
    evil = tmp_path / "a\x1b[2Jb.eml"
    evil.write_bytes((messages / "clean.eml").read_bytes())
    out = scan(ksmg, *av, evil, rc=0).stdout
    assert b"\x1b" not in out
    assert b"a\\x1b[2Jb.eml: deliver (clean)" in out


def test_mbox_messages_are_numbered(ksmg, config, messages, tmp_path):
    box = tmp_path / "three.mbox"
    parts = [messages / "clean.eml", messages / "base64-body.eml", messages / "negative.eml"]
    box.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + p.read_bytes().replace(
        b"\r\n", b"\n") + b"\n" for p in parts))
    out = docs(scan(ksmg, "--json", "--config", config, box, rc=1).stdout)
    assert [d["message"] for d in out] == [0, 1, 2]
    assert [d["action"] for d in out] == ["deliver", "reject", "deliver"]
    assert all(d["scanned_as"] == "message" for d in out)
    human = scan(ksmg, "--config", config, box, rc=1).stdout.decode().splitlines()
    assert human[0] == f"{box} #0: deliver (clean)"
    assert human[1].startswith(f"{box} #1: REJECT ")


def test_non_mail_file_is_scanned_as_one_attachment(ksmg, config, repo, tmp_path):
    z = tmp_path / "bundle.zip"
    z.write_bytes(zip_bytes([("clandestine-plan.txt", "nothing to see\n"),
                             ("notes.txt", "These notes are confidential.\n"),
                             ("bin/tool.exe", clam_exe(repo))]))
    [doc] = docs(scan(ksmg, "--json", "--config", config, z, rc=1).stdout)
    assert doc["scanned_as"] == "file" and doc["message"] is None
    assert doc["objects"] >= 4
    cf = doc["content_filter"]
    fired = {f["what"]: f for f in cf["findings"]}
    assert fired["exe-in-archive"]["where"] == "bundle.zip/bin/tool.exe"
    assert "attachment_names" in fired["dictionary confidential: clandestine"]["where"]
    assert "attachment_text" in fired["dictionary confidential: confidential"]["where"]
    assert doc["action"] == "reject"


def test_zip_attached_to_a_message(ksmg, config, repo, tmp_path):
    m = tmp_path / "zipped.eml"
    m.write_bytes(mail_with_zip(zip_bytes([("clandestine-plan.txt", "nothing to see\n"),
                                           ("x/tool.exe", clam_exe(repo))])))
    [doc] = docs(scan(ksmg, "--json", "--config", config, m, rc=1).stdout)
    assert doc["scanned_as"] == "message"
    fired = {f["what"]: f for f in doc["content_filter"]["findings"]}
    assert fired["exe-in-archive"]["where"].endswith("files.zip/x/tool.exe")
    assert "attachment_names" in fired["dictionary confidential: clandestine"]["where"]
    # The executable attached directly (depth 0) is not "in an archive".
    m2 = tmp_path / "bare.eml"
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@elsewhere.test", "b@example.org", "tool"
    msg.set_content("here\n")
    msg.add_attachment(clam_exe(repo), maintype="application", subtype="octet-stream",
                       filename="tool.exe")
    m2.write_bytes(msg.as_bytes())
    [bare] = docs(scan(ksmg, "--json", "--config", config, m2, rc=0).stdout)
    assert bare["content_filter"]["status"] == "clean"


def test_file_option_forces_a_file_scan(ksmg, messages, av):
    [doc] = docs(scan(ksmg, "--json", *av, "--file", messages / "clean.eml", rc=0).stdout)
    assert doc["scanned_as"] == "file"


def test_threads_do_not_change_the_output(ksmg, config, repo, tmp_path):
    box = tmp_path / "many.mbox"
    msgs = sorted((repo / CONTENT / "messages").iterdir())
    box.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + p.read_bytes() + b"\n"
                             for p in msgs * 5))
    inputs = [repo / CONTENT / "messages", box, repo / "tests/data/mime", repo / "examples"]
    for fmt in (["--json"], []):
        outs = [scan(ksmg, *fmt, "--config", config, "--threads", n, *inputs) for n in (1, 2, 7)]
        assert outs[0].returncode in (1, 2)
        for o in outs[1:]:
            assert o.returncode == outs[0].returncode
            assert o.stdout == outs[0].stdout
            assert o.stderr == outs[0].stderr
    numbered = docs(scan(ksmg, "--json", "--config", config, "--threads", "3", box).stdout)
    assert [d["message"] for d in numbered] == list(range(len(msgs) * 5))


def test_unreadable_file_exit_2_and_the_rest_is_scanned(ksmg, config, messages):
    p = scan(ksmg, "--json", "--config", config, "/nonexistent/x.eml", messages / "clean.eml",
             rc=2)
    out = docs(p.stdout)
    assert out[0] == {"file": "/nonexistent/x.eml", "error": "no such file"}
    assert out[1]["action"] == "deliver"
    p = scan(ksmg, "--config", config, "/nonexistent/x.eml", rc=2)
    assert b"/nonexistent/x.eml" in p.stderr and p.stdout == b""


def test_config_error_exit_2_with_the_line(ksmg, messages, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[organization]\ndomains = [\"example.org\"]\n\n[[condition]]\nname = \"x\"\n"
                   "expresion = \"confidential\"\n")
    p = scan(ksmg, "--config", bad, messages / "clean.eml", rc=2)
    assert p.stdout == b""
    err = p.stderr.decode()
    assert f"{bad}:6:" in err and "expresion" in err
    # A dictionary file that is not there.
    bad.write_text("[[dictionary]]\nname = \"d\"\nfile = \"nope.dict\"\n")
    p = scan(ksmg, "--config", bad, messages / "clean.eml", rc=2)
    assert p.stdout == b"" and b"nope.dict" in p.stderr
    p = scan(ksmg, "--config", tmp_path / "missing.toml", messages / "clean.eml", rc=2)
    assert b"missing.toml" in p.stderr


def test_av_db_without_a_database_is_an_error(ksmg, messages, tmp_path):
    # Scanning without the anti-virus module the user asked for must not report "clean".
    p = scan(ksmg, "--av-db", tmp_path, messages / "clean.eml", rc=2)
    assert p.stdout == b""
    assert f"no ClamAV database in {tmp_path}".encode() in p.stderr


def test_bad_arguments_exit_2(ksmg, messages, av):
    assert scan(ksmg).returncode == 2
    assert scan(ksmg, "--nope", messages / "clean.eml").returncode == 2
    assert scan(ksmg, "--threads", "0", messages / "clean.eml").returncode == 2
    assert scan(ksmg, "--threads").returncode == 2
    assert scan(ksmg, *av, "--threads=2", messages / "clean.eml").returncode == 0


def test_progress_goes_to_stderr_and_ends_with_a_newline(ksmg, messages, av):
    p = scan(ksmg, "--progress", "--json", *av, messages, rc=0)
    assert len(docs(p.stdout)) == len(list(messages.iterdir()))
    err = p.stderr.decode()
    assert err.startswith("\r scanned ") and err.endswith("\n")
    assert f"scanned {len(list(messages.iterdir()))} messages" in err.splitlines()[-1]
