"""test_milter_postfix.py — ksmg-milter attached to a real Postfix (a private instance from
postfix_instance.py, with the documented main.cf milter lines) that relays to smtp-sink; Python's
smtplib is the SMTP client. What arrives at the sink (dumped one file per message), what the
client is told, and what Postfix's queue holds:

  clean mail arrives with the X-KSMG-* fields and its body byte for byte (inet and unix socket);
  EICAR is refused with 550 5.7.1 at the end of DATA and never arrives;
  a content-filter condition with quarantine = true puts the message on hold (postqueue -j);
  forged X-KSMG-* fields from the sender are replaced by ours; a tagging condition tags Subject;
  a SIGKILLed milter makes Postfix answer 4xx (milter_default_action = tempfail), and after a
  restart on the same socket mail is scanned again.

Run: /usr/bin/python3 -m pytest -q tests/e2e/test_milter_postfix.py   (root + postfix; else skipped)
"""
import json
import os
import re
import smtplib
import stat
import subprocess
import sys
import base64
import email
import email.policy
import quopri
import pathlib
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from postfix_instance import PostfixInstance, SmtpSink, postfix_available  # noqa: E402
from milter_harness import EICAR, Milter, free_port  # noqa: E402

pytestmark = pytest.mark.skipif(postfix_available() is not None,
                                reason=postfix_available() or "")

SENDER = "alice@example.net"
RCPT = "bob@example.com"
HOLD_WORD = "quarantine-me-please"
TAG_WORD = "tag-me-please"
WARN_WORD = "warn-me-please"


def policy_toml(folder: pathlib.Path) -> str:
    """Content filter of the shared milter: one dictionary word holds the message, another tags
    its Subject, a third puts a warning in front of it. The other actions are the built-in
    defaults (EICAR: reject)."""
    (folder / "hold.dict").write_text(f"{HOLD_WORD}\n")
    (folder / "tag.dict").write_text(f"{TAG_WORD}\n")
    (folder / "warn.dict").write_text(f"{WARN_WORD}\n")
    return f"""\
[modules]
antivirus = true
content_filter = true

[[dictionary]]
name = "hold-words"
file = "{folder / 'hold.dict'}"
where = ["subject", "body"]

[[dictionary]]
name = "tag-words"
file = "{folder / 'tag.dict'}"
where = ["subject", "body"]

[[condition]]
name = "hold-for-review"
expression = "hold-words"
action = {{ action = "deliver", quarantine = true }}

[[dictionary]]
name = "warn-words"
file = "{folder / 'warn.dict'}"
where = ["subject", "body"]

[[condition]]
name = "tag-for-review"
expression = "tag-words"
action = {{ action = "deliver", tag = "[tagged]" }}

[[condition]]
name = "warn-the-reader"
expression = "warn-words"
action = {{ action = "deliver", warning = true }}
"""


# -- messages and what arrives ------------------------------------------------------------------
def token() -> str:
    return f"t{time.monotonic_ns()}"


def message(tok: str, subject: str = "hello", body: bytes = b"Hello there.\r\n",
            extra_headers: bytes = b"", content_type: bytes = b"text/plain; charset=utf-8",
            cte: bytes = b"8bit") -> bytes:
    return (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: {subject} {tok}\r\n"
            f"Message-ID: <{tok}@example.net>\r\n").encode() + extra_headers + \
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type + \
        b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + body


def eicar_attachment(tok: str, encoding: str) -> bytes:
    if encoding == "base64":
        part = (b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=eicar.com\r\n\r\n" +
                base64.encodebytes(EICAR).replace(b"\n", b"\r\n"))
    else:  # the 68 bytes as they are, an inline text part
        part = b"Content-Type: text/plain\r\nContent-Disposition: inline\r\n\r\n" + EICAR + b"\r\n"
    body = (b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n" + part +
            b"--b--\r\n")
    return message(tok, "virus", body, content_type=b"multipart/mixed; boundary=b", cte=b"7bit")


