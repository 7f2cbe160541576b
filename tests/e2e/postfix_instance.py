"""postfix_instance.py — owns starting and stopping private Postfix instances and smtp-sink for the
end-to-end tests and bench/relay_load.py. Nothing here touches the system Postfix (/etc/postfix,
/var/spool/postfix): every instance lives in its own temp directory and listens on 127.0.0.1 only.

Usage (root only: postfix(1) is reserved for the super-user, which is also what lets us use
`postfix -c DIR` without listing DIR in /etc/postfix/main.cf's alternate_config_directories):

    from postfix_instance import PostfixInstance, SmtpSink, free_port

    with SmtpSink(free_port()) as sink, \
         PostfixInstance(free_port(), next_hop=("127.0.0.1", sink.port)) as pf:
        smtplib.SMTP("127.0.0.1", pf.port).sendmail(...)
        sink.wait_for(1, timeout=10)

PostfixInstance(port, next_hop, main_cf={...}, master_cf_lines=[...], smtpd_options={...}):
  main_cf          extra/overriding main.cf settings, e.g. {"smtpd_milters": "inet:127.0.0.1:9999"}
  master_cf_lines  extra master.cf lines, e.g. a before-queue filter's re-injection smtpd
  smtpd_options    "-o name=value" settings for the public smtpd service only, e.g.
                   {"smtpd_proxy_filter": "127.0.0.1:10025"}
  next_hop         (host, port), "host:port", or None (then set relayhost/transport_maps yourself)
The instance logs to <dir>/maillog through postlogd (maillog_file, Postfix >= 3.4): the sandbox
has no syslog daemon. `log_text()` returns it; on a failed start the tail is in the exception.

Lessons from running this as root in a sandbox (Debian 12, Postfix 3.7, no /etc/postfix/main.cf):
- `postfix -c DIR start` runs post-install create-missing itself, which creates and chowns the
  queue subdirectories, but it does NOT fix a data_directory that already exists with the wrong
  owner: master then dies with "open lock file .../master.lock: Permission denied". So we create
  data_directory owned by the mail_owner ourselves.
- mkdtemp makes 0700 directories; the queue, data and log paths must be reachable by the postfix
  user (smtp-sink -d dumps and the daemons after they drop privileges), so the instance
  directory is made 0755.
- maillog_file must start with one of maillog_file_prefixes (default /var, /dev/stdout), so that
  parameter is set to the instance directory.
- Our master.cf runs every service unchained (chroot "n"): Debian's stock master.cf chroots
  smtpd & co. into the queue directory, which would need /etc files copied in.
- master daemonizes and calls setsid(), so its whole process tree shares one session id; stop()
  uses that to find and SIGKILL anything `postfix stop` left behind. Stopped processes may show
  as zombies for a moment: PID 1 in the sandbox reaps them, a little later.
"""
from __future__ import annotations

import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

