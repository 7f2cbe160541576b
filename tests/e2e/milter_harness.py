"""milter_harness.py — owns starting and stopping ksmg-milter for the end-to-end tests and
bench/milter_load.py.

`Milter` writes a configuration for the run (the library's TOML plus a [milter] section with the
listening socket, the data directory and whatever the caller adds), starts the real binary, waits
until its socket accepts connections, and stops it with SIGTERM, checking that it exits 0.
`kill()` is the SIGKILL case (a crashed filter), `restart()` starts it again on the same socket,
`reload()` sends SIGHUP. Its stderr (one line per message) is kept in `log_path`.

    from milter_harness import Milter
    with Milter(build_dir, tmp_path) as m:                    # inet:PORT@127.0.0.1, free port
        PostfixInstance(..., main_cf=m.postfix_main_cf())     # smtpd_milters = inet:127.0.0.1:PORT
    with Milter(build_dir, tmp_path, unix=True) as m:        # unix:/tmp/ksmg-milter.XXXX/milter.sock
        ...

A unix socket lives in its own 0755 directory under /tmp (pytest's tmp_path is 0700, which the
'postfix' user could not traverse) and is made 0666 (`unix_socket_mode = 0o666`) unless the
caller's [milter] text sets a mode itself.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
AV_DB = REPO / "examples" / "clamav"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

# What Postfix needs to use the milter (the documented main.cf lines), minus smtpd_milters.
POSTFIX_MILTER_SETTINGS = {
    "non_smtpd_milters": "$smtpd_milters",
    "milter_protocol": "6",
    "milter_default_action": "tempfail",
    "milter_connect_timeout": "10s",
    "milter_command_timeout": "30s",
    "milter_content_timeout": "300s",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _toml_str(s) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Milter:
    """One ksmg-milter process with a configuration written for the run.

    build_dir   the build tree (bin/ksmg-milter below it); `binary` overrides the path
    workdir     where the config, the data directory and the log go
    toml        library configuration text ([actions.*], [[dictionary]], ...), put first
    milter_toml extra lines for the [milter] section (listen and data_dir are written here)
    unix        listen on a unix socket instead of inet:PORT@127.0.0.1
    port        the inet port (default: a free one)
    av_db       the ClamAV database dir for --av-db (default examples/clamav; None: AV off)
    use_cli_listen  pass the socket as --listen on the command line instead of in the file
    config_file an existing configuration to run as is (toml/milter_toml are then ignored): the
                socket and the data directory go on the command line (--listen, --data-dir)
    """

    def __init__(self, build_dir=None, workdir=None, *, toml: str = "", milter_toml: str = "",
                 unix: bool = False, port: int | None = None, av_db=AV_DB, extra_args=(),
                 binary=None, use_cli_listen: bool = False, config_file=None,
                 start_timeout: float = 60.0):
        build_dir = pathlib.Path(build_dir or os.environ.get("KSMG_BUILD_DIR", REPO / "build"))
        self.binary = pathlib.Path(binary) if binary else build_dir / "bin" / "ksmg-milter"
        self._own_workdir = workdir is None
        self.dir = pathlib.Path(workdir or tempfile.mkdtemp(prefix="ksmg-milter-run."))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.unix = unix
        self.socket_dir: pathlib.Path | None = None
        if unix:
            self.socket_dir = pathlib.Path(tempfile.mkdtemp(prefix="ksmg-milter."))
            os.chmod(self.socket_dir, 0o755)
            self.socket_path = self.socket_dir / "milter.sock"
            self.port = None
            self.spec = f"unix:{self.socket_path}"
        else:
            self.socket_path = None
            self.port = port or free_port()
            self.spec = f"inet:{self.port}@127.0.0.1"
        self.data_dir = self.dir / "milter-data"
        self.log_path = self.dir / "milter.log"
        self.start_timeout = start_timeout
        if config_file is not None:
            self.config = pathlib.Path(config_file)
            self.args = [str(self.binary), "--config", str(self.config), "--listen", self.spec,
                         "--data-dir", str(self.data_dir)]
        else:
            self.config = self.dir / "milter.toml"
            section = "\n[milter]\n"
            if not use_cli_listen:
                section += f"listen = [{_toml_str(self.spec)}]\n"
            section += f"data_dir = {_toml_str(self.data_dir)}\n"
            if unix and "unix_socket_mode" not in milter_toml:
                section += "unix_socket_mode = 0o666\n"
            self.config.write_text(toml.rstrip("\n") + "\n" + section + milter_toml)
            self.args = [str(self.binary), "--config", str(self.config)]
            if use_cli_listen:
                self.args += ["--listen", self.spec]
        if av_db is not None:
            self.args += ["--av-db", str(av_db)]
        self.args += list(extra_args)
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.starts = 0

    # -- what Postfix is told --------------------------------------------------------------------
    @property
    def postfix_spec(self) -> str:
        """The smtpd_milters value: Postfix writes inet sockets as inet:HOST:PORT."""
        return f"unix:{self.socket_path}" if self.unix else f"inet:127.0.0.1:{self.port}"

    def postfix_main_cf(self, **overrides) -> dict:
        d = {"smtpd_milters": self.postfix_spec, **POSTFIX_MILTER_SETTINGS}
        d.update(overrides)
        return d

    # -- lifecycle -------------------------------------------------------------------------------
    def _connectable(self) -> bool:
        try:
            if self.unix:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1.0)
                    s.connect(str(self.socket_path))
            else:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                    pass
            return True
        except OSError:
            return False

    def start(self) -> "Milter":
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.binary} not found (build ksmg-milter first)")
        # Append: a restart keeps the earlier run's lines in the same log.
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + self.start_timeout
        while not self._connectable():
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self._close_log()
                raise RuntimeError(f"ksmg-milter exited with {code} before it listened:\n"
                                   f"{self.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"ksmg-milter did not listen on {self.spec} within "
                                   f"{self.start_timeout}s:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; the exit code (SIGKILLed after `timeout`: negative)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_log()
        return self.proc.returncode

    def kill(self) -> int | None:
        """SIGKILL, as if it crashed: no cleanup of its own (a unix socket file stays)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_log()
        return self.proc.returncode

    def restart(self) -> "Milter":
        """Start again with the same configuration and socket; a running one is stopped first
        (and must exit 0)."""
        if self.alive():
            code = self.stop()
            assert code == 0, f"ksmg-milter exited with {code} on SIGTERM:\n{self.log_text()[-3000:]}"
        return self.start()

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def cleanup(self) -> None:
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        if self._own_workdir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Milter":
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc) -> None:
        try:
            was_running = self.alive()
            code = self.stop()
            if was_running:
                assert code == 0, (f"ksmg-milter exited with {code} on SIGTERM:\n"
                                   f"{self.log_text()[-3000:]}")
        finally:
            self.cleanup()
