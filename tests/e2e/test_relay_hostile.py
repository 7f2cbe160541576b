"""test_relay_hostile.py — ksmg-relay against clients that break the rules: garbage, a 1 MB
line, silence, a drop in the middle of DATA, a thousand connections at once. After each the
relay is alive, has answered or closed cleanly, and serves the next client normally. Also the
graceful stop and the reload on SIGHUP."""
import os
import signal
import smtplib
import socket
import time

from relay_harness import Relay, message, read_reply

DOMAINS = 'relay_domains = ["example.org"]\n'


def serves_normally(relay, tag="after"):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
        c.sendmail("a@example.net", ["b@example.org"], message(subject=tag))
    return any(f"Subject: {tag}".encode() in p.read_bytes() for p in relay.maildir_messages())


def serves_normally_once_freed(relay, tag="after", timeout=20.0):
    """serves_normally once the relay has read the end of the connections the test just closed:
    until then a new one from the same client may still be over its limit (421). The deadline
    only bounds a hang."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return serves_normally(relay, tag)
        except smtplib.SMTPConnectError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def connect(relay):
    s = socket.create_connection(("127.0.0.1", relay.port), timeout=30)
    f = s.makefile("rb")
    assert read_reply(f)[0] == 220
    return s, f


def test_garbage_commands_get_errors_then_the_door(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + "max_errors = 5\n") as relay:
        s, f = connect(relay)
        with s:
            s.sendall(b"\x00\xff\xfe garbage\r\n")
            assert read_reply(f)[0] == 500
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            assert [read_reply(f)[0] for _ in range(2)] == [500, 500]
            s.sendall(b"MAIL FROM:<a@example.net>\r\n")  # before EHLO
            assert read_reply(f)[0] == 503
            s.sendall(b"EHLO\r\n")  # no name
            code, lines = read_reply(f)
            assert code == 501
            code, lines = read_reply(f)  # the fifth error ends the session
            assert code == 421
            assert f.read() == b""
        assert serves_normally(relay)


def test_a_one_megabyte_line_is_refused_without_harm(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS) as relay:
        s, f = connect(relay)
        with s:
            s.sendall(b"EHLO " + b"a" * (1 << 20) + b"\r\nNOOP\r\n")
            assert read_reply(f)[0] == 500
            assert read_reply(f)[0] == 250  # the line after it is read as usual
            s.sendall(b"QUIT\r\n")
            assert read_reply(f)[0] == 221
        assert serves_normally(relay)


def test_a_silent_client_is_timed_out(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + "idle_timeout_seconds = 2\n") as relay:
        # Taken before the relay can start its timer, so that a slow client cannot make the
        # wait look shorter than the timeout; the upper bound only tells a hang.
        started = time.monotonic()
        s, f = connect(relay)
        with s:
            code, lines = read_reply(f)
            assert code == 421 and "4.4.2" in lines[0]
            assert f.read() == b""
            assert 1.5 < time.monotonic() - started < 10
        assert serves_normally(relay)


def test_a_client_that_drops_in_the_middle_of_data_loses_nothing_of_others(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS) as relay:
        s, f = connect(relay)
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        assert [read_reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
        s.sendall(message(subject="half")[:60])
        f.close()  # the file holds the socket open too
        s.close()
        assert relay.wait_for_log("lost connection after")
        assert serves_normally(relay)
        assert all(b"Subject: half" not in p.read_bytes() for p in relay.maildir_messages())


def test_a_thousand_connections_from_one_client(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + "max_connections_per_client = 50\n") as relay:
        socks = []
        try:
            for _ in range(1000):
                socks.append(socket.create_connection(("127.0.0.1", relay.port), timeout=30))
            codes = []
            for s in socks:
                line = s.makefile("rb").readline()
                codes.append(int(line[:3]) if line else 0)
            assert codes.count(220) == 50
            assert codes.count(421) == 950
        finally:
            for s in socks:
                s.close()
        assert serves_normally_once_freed(relay)
        assert relay.alive()


def test_messages_held_in_memory_are_bounded(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + 'max_inflight_bytes = "4K"\n') as relay:
        opening = b"EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
        big, big_f = connect(relay)
        big.sendall(opening)
        assert [read_reply(big_f)[0] for _ in range(4)] == [250, 250, 250, 354]
        big.sendall(message(subject="big", body="x" * 8000 + "\r\n"))
        # Until the relay has read those bytes, another DATA may still get 354: that client
        # leaves and comes back (the deadline only bounds a hang).
        deadline = time.monotonic() + 20
        while True:
            other, other_f = connect(relay)
            other.sendall(opening)
            codes = [read_reply(other_f)[0] for _ in range(4)]
            if codes[3] != 354 or time.monotonic() > deadline:
                break
            other.close()
            time.sleep(0.05)
        assert codes == [250, 250, 250, 452]
        big.sendall(b".\r\n")
        assert read_reply(big_f)[0] == 250
        other.sendall(b"DATA\r\n")  # the memory is given back: the retry goes through
        assert read_reply(other_f)[0] == 354
        other.sendall(message(subject="small") + b".\r\n")
        assert read_reply(other_f)[0] == 250
        for s in (big, other):
            s.close()


def test_graceful_stop_finishes_the_transaction_in_flight(build_dir, tmp_path):
    relay = Relay(build_dir, tmp_path, DOMAINS)
    with relay:
        idle, idle_f = connect(relay)
        busy, busy_f = connect(relay)
        busy.sendall(b"EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        assert [read_reply(busy_f)[0] for _ in range(4)] == [250, 250, 250, 354]
        relay.proc.send_signal(signal.SIGTERM)
        # The idle session is told at once; the one in DATA may finish its message.
        code, _ = read_reply(idle_f)
        assert code == 421
        busy.sendall(message(subject="in flight") + b".\r\n")
        assert read_reply(busy_f)[0] == 250
        assert read_reply(busy_f)[0] == 421
        relay.proc.wait(30)
        idle.close()
        busy.close()
    assert any(b"Subject: in flight" in p.read_bytes() for p in relay.maildir_messages())


def test_sighup_reloads_the_relay_settings(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + 'trusted_networks = ["192.0.2.0/24"]\n') as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("c")
            c.mail("a@example.net")
            assert c.rcpt("x@new.example")[0] == 554
        relay.config.write_text(relay.config.read_text().replace(
            'relay_domains = ["example.org"]', 'relay_domains = ["example.org", "new.example"]'))
        os.kill(relay.proc.pid, signal.SIGHUP)
        assert relay.wait_for_log("reloaded")
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.sendmail("a@example.net", ["x@new.example"], message(subject="new domain"))
        # A configuration that does not compile leaves the one in service.
        relay.config.write_text(relay.config.read_text() + "\n[relay.tls]\nlevel = \"maybe\"\n")
        os.kill(relay.proc.pid, signal.SIGHUP)
        assert relay.wait_for_log("settings in service stay")
        assert serves_normally(relay)
