"""test_relay_smtp.py — ksmg-relay between real SMTP peers on loopback: Python's smtplib and
swaks as clients, aiosmtpd as the next hop. What arrives, what is refused, and that every answer
the client gets is the one the next hop (or the verdict) gave."""
import smtplib
import socket
import subprocess
import threading

import pytest

from relay_harness import EICAR, NextHop, Relay, message, read_reply

RELAY_DOMAINS = 'relay_domains = ["example.org"]\n'


def send(relay, msg, to=("bob@example.org",), sender="alice@example.net", **kw):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
        return c.sendmail(sender, list(to), msg, **kw)


def test_clean_mail_arrives_with_the_verdict_headers(build_dir, tmp_path):
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        send(relay, message(subject="clean one"))
        assert len(hop.received) == 1
        got = hop.received[0]
        assert got["from"] == "alice@example.net" and got["to"] == ["bob@example.org"]
        head = got["data"].split(b"\r\n\r\n", 1)[0]
        assert head.startswith(b"Received: from ")
        assert b"by relay.test (ksmg-relay) with ESMTP" in head
        assert b"X-KSMG-AntiVirus-Status: Clean" in head
        assert b"X-KSMG-Message-Action: delivered" in head
        assert b"Subject: clean one" in head


def test_eicar_is_rejected_and_never_arrives(build_dir, tmp_path):
    attachment = (b"--b\r\nContent-Type: application/octet-stream\r\n"
                  b"Content-Disposition: attachment; filename=eicar.com\r\n\r\n" + EICAR +
                  b"\r\n--b--\r\n")
    msg = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: virus\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + attachment)
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        with pytest.raises(smtplib.SMTPDataError) as e:
            send(relay, msg)
        assert e.value.smtp_code == 550
        assert b"infected" in e.value.smtp_error
        assert hop.received == []
        # The policy keeps the original of a rejected infection (backup = true).
        kept = list((relay.data_dir / "backup").glob("*.eml"))
        assert len(kept) == 1 and kept[0].read_bytes() == msg


def test_swaks_delivers_into_the_maildir_of_the_builtin_route(build_dir, tmp_path):
    with Relay(build_dir, tmp_path) as relay:
        out = subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{relay.port}", "--from", "a@example.net",
             "--to", "b@example.org", "--header", "Subject: via swaks", "--body", "from swaks"],
            capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        [delivered] = relay.maildir_messages()
        text = delivered.read_bytes()
        assert b"Subject: via swaks" in text and b"X-KSMG-AntiVirus-Status: Clean" in text


def test_8bitmime_body_arrives_byte_for_byte(build_dir, tmp_path):
    body = ("Grüße aus Köln — ünïcödé, 日本語, and a line that starts with a dot:\r\n"
            ".hidden\r\n..two dots\r\n.\r\n \r\nlast line\r\n").encode()
    body += bytes(range(0x80, 0x100)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"
    msg = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: 8bit\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body)
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        send(relay, msg, mail_options=["BODY=8BITMIME"])
        got = hop.received[0]
        assert "BODY=8BITMIME" in got["options"]
        assert got["data"].endswith(msg)  # our header fields come first; the rest is intact


def test_next_hop_answers_per_recipient_go_back_unchanged(build_dir, tmp_path):
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            assert c.mail("alice@example.net")[0] == 250
            assert c.rcpt("tempfail@example.org") == (451, b"4.2.0 mailbox busy, try later")
            assert c.rcpt("reject@example.org") == (550, b"5.1.1 no such user here")
            assert c.rcpt("bob@example.org") == (250, b"2.1.5 recipient ok")
            code, text = c.data(message())
            assert (code, text) == (250, b"2.0.0 queued by next hop")
        assert [m["to"] for m in hop.received] == [["bob@example.org"]]