POSTFIX = os.environ.get("KSMG_POSTFIX", "/usr/sbin/postfix")
POSTCONF = os.environ.get("KSMG_POSTCONF", "/usr/sbin/postconf")
SMTP_SINK = os.environ.get("KSMG_SMTP_SINK", "/usr/sbin/smtp-sink")
MAIL_OWNER = "postfix"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the usual bind-to-0 race applies)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1",
                  alive=lambda: True) -> None:
    """Block until host:port accepts a TCP connection; `alive()` returning False aborts early
    (a server that already died should not cost the whole timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            pass
        if not alive():
            raise RuntimeError(f"server for {host}:{port} exited before it accepted connections")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing accepted connections on {host}:{port} within {timeout}s")
        time.sleep(0.05)


def postfix_available() -> str | None:
    """None when a private instance can run here, else the reason it cannot (for pytest.skip)."""
    if os.geteuid() != 0:
        return "private Postfix instances need root (postfix(1) is reserved for the super-user)"
    for tool in (POSTFIX, POSTCONF, SMTP_SINK):
        if not os.access(tool, os.X_OK):
            return f"{tool} not found (Debian: apt-get install postfix)"
    try:
        pwd.getpwnam(MAIL_OWNER)
    except KeyError:
        return f"no '{MAIL_OWNER}' user"
    return None


def session_members(sid: int) -> list[int]:
    """Live (non-zombie) processes whose session id is `sid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue  # exited while we looked
        # comm (field 2) may hold spaces and parens; the fixed fields follow the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(int(entry))
    return found


def _chown_to_mail_owner(path: pathlib.Path) -> None:
    pw = pwd.getpwnam(MAIL_OWNER)
    os.chown(path, pw.pw_uid, pw.pw_gid)


# Services a relay-only instance needs. No local/virtual/pipe delivery; pickup stays so that
# postdrop-style injection keeps working if a test wants it. postlog is the maillog_file writer.
_BASE_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixInstance:
    """One private Postfix: config, queue, data dir and maillog under its own temp directory."""

    def __init__(self, port: int, next_hop=None, *, main_cf: dict | None = None,
                 master_cf_lines=(), smtpd_options: dict | None = None,
                 myhostname: str = "postfix-test.localdomain", parent_dir: str | None = None,
                 keep: bool = False):
        self.port = port
        self.next_hop = next_hop
        self.extra_main = dict(main_cf or {})
        self.extra_master = list(master_cf_lines)
        self.smtpd_options = dict(smtpd_options or {})
        self.myhostname = myhostname
        self.parent_dir = parent_dir
        self.keep = keep
        self.dir: pathlib.Path | None = None
        self._master_pid: int | None = None

    # -- paths ---------------------------------------------------------------------------------
    @property
    def config_dir(self) -> pathlib.Path:
        return self.dir / "config"

    @property
    def queue_dir(self) -> pathlib.Path:
        return self.dir / "queue"

    @property
    def log_path(self) -> pathlib.Path:
        return self.dir / "maillog"

    @property
    def master_pid(self) -> int | None:
        """The master daemon's pid, which is also the session id of every Postfix process."""
        return self._master_pid

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- configuration -------------------------------------------------------------------------
    def _relayhost(self) -> str | None:
        if self.next_hop is None:
            return None
        if isinstance(self.next_hop, str):
            host, _, port = self.next_hop.rpartition(":")
        else:
            host, port = self.next_hop
        # Brackets: connect to exactly this address, no MX lookup.
        return f"[{host}]:{port}"

    def main_cf_settings(self) -> dict:
        d = self.dir
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(d / "data"),
            "mail_owner": MAIL_OWNER,
            "myhostname": self.myhostname,
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # No local delivery at all: nothing is "mine", so everything is relayed or refused.
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:5.1.1 local delivery is disabled in this test instance",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            # Logging without syslog: postlogd writes this file (see the postlog master.cf line).
            "maillog_file": str(self.log_path),
            "maillog_file_prefixes": str(d),
            # Tests and benches talk plaintext on loopback.
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
        }
        relayhost = self._relayhost()
        if relayhost:
            settings["relayhost"] = relayhost
        settings.update(self.extra_main)
        return settings

    def master_cf_text(self) -> str:
        opts = "".join(f"\n  -o {k}={v}" for k, v in self.smtpd_options.items())
        smtpd = f"127.0.0.1:{self.port} inet n - n - - smtpd{opts}\n"
        extra = "".join(line.rstrip("\n") + "\n" for line in self.extra_master)
        return smtpd + _BASE_SERVICES + extra

    def _write_config(self) -> None:
        self.config_dir.mkdir()
        lines = [f"{k} = {v}" for k, v in self.main_cf_settings().items()]
        (self.config_dir / "main.cf").write_text("\n".join(lines) + "\n")
        (self.config_dir / "master.cf").write_text(self.master_cf_text())

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> "PostfixInstance":
        why = postfix_available()
        if why:
            raise RuntimeError(why)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="ksmg-postfix.", dir=self.parent_dir))
        try:
            # Daemons running as 'postfix' must reach queue/data/maillog; mkdtemp gives 0700.
            os.chmod(self.dir, 0o755)
            self.queue_dir.mkdir(mode=0o755)  # post-install create-missing fills it in
            data = self.dir / "data"
            data.mkdir(mode=0o700)
            _chown_to_mail_owner(data)  # see the module docstring: not fixed by create-missing
            self._write_config()
            # `postfix start` runs post-install create-missing and `postfix check` itself (a
            # separate `check` call would double the ~1-3 s start-up); its failures and the
            # master's fatal lines end up in the maillog tail we attach below.
            self._postfix("start", timeout=timeout)
            self._master_pid = self._read_master_pid()
            wait_for_port(self.port, timeout=timeout, alive=self._master_alive)
        except BaseException as e:
            log = self.log_text()[-3000:]
            self.stop()
            if isinstance(e, Exception):
                raise RuntimeError(f"private Postfix on port {self.port} did not start: {e}\n"
                                   f"--- maillog tail ---\n{log}") from e
            raise
        return self

    def _postfix(self, command: str, timeout: float) -> None:
        p = subprocess.run([POSTFIX, "-c", str(self.config_dir), command],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"postfix {command} exited {p.returncode}: "
                               f"{(p.stdout + p.stderr).strip()}")

    def _read_master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _master_alive(self) -> bool:
        return self._master_pid is not None and bool(session_members(self._master_pid))

    def queue_count(self) -> int:
        """Messages still in the queue (incoming, active, deferred, hold), via postqueue -j."""
        p = subprocess.run(["/usr/sbin/postqueue", "-c", str(self.config_dir), "-j"],
                           capture_output=True, text=True, timeout=30)
        return sum(1 for line in p.stdout.splitlines() if line.strip())

    def stop(self) -> None:
        """Stop master, kill whatever survived in its session, remove the directory (unless
        keep). Safe to call twice and after a failed start."""
        if self.dir is None:
            return
        if (self.queue_dir / "pid" / "master.pid").exists():
            try:
                self._postfix("stop", timeout=30)
            except Exception:
                pass  # not running, or hung: the session sweep below handles both
        sid = self._master_pid or self._read_master_pid()
        if sid:
            deadline = time.monotonic() + 5.0
            while session_members(sid) and time.monotonic() < deadline:
                time.sleep(0.05)
            for pid in session_members(sid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self._master_pid = None

    def __enter__(self) -> "PostfixInstance":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SmtpSink:
    """Postfix's smtp-sink on 127.0.0.1:port, counting received messages from its -c output.

    With dump=True every message is also written to a private 0755 temp directory (smtp-sink -d,
    one file each; removed by stop()); smtp-sink writes as 'postfix', so a dump directory under
    pytest's 0700 tmp_path would fail with "Permission denied" and the sink would drop the
    connection. Dumping costs disk I/O: the bench leaves it off, tests turn it on."""

    _MESG = re.compile(rb"mesg=(\d+)")

    def __init__(self, port: int, dump: bool = False, backlog: int = 256, extra_args=()):
        self.port = port
        self.dump = dump
        self.dump_dir: pathlib.Path | None = None
        self.backlog = backlog
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self._count = 0
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None
        # When each new count was first seen (monotonic); the bench's clock stops on this.
        self.last_change = 0.0

    @property
    def count(self) -> int:
        with self._cond:
            return self._count

    def start(self, timeout: float = 10.0) -> "SmtpSink":
        cmd = [SMTP_SINK, "-c"]
        if os.geteuid() == 0:
            cmd += ["-u", MAIL_OWNER]  # smtp-sink refuses to run as root without -u
        if self.dump:
            self.dump_dir = pathlib.Path(tempfile.mkdtemp(prefix="ksmg-sink."))
            os.chmod(self.dump_dir, 0o755)
            if os.geteuid() == 0:
                _chown_to_mail_owner(self.dump_dir)
            cmd += ["-d", str(self.dump_dir) + "/msg."]
        cmd += self.extra_args + [f"127.0.0.1:{self.port}", str(self.backlog)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self._reader = threading.Thread(target=self._read_counts, daemon=True)
        self._reader.start()
        try:
            wait_for_port(self.port, timeout=timeout, alive=lambda: self.proc.poll() is None)
        except Exception:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() else ""
            self.stop()
            raise RuntimeError(f"smtp-sink on port {self.port} did not start: {err.strip()}")
        return self

    def _read_counts(self) -> None:
        # -c prints "sess=N quit=N mesg=N" followed by '\r' after every session end, QUIT and
        # "."; smtp-sink flushes each update, so reading the pipe unbuffered is near real-time.
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            buf += chunk
            *records, buf = re.split(rb"[\r\n]", buf)
            latest = None
            for rec in records:
                m = self._MESG.search(rec)
                if m:
                    latest = int(m.group(1))
            if latest is not None:
                now = time.monotonic()
                with self._cond:
                    if latest != self._count:
                        self._count = latest
                        self.last_change = now
                        self._cond.notify_all()

    def wait_for(self, n: int, timeout: float) -> bool:
        """True once at least n messages arrived; False on timeout or if the sink died."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._count < n:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self._cond.wait(min(left, 0.5))
            return True

    def messages(self) -> list[bytes]:
        """Dumped messages so far (dump=True only), each without smtp-sink's own X-*/Received lines."""
        out = []
        for f in sorted(self.dump_dir.glob("msg.*")):
            raw = f.read_bytes()
            # smtp-sink's Received: header is three lines: "Received: ...", "\tby ...", "\tdate".
            _, sep, rest = raw.partition(b"\n\tby smtp-sink")
            msg = rest.split(b"\n", 2)[2] if sep else raw
            # The dump format ends every message with one extra empty line.
            out.append(msg[:-1] if msg.endswith(b"\n\n") else msg)
        return out

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            # The reader sees EOF once the sink is gone; join before closing its pipe under it.
            if self._reader:
                self._reader.join(timeout=2)
            for stream in (self.proc.stdout, self.proc.stderr):
                stream.close()
            self.proc = None
        if self.dump_dir:
            shutil.rmtree(self.dump_dir, ignore_errors=True)
            self.dump_dir = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