def transact(port: int, msg: bytes, sender: str = SENDER, rcpt: str = RCPT, conn=None):
    """One transaction: ('OK', 250, queue id) or (stage, code, text) of the first refusal."""
    c = conn or smtplib.SMTP("127.0.0.1", port, timeout=60)
    try:
        if conn is None:
            c.ehlo("client.test")
        code, text = c.mail(sender)
        if code != 250:
            return "MAIL", code, text.decode(errors="replace")
        code, text = c.rcpt(rcpt)
        if code not in (250, 251):
            c.rset()
            return "RCPT", code, text.decode(errors="replace")
        try:
            code, text = c.data(msg)
        except smtplib.SMTPDataError as e:  # DATA itself refused (not 354)
            c.rset()
            return "DATA", e.smtp_code, e.smtp_error.decode(errors="replace")
        text = text.decode(errors="replace")
        if code != 250:
            return "END-OF-DATA", code, text
        m = re.search(r"queued as ([0-9A-Za-z]+)", text)
        return "OK", code, m.group(1) if m else text
    finally:
        if conn is None:
            try:
                c.quit()
            except smtplib.SMTPException:
                c.close()


def parse(raw: bytes):
    """(header fields as [(name, unfolded value)], body) of a dumped message, LF line ends."""
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.decode(), value.strip()))
    return fields, body


def values(fields, name: str) -> list:
    return [v.decode(errors="replace") for n, v in fields if n.lower() == name.lower()]


def arrived(sink: SmtpSink, tok: str, timeout: float = 20.0):
    """The dumped copy whose Message-ID carries tok; None if it does not come in time."""
    needle = f"<{tok}@example.net>".encode()
    deadline = time.monotonic() + timeout
    while True:
        for m in sink.messages():
            if needle in m:
                return m
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def queue_entries(pf: PostfixInstance) -> list:
    p = subprocess.run(["/usr/sbin/postqueue", "-c", str(pf.config_dir), "-j"],
                       capture_output=True, text=True, timeout=30)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def milter_line(milter: Milter, queue_id: str, timeout: float = 5.0) -> str | None:
    """ksmg-milter's log line for the message Postfix queued as queue_id."""
    deadline = time.monotonic() + timeout
    while True:
        for line in milter.log_text().splitlines():
            if re.search(rf"\bid={re.escape(queue_id)}\b", line):
                return line
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def diag(pf, milter) -> str:
    return (f"\n--- postfix maillog tail ---\n{pf.log_text()[-2500:]}"
            f"\n--- ksmg-milter log tail ---\n{milter.log_text()[-2500:]}")


def assert_scanned_clean(copy: bytes, milter=None):
    fields, _ = parse(copy)
    assert values(fields, "X-KSMG-AntiVirus-Status") == ["Clean"], fields
    [av] = values(fields, "X-KSMG-AntiVirus")
    assert av.startswith("ClamAV "), av
    assert len(values(fields, "X-KSMG-Message-Action")) == 1, fields
    return fields


# -- fixtures -----------------------------------------------------------------------------------
class Stack:
    def __init__(self, sink, milter, pf):
        self.sink, self.milter, self.pf = sink, milter, pf

    def diag(self) -> str:
        return diag(self.pf, self.milter)


def _stack(build_dir, workdir: pathlib.Path, **milter_kw):
    sink = SmtpSink(free_port(), dump=True)
    milter = Milter(build_dir, workdir, toml=policy_toml(workdir), **milter_kw)
    pf = PostfixInstance(free_port(), next_hop=("127.0.0.1", sink.port),
                         main_cf=milter.postfix_main_cf())
    return sink, milter, pf


@pytest.fixture(scope="module")
def stack(build_dir, tmp_path_factory):
    sink, milter, pf = _stack(build_dir, tmp_path_factory.mktemp("milter"))
    with sink, milter, pf:
        yield Stack(sink, milter, pf)


# -- tests ----------------------------------------------------------------------------------------
def test_clean_mail_arrives_with_the_verdict_headers_and_its_body(stack):
    tok = token()
    # ~190 KB: several SMFIC_BODY chunks; 8-bit text, a leading dot, trailing spaces.
    lines = [f"line {i:05d} Grüße aus Köln — 日本語 ünïcödé {'x' * (i % 40)}" for i in range(3000)]
    lines[10] = ".a line that starts with a dot"
    lines[11] = "trailing spaces   "
    body = ("\r\n".join(lines) + "\r\n").encode()
    stage, code, qid = transact(stack.pf.port, message(tok, "clean", body))
    assert (stage, code) == ("OK", 250), (stage, code, qid, stack.diag())
    copy = arrived(stack.sink, tok)
    assert copy is not None, "the clean message never reached the sink" + stack.diag()
    fields, got_body = parse(copy)
    assert_scanned_clean(copy)
    assert values(fields, "Subject") == [f"clean {tok}"]
    assert any("(Postfix)" in v for v in values(fields, "Received")), fields
    assert got_body == body.replace(b"\r\n", b"\n"), "the body changed on the way"
    line = milter_line(stack.milter, qid)
    assert line is not None, f"no ksmg-milter log line with id={qid}" + stack.diag()
    assert "action=deliver" in line, line