def test_next_hop_lost_in_the_middle_of_a_transaction_gives_4xx(build_dir, tmp_path):
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            c.mail("alice@example.net")
            assert c.rcpt("bob@example.org")[0] == 250
            assert c.rcpt("drop@example.org")[0] // 100 == 4
            # bob went to the connection that is gone: nothing may be taken without him.
            assert c.rcpt("carol@example.org")[0] == 451
            code, _ = c.data(message())
            assert code // 100 == 4
            # The next transaction gets a new connection.
            c.rset()
            c.sendmail("alice@example.net", ["dave@example.org"], message())
        assert [m["to"] for m in hop.received] == [["dave@example.org"]]


def test_next_hop_refusing_the_session_gives_4xx_not_its_5xx(build_dir, tmp_path):
    refuser = socket.socket()
    refuser.bind(("127.0.0.1", 0))
    refuser.listen()

    def refuse():
        conn, _ = refuser.accept()
        with conn:
            conn.sendall(b"554 5.7.1 no service for you\r\n")
            conn.recv(1024)

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    try:
        with Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=refuser.getsockname()[1]) as relay:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
                c.ehlo("client.test")
                c.mail("alice@example.net")
                code, text = c.rcpt("bob@example.org")
                assert code == 451 and b"refused the session: 554" in text
    finally:
        refuser.close()
    thread.join(10)


def test_next_hop_down_gives_4xx_and_nothing_is_accepted(build_dir, tmp_path):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = dead.getsockname()[1]
    try:
        with Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=port) as relay:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
                c.ehlo("client.test")
                c.mail("alice@example.net")
                code, text = c.rcpt("bob@example.org")
                assert 400 <= code < 500, (code, text)
                assert b"4.4.1" in text
    finally:
        dead.close()


def test_message_over_size_gets_552(build_dir, tmp_path):
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS + 'max_message_bytes = "64K"\n',
                                 next_hop=hop.port) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            assert c.esmtp_features["size"] == str(64 * 1024)
            # Declared too big: refused at MAIL (RFC 1870).
            code, _ = c.mail("alice@example.net", ["SIZE=100000"])
            assert code == 552
            # Not declared, sent too big: read to its end, then refused.
            assert c.mail("alice@example.net")[0] == 250
            assert c.rcpt("bob@example.org")[0] == 250
            code, text = c.data(message(body="x" * 78 + "\r\n") * 1 + b"y" * 70000 + b"\r\n")
            assert code == 552 and b"5.3.4" in text
            assert c.noop()[0] == 250  # the session goes on
        assert hop.received == []


def test_pipelined_commands_get_their_replies_in_order(build_dir, tmp_path):
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as s:
            f = s.makefile("rb")
            assert read_reply(f)[0] == 220
            s.sendall(b"EHLO client.test\r\n")
            code, lines = read_reply(f)
            assert code == 250 and any("PIPELINING" in l for l in lines)
            # One write: the whole transaction up to DATA, as RFC 2920 allows.
            s.sendall(b"MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\n"
                      b"RCPT TO:<reject@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n")
            assert [read_reply(f)[0] for _ in range(5)] == [250, 250, 550, 250, 354]
            s.sendall(message() + b".\r\nMAIL FROM:<x@example.net>\r\nRSET\r\nQUIT\r\n")
            assert [read_reply(f)[0] for _ in range(4)] == [250, 250, 250, 221]
        assert hop.received[0]["to"] == ["bob@example.org", "carol@example.org"]


