"""test_parse.py — owns ksmg.parse from Python: the Message (raw, headers decoded from RFC 2047
and their raw folded form, header(), addresses(), parts in document order, defects), the tree of
Parts (paths, kinds, depth, content types, charsets, filenames from RFC 2231, transfer
encodings, children) and what a part gives: decoded body bytes, text as str, visible_text of HTML;
malformed messages give defects, never an exception."""
import base64
import hashlib
import json

import pytest

import ksmg


@pytest.fixture(scope="module")
def multipart(repo):
    return (repo / "examples/messages/multipart-with-attachment.eml").read_bytes()


def test_message_headers(multipart):
    m = ksmg.parse(multipart)
    assert isinstance(m, ksmg.Message)
    assert m.raw == multipart and isinstance(m.raw, bytes)
    names = [h.name for h in m.headers]
    assert names[:7] == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
                         "Content-Type"]
    assert all(isinstance(h, ksmg.Header) for h in m.headers)
    subject = m.headers[2]
    assert subject.value == "Quarterly report" and isinstance(subject.raw, bytes)
    assert subject.raw.strip() == b"Quarterly report"
    assert m.header("Subject") == "Quarterly report"
    assert m.header("subject") == "Quarterly report"  # field names are case-insensitive
    assert m.header("X-Not-There") is None
    assert m.addresses("From") == [("Alice Example", "alice@example.org")]
    assert m.addresses("To") == [("", "bob@example.com")]
    assert m.addresses("Cc") == []
    assert m.defects == [] and m.limits_exceeded == []


def test_parts_tree(multipart):
    m = ksmg.parse(multipart)
    assert [p.path for p in m.parts] == ["0", "1", "1.1", "1.2", "2"]
    assert [p.index for p in m.parts] == [0, 1, 2, 3, 4]
    assert [p.kind for p in m.parts] == ["multipart", "multipart", "leaf", "leaf", "leaf"]
    assert [p.depth for p in m.parts] == [0, 1, 2, 2, 1]
    assert [p.content_type for p in m.parts] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    root = m.root
    assert isinstance(root, ksmg.Part) and root.path == "0"
    assert [c.path for c in root.children] == ["1", "2"]
    assert [c.path for c in root.children[0].children] == ["1.1", "1.2"]
    assert root.children[1].children == []
    plain, pdf = m.parts[2], m.parts[4]
    assert plain.charset == "utf-8" and plain.transfer_encoding == "quoted-printable"
    assert plain.disposition is None and plain.filename is None
    assert pdf.disposition == "attachment"
    assert pdf.filename == "Q3 résumé.pdf"  # RFC 2231 filename*, decoded
    assert pdf.transfer_encoding == "base64"
    assert [h.name for h in pdf.headers] == ["Content-Type", "Content-Disposition",
                                             "Content-Transfer-Encoding"]
    assert m.parts[0].transfer_encoding == "none"  # no Content-Transfer-Encoding field
    assert all(p.defects == [] for p in m.parts)


def test_body_text_and_visible_text(multipart):
    m = ksmg.parse(multipart)
    plain, html, pdf = m.parts[2], m.parts[3], m.parts[4]
    assert plain.body == "Hi Bob, the report is attached. Résumé below.".encode()
    assert plain.text == "Hi Bob, the report is attached. Résumé below."
    assert plain.visible_text == plain.text
    assert isinstance(html.text, str) and "<b>attached</b>" in html.text
    assert "Hi Bob, the report is attached. Résumé below." in html.visible_text
    assert "<" not in html.visible_text
    b64 = multipart.split(b"Content-Transfer-Encoding: base64\r\n\r\n")[1]
    b64 = b64.split(b"\r\n--=_outer--")[0]
    assert pdf.body == base64.b64decode(b64)
    assert pdf.body.startswith(b"%PDF-1.4")
    assert pdf.text is None and pdf.visible_text is None


def test_html_entities_are_rendered(data):
    raw = (data / "content/messages/html-entities.eml").read_bytes()
    [part] = ksmg.parse(raw).parts
    assert part.content_type == "text/html" and part.charset == "us-ascii"
    assert "&eacute;" in part.text
    visible = part.visible_text
    assert "This is confidential: déclassifié secret material." in visible, visible
    assert "<" not in visible and "&" not in visible


def test_charset_and_encoded_words_become_str(repo):
    m = ksmg.parse((repo / "examples/messages/koi8r-plain.eml").read_bytes())
    assert m.header("Subject") == "Привет"
    assert m.header("From") == "Привет <news@example.ru>"
    assert m.addresses("From") == [("Привет", "news@example.ru")]
    assert m.headers[2].raw.strip() == b"=?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?="
    part = m.root
    assert part.kind == "leaf" and part.charset == "koi8-r"
    assert part.body == "Привет, мир!\n".encode("koi8-r")
    assert part.text == "Привет, мир!\n"