@pytest.mark.parametrize("encoding", ["base64", "7bit"])
def test_eicar_is_rejected_at_end_of_data_and_never_arrives(stack, encoding):
    tok = token()
    with smtplib.SMTP("127.0.0.1", stack.pf.port, timeout=60) as c:
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail(SENDER, [RCPT], eicar_attachment(tok, encoding))
    assert e.value.smtp_code == 550, (e.value, stack.diag())
    assert e.value.smtp_error.startswith(b"5.7.1 Message rejected"), e.value.smtp_error
    assert "milter-reject: END-OF-MESSAGE" in stack.pf.log_text(), stack.diag()
    # A clean message sent after it arrives; the infected one must not be there by then.
    later = token()
    assert transact(stack.pf.port, message(later))[:2] == ("OK", 250)
    assert arrived(stack.sink, later) is not None, stack.diag()
    assert arrived(stack.sink, tok, timeout=0) is None, "the infected message was delivered"
    assert "action=reject" in stack.milter.log_text()


def test_quarantine_puts_the_message_on_hold(stack):
    tok = token()
    body = f"Please look at this: {HOLD_WORD} before it goes out.\r\n".encode()
    stage, code, qid = transact(stack.pf.port, message(tok, "hold me", body))
    assert (stage, code) == ("OK", 250), (stage, code, qid, stack.diag())
    deadline = time.monotonic() + 15
    while True:
        entry = next((e for e in queue_entries(stack.pf) if e.get("queue_id") == qid), None)
        if entry is not None and entry.get("queue_name") == "hold" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert entry is not None, f"{qid} is not in the queue (delivered?)" + stack.diag()
    assert entry["queue_name"] == "hold", (entry, stack.diag())
    assert [r["address"] for r in entry["recipients"]] == [RCPT]
    assert "milter triggers HOLD action" in stack.pf.log_text(), stack.diag()
    # Held, not delivered: still there a moment later, and nothing at the sink.
    time.sleep(1.5)
    assert arrived(stack.sink, tok, timeout=0) is None, "the held message was delivered"
    held = [e for e in queue_entries(stack.pf) if e.get("queue_id") == qid]
    assert held and held[0]["queue_name"] == "hold"
    line = milter_line(stack.milter, qid)
    assert line is not None and "action=quarantine" in line, (line, stack.diag())


def test_forged_verdict_fields_are_replaced_by_ours(stack):
    tok = token()
    forged = (b"X-KSMG-AntiVirus: Clean\r\n"
              b"x-ksmg-antivirus-status: Clean\r\n"
              b"X-KSMG-Message-Action: delivered,\r\n\tforged-continuation\r\n"
              b"X-Ksmg-Rule-ID: forged-rule\r\n")
    stage, code, qid = transact(stack.pf.port, message(tok, "forged", extra_headers=forged))
    assert (stage, code) == ("OK", 250), (stage, code, qid, stack.diag())
    copy = arrived(stack.sink, tok)
    assert copy is not None, stack.diag()
    fields = assert_scanned_clean(copy)  # exactly one of each, and X-KSMG-AntiVirus is ours
    assert b"forged-continuation" not in copy and b"forged-rule" not in copy, copy[:3000]
    assert [n for n, _ in fields if n.lower() == "x-ksmg-antivirus"] == ["X-KSMG-AntiVirus"]


def test_a_tagging_condition_tags_the_subject(stack):
    tok = token()
    body = f"This one says {TAG_WORD} in its text.\r\n".encode()
    stage, code, qid = transact(stack.pf.port, message(tok, "tag me", body))
    assert (stage, code) == ("OK", 250), (stage, code, qid, stack.diag())
    copy = arrived(stack.sink, tok)
    assert copy is not None, stack.diag()
    fields, got_body = parse(copy)
    subjects = values(fields, "Subject")
    assert len(subjects) == 1 and subjects[0].startswith("[tagged]"), subjects
    assert subjects[0].endswith(f"tag me {tok}"), subjects
    assert values(fields, "X-KSMG-ContentFiltering") and \
        values(fields, "X-KSMG-ContentFiltering")[0].startswith("Triggered"), fields
    assert got_body == body.replace(b"\r\n", b"\n")


