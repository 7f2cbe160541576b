#!/usr/bin/python3
"""milter_load.py — owns the SMTP load benchmark of Postfix with ksmg-milter attached against the
same Postfix without it.

Acceptance line: smtp-source drives the SpamAssassin corpus through a private Postfix whose
smtpd_milters is ksmg-milter (scanning every message, anti-virus on) to smtp-sink; report
msgs/s, and the same run through the same Postfix without the milter, and the ratio — for the
milter on an inet socket (the README's default) and on a unix socket, both in one run: the two
differ in TCP's behaviour alone (delayed ACKs, Nagle; see servers/common/tcp_quickack.hpp).

Run (as root: the private Postfix needs it; stdlib only):
    /usr/bin/python3 bench/milter_load.py       # postfix, milter-inet, milter-unix, twice
    /usr/bin/python3 bench/milter_load.py --limit 600 --repeat 2 --rounds 2
    /usr/bin/python3 bench/milter_load.py --only milter --socket unix --sessions 16
Options as bench/relay_load.py's: --corpus DIR, --limit N, --sessions N (8), --repeat R (4),
--rounds N (2), --only postfix|milter, --milter PATH (build/bin/ksmg-milter, or
$KSMG_BUILD_DIR/bin/ksmg-milter), --milter-config FILE (default: written, see MILTER_CONFIG;
a given file is used as is, the socket and data dir go on the command line), --av-db DIR
(examples/clamav), --socket inet|unix|both (both: the default; inet is inet:PORT@127.0.0.1;
--unix is --socket unix), --no-baseline, --timeout S per run (600).
Output: one JSON object on stdout (every run, the best run per target — postfix, milter-inet,
milter-unix — and each milter target's ratio to postfix of the best msgs/s); progress and a
summary on stderr. Exit 0 when every run delivered every message, 1 when a run failed, 2 on bad
usage / missing binary.

Everything about how a run is driven and measured is relay_load.py's, imported, not copied:
the corpus staging (find_corpus, stage_corpus), the driver (send_all: one `smtp-source -m R -F
file` per corpus file, --sessions of them at once), run_once (fresh sink and target per run,
the clock stops when smtp-sink has counted every message), the Postfix target and the baseline
(smtp-source straight into smtp-sink). Read its docstring for why --repeat exists and what the
numbers mean. The only new piece here is MilterTarget: a ksmg-milter (tests/e2e/milter_harness)
plus a private Postfix with the documented milter lines in main.cf, both started outside the
clock; run_once is handed it as its target factory (see run_milter_once).

Both Postfix instances are identical but for the milter lines; the milter's configuration turns
libclamav's clean cache off, because the R copies of a file are identical (as relay_load does).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from relay_load import (SMTP_SOURCE, find_corpus, human, run_once,  # noqa: E402
                        stage_corpus)
from postfix_instance import PostfixInstance, postfix_available  # noqa: E402
from milter_harness import Milter  # noqa: E402

MILTER_CONFIG = """\
[modules]
antivirus = true