def test_folded_header_keeps_its_raw_form():
    raw = (b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n =?UTF-8?Q?_aus_K=C3=B6ln?=\r\n\tand more\r\n"
           b"To: a@example.org,\r\n  b@example.org\r\n\r\nbody\r\n")
    m = ksmg.parse(raw)
    # Unfolding removes the line breaks only (RFC 5322 2.2.3); the white space between two
    # encoded words goes (RFC 2047 6.2), the tab before plain text stays.
    assert m.header("Subject") == "Grüße aus Köln\tand more"
    assert b"\r\n " in m.headers[0].raw and b"\r\n\t" in m.headers[0].raw
    assert [a for _, a in m.addresses("To")] == ["a@example.org", "b@example.org"]
    assert m.root.content_type == "text/plain"  # defaulted per RFC 2045
    assert m.root.body == b"body\r\n"


def test_invalid_utf8_becomes_replacement_characters():
    raw = b"Subject: caf\xe9 \xff\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nna\xefve\r\n"
    m = ksmg.parse(raw)
    subject = m.header("Subject")
    assert isinstance(subject, str) and subject.startswith("caf")
    subject.encode("utf-8")  # valid: no lone surrogates
    assert m.root.text == "na\ufffdve\r\n" and m.root.body == b"na\xefve\r\n"


def test_charset_samples_agree_with_their_utf8_twins(data):
    d = data / "mime/gmime-charsets"
    for name, charset in (("cyrillic.koi8-r.txt", "koi8-r"),
                          ("cyrillic.cp1251.txt", "windows-1251"),
                          ("japanese.shift-jis.txt", "shift_jis")):
        body = (d / name).read_bytes()
        raw = (f"Content-Type: text/plain; charset={charset}\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body
        text = ksmg.parse(raw).root.text
        twin = (d / (name.split(".")[0] + ".utf-8.txt")).read_text(encoding="utf-8")
        assert text.replace("\r\n", "\n").strip() == twin.replace("\r\n", "\n").strip(), name


def test_malformed_message_has_defects(repo):
    """As `ksmg parse --json` reports them (tests/e2e/test_cli_parse.py): the structure's and
    the transfer decoding's."""
    m = ksmg.parse((repo / "examples/messages/malformed.eml").read_bytes())
    assert {"close_boundary_not_found", "invalid_base64"} <= set(m.defects)
    assert "close_boundary_not_found" in m.root.defects
    text, exe = m.parts[1], m.parts[2]
    assert text.text == "A boundary in the middle of a line does not split: look --XX here."
    assert exe.filename == "invoice.exe" and "invalid_base64" in exe.defects
    assert exe.body.startswith(b"MZ")


@pytest.mark.parametrize("sample, defects", [
    ("mime/mailparser/mail_malformed_3.eml", {"start_boundary_not_found"}),
    ("mime/spamassassin/spam_badmime2.txt", {"missing_header_body_separator",
                                              "duplicate_content_type"}),
    ("mime/mimekit/messages__missing-subtype.txt", {"invalid_content_type"}),
])
def test_defects_of_real_malformed_samples(data, sample, defects):
    m = ksmg.parse((data / sample).read_bytes())
    assert defects <= set(m.defects), m.defects


def test_parse_agrees_with_the_cli(repo, build_dir, tmp_path):
    """Every part's decoded body hashes to what `ksmg parse --json` says for the same file."""
    import subprocess
    cli = build_dir / "bin" / "ksmg"
    if not cli.is_file():
        pytest.fail(f"{cli} is not built")
    for path in sorted((repo / "examples/messages").iterdir()):
        out = subprocess.run([str(cli), "parse", "--json", str(path)], capture_output=True,
                             check=True).stdout
        doc = json.loads(out)
        m = ksmg.parse(path.read_bytes())
        assert [p.path for p in m.parts] == [p["path"] for p in doc["parts"]], path
        for p, want in zip(m.parts, doc["parts"]):
            if want["sha256"]:
                assert hashlib.sha256(p.body).hexdigest() == want["sha256"], (path, p.path)
        assert set(m.defects) == set(doc["defects"])


def test_bytes_like_and_wrong_types(multipart):
    want = [p.path for p in ksmg.parse(multipart).parts]
    assert [p.path for p in ksmg.parse(bytearray(multipart)).parts] == want
    assert [p.path for p in ksmg.parse(memoryview(multipart)).parts] == want
    with pytest.raises(TypeError):
        ksmg.parse(multipart.decode())


def test_hostile_inputs_parse(data):
    for raw in (b"", b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
                b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" * 200):
        m = ksmg.parse(raw)
        assert m.root.path == "0" and len(m.parts) >= 1
    m = ksmg.parse((data / "mime/mimekit/messages__stack-overflow.txt").read_bytes())
    assert len(m.parts) >= 1
