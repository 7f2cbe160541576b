"""test_postfix_instance.py — proves tests/e2e/postfix_instance.py works here: a private Postfix
relays three smtplib messages to smtp-sink, and stopping it leaves no process behind.
Run: pytest tests/e2e/test_postfix_instance.py  (needs root and the postfix package; else skipped)
"""
import smtplib
import socket
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from postfix_instance import (PostfixInstance, SmtpSink, session_members, free_port,  # noqa: E402
                              postfix_available)

pytestmark = pytest.mark.skipif(postfix_available() is not None,
                                reason=postfix_available() or "")


def test_private_postfix_relays_to_sink():
    sink = SmtpSink(free_port(), dump=True)
    pf = PostfixInstance(free_port(), next_hop=("127.0.0.1", sink.port))
    with sink, pf:
        assert pf.config_dir.is_dir() and pf.queue_dir.is_dir()
        master = pf.master_pid
        assert master and session_members(master)
        with smtplib.SMTP("127.0.0.1", pf.port, timeout=10) as smtp:
            for i in range(3):
                msg = (f"From: a@example.org\r\nTo: b@example.com\r\nSubject: private-{i}\r\n"
                       f"\r\nbody {i}\r\n")
                refused = smtp.sendmail("a@example.org", ["b@example.com"], msg)
                assert refused == {}
        assert sink.wait_for(3, timeout=10), (sink.count, pf.log_text()[-2000:])
        got = sink.messages()
        subjects = sorted(line for m in got for line in m.splitlines()
                          if line.startswith(b"Subject:"))
        assert subjects == [b"Subject: private-0", b"Subject: private-1", b"Subject: private-2"]
        # The messages went through Postfix (its Received: header), not straight to the sink.
        assert all(b"by postfix-test.localdomain (Postfix)" in m for m in got)
        assert "status=sent" in pf.log_text()
        instance_dir = pf.dir
    assert not session_members(master), "postfix processes survived stop()"
    assert not instance_dir.exists()
    assert sink.proc is None


def test_failed_start_reports_the_log_and_cleans_up():
    # Someone else holds the port: master cannot bind, `postfix start` fails. start() must say so
    # with the maillog tail and leave neither processes nor the instance directory behind.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        pf = PostfixInstance(port, next_hop="127.0.0.1:9",
                             main_cf={"smtpd_milters": "inet:127.0.0.1:1"},
                             master_cf_lines=["extra unix - - n - - smtp"])
        with pytest.raises(RuntimeError, match="did not start") as err:
            pf.start()
    assert "in use" in str(err.value)
    assert pf.dir is None