# The copies of a message (--repeat) are identical: libclamav's cache of clean contents would
# scan each file once instead of R times.
[antivirus]
clean_cache = false
"""


def log(msg: str) -> None:
    print(f"milter_load: {msg}", file=sys.stderr, flush=True)


class MilterTarget:
    """A private Postfix on `port` relaying to the sink, with ksmg-milter as its smtpd milter
    on a unix socket or on inet:PORT@127.0.0.1."""
    # Verdict lines (" action=") in the last stopped milter's log: proof that the messages went
    # through the milter, not around it.
    last_verdicts: int | None = None

    def __init__(self, port: int, sink_port: int, workdir: pathlib.Path, args, unix: bool):
        self.port = port
        self.name = "milter-unix" if unix else "milter-inet"
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="milter.", dir=workdir))
        os.chmod(self.dir, 0o755)
        self.milter = Milter(binary=args.milter, workdir=self.dir / "ksmg-milter",
                             toml=MILTER_CONFIG, unix=unix, av_db=args.av_db,
                             config_file=args.milter_config, start_timeout=120)
        self.pf = PostfixInstance(port, next_hop=("127.0.0.1", sink_port),
                                  main_cf=self.milter.postfix_main_cf(),
                                  myhostname="postfix-bench.localdomain", parent_dir=str(self.dir))

    def start(self) -> None:
        log("  " + " ".join(self.milter.args))
        # Loading the AV database may take a while; the clock must not include it.
        self.milter.start()
        self.pf.start()

    def describe_failure(self) -> str:
        state = "running" if self.milter.alive() else "exited"
        return (f"{self.pf.queue_count()} message(s) still queued; ksmg-milter {state}\n"
                f"--- maillog tail ---\n{self.pf.log_text()[-1500:]}\n"
                f"--- ksmg-milter log tail ---\n{self.milter.log_text()[-1500:]}")

    def stop(self) -> None:
        try:
            self.pf.stop()
        finally:
            was_running = self.milter.alive()
            code = self.milter.stop(timeout=15)
            MilterTarget.last_verdicts = sum(
                1 for line in self.milter.log_text().splitlines() if " action=" in line)
            if was_running and code != 0:
                log(f"  ksmg-milter exited with {code} on SIGTERM:\n"
                    f"{self.milter.log_text()[-1500:]}")
            self.milter.cleanup()


MILTER_TARGETS = {"milter-inet": False, "milter-unix": True}  # target name -> on a unix socket


def run_milter_once(kind: str, files, args, workdir: pathlib.Path, round_no: int) -> dict:
    MilterTarget.last_verdicts = None
    unix = MILTER_TARGETS[kind]
    res = run_once(kind, files, args, workdir, round_no,
                   make_target=lambda port, sink_port, wd, a: MilterTarget(port, sink_port, wd, a,
                                                                           unix))
    res["milter_verdicts"] = MilterTarget.last_verdicts
    if res.get("delivered") and MilterTarget.last_verdicts != res["delivered"]:
        log(f"  warning: ksmg-milter logged {MilterTarget.last_verdicts} verdicts for "
            f"{res['delivered']} delivered messages")
    return res


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--only", choices=("postfix", "milter"))
    build = pathlib.Path(os.environ.get("KSMG_BUILD_DIR", REPO / "build"))
    ap.add_argument("--milter", type=pathlib.Path, default=build / "bin" / "ksmg-milter")
    ap.add_argument("--milter-config", type=pathlib.Path)
    ap.add_argument("--av-db", type=pathlib.Path, default=REPO / "examples" / "clamav")
    ap.add_argument("--socket", choices=("inet", "unix", "both"), default="both")
    ap.add_argument("--unix", action="store_const", const="unix", dest="socket",
                    help="the same as --socket unix")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    if min(args.sessions, args.rounds, args.repeat, args.limit or 1) < 1:
        ap.error("--sessions, --rounds, --repeat and --limit must be >= 1")
    if args.milter_config:
        args.milter_config = args.milter_config.resolve()

    sockets = ("inet", "unix") if args.socket == "both" else (args.socket,)
    milters = [f"milter-{s}" for s in sockets]
    targets = (["postfix"] if args.only != "milter" else []) + \
        (milters if args.only != "postfix" else [])
    if args.only != "postfix" and not os.access(args.milter, os.X_OK):
        log(f"error: ksmg-milter binary not found at {args.milter} (build it, pass --milter "
            f"PATH, or run with --only postfix)")
        return 2
    if why := postfix_available():
        log(f"error: cannot run a private Postfix: {why}")
        return 2
    if not os.access(SMTP_SOURCE, os.X_OK):
        log(f"error: {SMTP_SOURCE} not found (Debian: apt-get install postfix)")
        return 2

    signal.signal(signal.SIGTERM, _raise_interrupt)
    corpus = find_corpus(args.corpus)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="ksmg-milter-load."))
    os.chmod(workdir, 0o755)  # the private Postfix lives below it and runs as 'postfix'
    runs = []
    try:
        files = stage_corpus(corpus, workdir / "corpus", args.limit)
        total = sum(s for _, s in files)
        log(f"corpus {corpus}: {len(files)} messages, {total / 1e6:.1f} MB; {args.sessions} "
            f"sessions, repeat {args.repeat}, {args.rounds} round(s) of {', '.join(targets)}")
        plan = [] if args.no_baseline else [("baseline", 1)]
        plan += [(t, r) for r in range(1, args.rounds + 1) for t in targets]
        for kind, r in plan:
            log(f"run {kind} round {r} ...")
            if kind in MILTER_TARGETS:
                res = run_milter_once(kind, files, args, workdir, r)
            else:
                res = run_once(kind, files, args, workdir, r)
            runs.append(res)
            log("  " + human(res))
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    best = {}
    for kind in ["baseline"] + targets:
        ok = [r for r in runs if r["target"] == kind and r["ok"]]
        if ok:
            best[kind] = max(ok, key=lambda r: r["msgs_per_s"])
    ratios = {}
    for kind in milters:
        if "postfix" in best and kind in best:
            ratios[kind] = round(best[kind]["msgs_per_s"] / best["postfix"]["msgs_per_s"], 3)
    doc = {
        "corpus": str(corpus), "messages": len(files), "bytes": total, "sessions": args.sessions,
        "repeat": args.repeat, "milter": str(args.milter),
        "driver": f"smtp-source -m {args.repeat} -F <file> per corpus file, {args.sessions} in parallel",
        "runs": runs,
        "best": {k: {"round": v["round"], "msgs_per_s": v["msgs_per_s"], "mb_per_s": v["mb_per_s"],
                     "seconds": v["seconds"]} for k, v in best.items()},
        "ratio_to_postfix": ratios,
    }
    print(json.dumps(doc, indent=2))
    for k, v in doc["best"].items():
        log(f"best {k}: {v['msgs_per_s']} msgs/s, {v['mb_per_s']} MB/s (round {v['round']})")
    for kind, ratio in ratios.items():
        log(f"postfix+ksmg-milter on {kind.split('-')[1]} / postfix alone = {ratio}")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
