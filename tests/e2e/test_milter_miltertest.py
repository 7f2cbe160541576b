"""test_milter_miltertest.py — milter protocol edge cases against the real ksmg-milter, driven by
OpenDKIM's miltertest (Debian package `miltertest`), one Lua script per case in tests/e2e/milter/
(what each checks is said at its top; _common.lua holds their shared helpers):

  a clean message over v6 with everything offered is accepted with X-KSMG-* header fields;
  EICAR is refused at end of message with SMFIR_REPLYCODE 550 5.7.1;
  an MTA of protocol version 2, one that does not offer SMFIF_ADDHDRS, one that offers only
  SMFIP_NOCONNECT|NOHELO: the milter asks for nothing beyond the offer and answers every step;
  a ~300 KB body in chunks of 1 to 65535 bytes, cut inside the EICAR attachment, is still refused;
  SMFIC_ABORT in the middle of an infected body leaves nothing behind for the next message;
  no macros at all / an unknown address family, and the macros Postfix sends;
  several messages on one connection, and 200 recipients.

SMFIC_QUIT_NC is not covered: miltertest 1.6.0 cannot send it (mt.disconnect sends SMFIC_QUIT).

One ksmg-milter serves every script (module-scoped fixture): started with
--listen inet:PORT@127.0.0.1 --config (a [milter] section with a data_dir in tmp) --av-db
examples/clamav, and stopped with SIGTERM at the end, which it must survive to exit 0.

Run: /usr/bin/python3 -m pytest -q tests/e2e/test_milter_miltertest.py   (needs miltertest)
"""
import pathlib
import shutil
import signal
import subprocess

import pytest

from relay_harness import REPO, free_port, wait_for_port

SCRIPTS_DIR = pathlib.Path(__file__).resolve().parent / "milter"
SCRIPTS = sorted(p for p in SCRIPTS_DIR.glob("*.lua") if not p.name.startswith("_"))
AV_DB = REPO / "examples" / "clamav"
MILTERTEST = shutil.which("miltertest")

pytestmark = pytest.mark.skipif(MILTERTEST is None,
                                reason="miltertest is not installed (apt-get install miltertest)")


class RunningMilter:
    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.sock = f"inet:{port}@127.0.0.1"
        self.log_path = log_path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 40) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


@pytest.fixture(scope="module")
def milter(build_dir, tmp_path_factory):
    binary = build_dir / "bin" / "ksmg-milter"
    assert binary.is_file(), f"build ksmg-milter first (looked for {binary})"
    assert (AV_DB / "eicar.hdb").is_file(), f"no test AV database in {AV_DB}"
    work = tmp_path_factory.mktemp("milter-miltertest")
    config = work / "milter.toml"
    config.write_text(f'[milter]\ndata_dir = "{work / "data"}"\n')
    port = free_port()
    log_path = work / "milter.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(binary), "--listen", f"inet:{port}@127.0.0.1",
                                 "--config", str(config), "--av-db", str(AV_DB)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    running = RunningMilter(proc, port, log_path)
    try:
        wait_for_port(port, timeout=30, proc=proc)
    except Exception as e:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        pytest.fail(f"ksmg-milter did not start ({e}):\n{running.log_tail()}")
    yield running
    assert running.alive(), \
        f"ksmg-milter died (exit {proc.returncode}):\n{running.log_tail()}"
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"ksmg-milter did not exit within 20 s of SIGTERM:\n{running.log_tail()}")
    assert code == 0, f"ksmg-milter exited with {code} after SIGTERM:\n{running.log_tail()}"


def test_scripts_are_there():
    assert len(SCRIPTS) >= 10, f"miltertest scripts missing in {SCRIPTS_DIR}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_miltertest_script(milter, script):
    assert milter.alive(), f"ksmg-milter is not running:\n{milter.log_tail()}"
    try:
        out = subprocess.run([MILTERTEST, "-s", str(script), "-D", f"sock={milter.sock}"],
                             capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script.name}: miltertest did not finish within 60 s\n"
                    f"stdout:\n{e.stdout}\nstderr:\n{e.stderr}\nmilter log:\n{milter.log_tail()}")
    report = (f"{script.name}: miltertest exited {out.returncode}\n"
              f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}\n"
              f"milter alive: {milter.alive()}; milter log (tail):\n{milter.log_tail()}")
    assert out.returncode == 0, report
    assert "PASS" in out.stdout.splitlines(), report
    assert milter.alive(), report


def test_milter_survived_every_script(milter):
    """Runs after the scripts (file order): the one milter served them all without dying."""
    assert milter.alive(), f"ksmg-milter died (exit {milter.proc.returncode}):\n{milter.log_tail()}"
    wait_for_port(int(milter.sock.split(":")[1].split("@")[0]), timeout=5)