def test_a_warning_replaces_the_body_and_keeps_the_original_inside(stack):
    # The warning is a body replacement (SMFIR_REPLBODY) plus header changes: the message becomes
    # multipart/mixed, the warning first, the original content (with its own Content-* fields)
    # second.
    tok = token()
    text = f"Caf\u00e9 menu, {WARN_WORD}.\r\n" * 40
    body = quopri.encodestring(text.encode("utf-8")).replace(b"\n", b"\r\n")
    msg = message(tok, "warn me", body, cte=b"quoted-printable")
    stage, code, qid = transact(stack.pf.port, msg)
    assert (stage, code) == ("OK", 250), (stage, code, qid, stack.diag())
    copy = arrived(stack.sink, tok)
    assert copy is not None, stack.diag()
    parsed = email.message_from_bytes(copy, policy=email.policy.compat32)
    assert parsed.get_content_type() == "multipart/mixed", copy[:2000]
    assert parsed.get_all("Content-Transfer-Encoding") is None
    assert parsed.get_all("MIME-Version") == ["1.0"]
    warning, original = parsed.get_payload()
    assert warning.get_content_type() == "text/plain"
    assert b"WARNING" in warning.get_payload(decode=True)
    assert original.get("Content-Transfer-Encoding") == "quoted-printable"
    assert original.get_payload(decode=True).replace(b"\r\n", b"\n") == \
        text.encode("utf-8").replace(b"\r\n", b"\n")
    assert_scanned_clean(copy)
    line = milter_line(stack.milter, qid)
    assert line is not None and "action=deliver" in line, (line, stack.diag())


def test_clean_mail_over_a_unix_socket(build_dir, tmp_path):
    sink, milter, pf = _stack(build_dir, tmp_path, unix=True)
    with sink, milter, pf:
        mode = stat.S_IMODE(os.stat(milter.socket_path).st_mode)
        assert stat.S_ISSOCK(os.stat(milter.socket_path).st_mode)
        assert mode == 0o666, oct(mode)
        tok = token()
        stage, code, qid = transact(pf.port, message(tok, "over unix"))
        assert (stage, code) == ("OK", 250), (stage, code, qid, diag(pf, milter))
        copy = arrived(sink, tok)
        assert copy is not None, diag(pf, milter)
        assert_scanned_clean(copy)
        assert milter_line(milter, qid) is not None, diag(pf, milter)
        # and EICAR is refused over it as well
        with smtplib.SMTP("127.0.0.1", pf.port, timeout=60) as c:
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail(SENDER, [RCPT], eicar_attachment(token(), "base64"))
        assert e.value.smtp_code == 550


@pytest.mark.parametrize("unix", [False, True], ids=["inet", "unix"])
def test_killed_milter_means_tempfail_then_restart_scans_again(build_dir, tmp_path, unix):
    sink, milter, pf = _stack(build_dir, tmp_path, unix=unix)
    with sink, milter, pf:
        stages = {}
        with smtplib.SMTP("127.0.0.1", pf.port, timeout=60) as session:
            session.ehlo("client.test")
            tok = token()
            assert transact(pf.port, message(tok, "before kill"), conn=session)[:2] == ("OK", 250)
            assert arrived(sink, tok) is not None, diag(pf, milter)

            assert milter.kill() == -9
            # The same SMTP session, whose smtpd was talking to the milter that just died.
            stage, code, text = transact(pf.port, message(token(), "same session"), conn=session)
            stages["same session"] = (stage, code, text)
            assert 400 <= code < 500, (stage, code, text, diag(pf, milter))
        # A new session: Postfix cannot connect to the milter at all.
        tok = token()
        stage, code, text = transact(pf.port, message(tok, "new session"))
        stages["new session"] = (stage, code, text)
        assert 400 <= code < 500, (stage, code, text, diag(pf, milter))
        print(f"\ntempfail stages with the milter dead ({'unix' if unix else 'inet'}): {stages}")
        time.sleep(0.5)
        assert arrived(sink, tok, timeout=0) is None

        milter.restart()  # same configuration, same port / socket path
        tok = token()
        stage, code, qid = transact(pf.port, message(tok, "after restart"))
        assert (stage, code) == ("OK", 250), (stage, code, qid, diag(pf, milter))
        copy = arrived(sink, tok)
        assert copy is not None, diag(pf, milter)
        assert_scanned_clean(copy)
        with smtplib.SMTP("127.0.0.1", pf.port, timeout=60) as c:
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail(SENDER, [RCPT], eicar_attachment(token(), "base64"))
        assert e.value.smtp_code == 550, diag(pf, milter)
