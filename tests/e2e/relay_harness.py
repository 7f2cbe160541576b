"""relay_harness.py — runs ksmg-relay and its peers on loopback for the end-to-end tests.

`Relay` starts the real binary with a configuration written for the test (ports picked free),
waits until it accepts connections, and stops it with SIGTERM, checking that it exits cleanly.
`NextHop` is a real SMTP server (aiosmtpd, from Debian's python3-aiosmtpd) that keeps what it
receives byte for byte and answers recipients by their local part: `tempfail*` 451, `reject*`
550, `drop*` closes the connection, anything else 250.
"""
import pathlib
import signal
import socket
import subprocess
import threading
import time

from aiosmtpd.controller import Controller

REPO = pathlib.Path(__file__).resolve().parents[2]
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class _Handler:
    def __init__(self, owner):
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            return "451 4.2.0 mailbox busy, try later"
        if local.startswith("reject"):
            return "550 5.1.1 no such user here"
        if local.startswith("drop"):
            server.transport.close()  # the connection goes away in the middle of a transaction
            return "421 4.3.0 going away"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 recipient ok"

    async def handle_DATA(self, server, session, envelope):
        self.owner.received.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
             "options": list(envelope.mail_options), "data": envelope.original_content})
        self.owner.arrived.set()
        return "250 2.0.0 queued by next hop"


class NextHop:
    """An SMTP server the relay forwards to; `received` lists what arrived."""

    def __init__(self, tls_context=None):
        self.port = free_port()
        self.received = []
        self.arrived = threading.Event()
        kwargs = {}
        if tls_context is not None:
            kwargs = {"tls_context": tls_context, "require_starttls": False}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     decode_data=False, enable_SMTPUTF8=True, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Relay:
    """ksmg-relay with [relay] settings (TOML text) written for the test."""

    def __init__(self, build_dir, tmp_path, relay_toml="", next_hop=None, av_db=True,
                 extra_toml="", extra_args=()):
        self.port = free_port()
        self.dir = pathlib.Path(tmp_path)
        self.data_dir = self.dir / "relay-data"
        self.config = self.dir / "relay.toml"
        self.config.write_text(extra_toml + "\n[relay]\n" +
                               f'listen = ["127.0.0.1:{self.port}"]\n'
                               f'data_dir = "{self.data_dir}"\n'
                               'hostname = "relay.test"\n' + relay_toml)
        self.args = [str(build_dir / "bin" / "ksmg-relay"), "--config", str(self.config)]
        if av_db:
            self.args += ["--av-db", str(REPO / "examples" / "clamav")]
        if next_hop is not None:
            self.args += ["--next-hop", f"127.0.0.1:{next_hop}"]
        self.args += list(extra_args)
        self.log = self.dir / "relay.log"
        self.proc = None

    def __enter__(self):
        self.log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError("ksmg-relay did not start:\n" + self.log.read_text())
        return self

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode

    def __exit__(self, *exc):
        code = self.stop()
        assert code == 0, f"ksmg-relay exited with {code}:\n{self.log.read_text()}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_for_log(self, text: str, timeout: float = 20.0) -> bool:
        """Whether `text` shows in the log within `timeout` seconds: for what the relay does
        after the client can see it (a dropped client noticed, a reload done). The timeout only
        bounds a hang; the answer comes as soon as the line is there."""
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def maildir_messages(self):
        new = self.data_dir / "maildir" / "new"
        return sorted(new.iterdir()) if new.is_dir() else []


def message(subject="hello", body="Hello there.\r\n", extra_headers="", sender="alice@example.net",
            to="bob@example.org") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.monotonic_ns()}@example.net>\r\n{extra_headers}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()


def read_reply(sock_file) -> tuple:
    """One SMTP reply from a socket's file: (code, [lines])."""
    lines = []
    while True:
        line = sock_file.readline()
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), lines
