"""test_cli_parse.py — the `ksmg parse` contract: JSON fields, exit codes, mbox, human output."""
import base64
import hashlib
import json
import subprocess


def run(ksmg, *args, check_rc=0):
    p = subprocess.run([str(ksmg), "parse", *map(str, args)], capture_output=True, timeout=60)
    assert p.returncode == check_rc, p.stderr.decode(errors="replace")
    return p


def docs(stdout: bytes):
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def test_json_contract_on_a_multipart_message(ksmg, repo):
    path = repo / "examples/messages/multipart-with-attachment.eml"
    [doc] = docs(run(ksmg, "--json", "--decode", path).stdout)
    assert doc["file"] == str(path)
    assert doc["defects"] == [] and doc["limits_exceeded"] == []
    assert {"name": "Subject", "value": "Quarterly report"} in doc["headers"]
    parts = doc["parts"]
    assert [p["path"] for p in parts] == ["0", "1", "1.1", "1.2", "2"]
    assert [p["content_type"] for p in parts] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    for p in parts:
        for key in ("path", "content_type", "charset", "filename", "transfer_encoding", "size",
                    "decoded_size", "sha256", "defects"):
            assert key in p, key
    plain, html, pdf = parts[2], parts[3], parts[4]
    assert plain["charset"] == "utf-8"
    assert plain["transfer_encoding"] == "quoted-printable"
    assert plain["text"] == "Hi Bob, the report is attached. Résumé below."
    assert "<b>attached</b>" in html["text"]
    assert pdf["filename"] == "Q3 résumé.pdf"
    assert "text" not in pdf
    # sha256 and decoded_size are those of the decoded body.
    raw = path.read_bytes()
    b64 = raw.split(b"Content-Transfer-Encoding: base64\r\n\r\n")[1].split(b"\r\n--=_outer--")[0]
    decoded = base64.b64decode(b64)
    assert pdf["decoded_size"] == len(decoded)
    assert pdf["sha256"] == hashlib.sha256(decoded).hexdigest()
    assert pdf["size"] == len(b64)


def test_charset_and_encoded_words_become_utf8(ksmg, repo):
    [doc] = docs(run(ksmg, "--json", "--decode", repo / "examples/messages/koi8r-plain.eml").stdout)
    headers = {h["name"]: h["value"] for h in doc["headers"]}
    assert headers["Subject"] == "Привет"
    assert headers["From"] == "Привет <news@example.ru>"
    assert doc["parts"][0]["text"] == "Привет, мир!\n"


def test_malformed_message_reports_defects(ksmg, repo):
    [doc] = docs(run(ksmg, "--json", repo / "examples/messages/malformed.eml").stdout)
    assert "close_boundary_not_found" in doc["defects"]
    assert "invalid_base64" in doc["defects"]
    text, exe = doc["parts"][1], doc["parts"][2]
    assert text["size"] == len("A boundary in the middle of a line does not split: look --XX here.")
    assert exe["filename"] == "invoice.exe"
    assert "invalid_base64" in exe["defects"]


def test_several_files_one_document_per_line_and_unreadable_exit_2(ksmg, repo, tmp_path):
    a = repo / "examples/messages/koi8r-plain.eml"
    missing = tmp_path / "missing.eml"
    p = run(ksmg, "--json", a, missing, a, check_rc=2)
    assert len(docs(p.stdout)) == 2
    assert b"missing.eml" in p.stderr


def test_mbox_gives_one_document_per_message(ksmg, tmp_path):
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\n"
                    b"From b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n")
    out = docs(run(ksmg, "--json", box).stdout)
    assert [d["message"] for d in out] == [0, 1]
    assert [d["headers"][0]["value"] for d in out] == ["one", "two"]
    assert out[0]["mbox_from"] == "From a@x Mon Jan  1 00:00:00 2024"


def test_directories_are_walked(ksmg, repo):
    out = docs(run(ksmg, "--json", repo / "examples/messages").stdout)
    assert len(out) == 3


def test_human_output(ksmg, repo):
    out = run(ksmg, repo / "examples/messages/multipart-with-attachment.eml").stdout.decode()
    assert "Subject: Quarterly report" in out
    assert "1.2  text/html" in out
    assert "Q3 résumé.pdf" in out


def test_usage_errors_exit_2(ksmg):
    assert subprocess.run([str(ksmg), "parse"], capture_output=True).returncode == 2
    assert subprocess.run([str(ksmg), "parse", "--bogus", "x"], capture_output=True).returncode == 2
    assert subprocess.run([str(ksmg), "nonsense"], capture_output=True).returncode == 2