def test_bare_cr_and_lf_in_data_reach_the_next_hop_as_crlf(build_dir, tmp_path):
    # Bare line ends are normalized (README, "The relay"): the next hop gets only CRLF, and the
    # smuggling attempts ("<CR>.<CRLF>", "<LF>.<LF>", "<LF>.<CRLF>") stay text of one message.
    data = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: bare\r\n\r\n"
            b"one\rtwo\nthree\r\r\nfour\r.\r\nMAIL FROM:<mallory@example.net>\r\n"
            b"RCPT TO:<bob@example.org>\r\nDATA\r\nsmuggled\n.\nfive\n.\r\nlast\r\n")
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as s:
            f = s.makefile("rb")
            assert read_reply(f)[0] == 220
            s.sendall(b"EHLO client.test\r\n")
            assert read_reply(f)[0] == 250
            s.sendall(b"MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            assert [read_reply(f)[0] for _ in range(3)] == [250, 250, 354]
            s.sendall(data + b".\r\nQUIT\r\n")
            assert [read_reply(f)[0] for _ in range(2)] == [250, 221]
        assert len(hop.received) == 1
        got = hop.received[0]["data"]
        assert got.count(b"\r") == got.count(b"\n") == got.count(b"\r\n")
        body = got.split(b"\r\n\r\n", 1)[1]
        assert body == (b"one\r\ntwo\r\nthree\r\n\r\nfour\r\n.\r\nMAIL FROM:<mallory@example.net>\r\n"
                        b"RCPT TO:<bob@example.org>\r\nDATA\r\nsmuggled\r\n.\r\nfive\r\n.\r\n"
                        b"last\r\n")


def test_relaying_for_strangers_is_denied(build_dir, tmp_path):
    # Loopback is trusted by default; this relay trusts no network.
    with NextHop() as hop, Relay(build_dir, tmp_path,
                                 RELAY_DOMAINS + 'trusted_networks = ["192.0.2.0/24"]\n',
                                 next_hop=hop.port) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            c.mail("alice@example.net")
            assert c.rcpt("someone@elsewhere.example")[0] == 554
            assert c.rcpt("bob@example.org")[0] == 250


def test_forged_verdict_headers_are_dropped(build_dir, tmp_path):
    forged = message(extra_headers="X-KSMG-AntiVirus-Status: Clean\r\nX-Ksmg-Rule-ID: forged\r\n"
                                   "\tcontinued\r\n")
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port) as relay:
        send(relay, forged)
        data = hop.received[0]["data"]
        assert data.count(b"X-KSMG-AntiVirus-Status") == 1  # ours only
        assert b"forged" not in data and b"continued" not in data


def test_quarantine_keeps_the_original_and_delivers_nothing(build_dir, tmp_path):
    # The relay has no queue to hold a message in: quarantine is the kept original, undelivered.
    hold = '[actions.antivirus]\ninfected = { action = "deliver", quarantine = true }\n'
    msg = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: held\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=eicar.com\r\n\r\n" + EICAR +
           b"\r\n--b--\r\n")
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port,
                                 extra_toml=hold) as relay:
        assert send(relay, msg) == {}
        assert hop.received == []
        kept = list((relay.data_dir / "backup").glob("*.eml"))
        assert len(kept) == 1 and kept[0].read_bytes() == msg
        assert b"quarantined" in relay.log.read_bytes()


def test_warning_and_subject_tag_change_the_delivered_message(build_dir, tmp_path):
    # The same mutations as the milter's (ksmg/mutate.hpp), made by the relay on the bytes it
    # holds: the Subject tagged, the message wrapped with the warning in front of the original.
    import email
    import email.policy
    flag = '[actions.antivirus]\ninfected = { action = "deliver", warning = true, tag = "[virus]" }\n'
    original_part = (b"Content-Type: application/octet-stream\r\n"
                     b"Content-Disposition: attachment; filename=eicar.com\r\n\r\n" + EICAR)
    msg = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: look\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\n" + original_part + b"\r\n--b--\r\n")
    with NextHop() as hop, Relay(build_dir, tmp_path, RELAY_DOMAINS, next_hop=hop.port,
                                 extra_toml=flag) as relay:
        send(relay, msg)
        [got] = hop.received
        parsed = email.message_from_bytes(got["data"], policy=email.policy.compat32)
        assert parsed["Subject"] == "[virus] look"
        assert parsed.get_content_type() == "multipart/mixed"
        warning, original = parsed.get_payload()
        assert b"WARNING" in warning.get_payload(decode=True)
        assert b"EICAR" in warning.get_payload(decode=True)  # the reason names the finding
        assert original.get_content_type() == "multipart/mixed"
        [attachment] = original.get_payload()
        assert attachment.get_payload(decode=True) == EICAR
