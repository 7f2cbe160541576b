#!/usr/bin/python3
"""run.py — the red team by hand: longer runs than CI's, failing messages kept for study.

  /usr/bin/python3 tests/redteam/run.py --seed S --count N --out DIR [--budget SECONDS]
      [--strict] [--tricks a,b] [--build-dir build]

Generates N messages from seed S (grammar.py), has the clients and ksmg read each (judge.py),
writes every failing message to DIR as <seed>.eml with <seed>.txt (tricks, clients, ksmg's
verdict and objects, the smallest subset of its tricks that still fails), and prints the tally
per trick and the failures grouped by that smallest subset, with the smallest example of each.
--tricks composes only those tricks (one per slot) on every message, for studying one class.
--strict counts a payload delivered as "not scanned", "encrypted" or "corrupted" as missed.
Exit status: 0 when nothing failed, 1 otherwise.
"""
import argparse
import os
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import campaign  # noqa: E402
import grammar  # noqa: E402
import judge  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--budget", type=float, default=float("inf"), help="wall seconds at most")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--tricks", help="compose only these tricks, comma-separated")
    ap.add_argument("--build-dir", type=pathlib.Path,
                    default=pathlib.Path(os.environ.get("KSMG_BUILD_DIR", HERE.parents[1] /
                                                        "build")))
    args = ap.parse_args()
    sys.path.insert(0, str(args.build_dir.resolve() / "python"))
    import ksmg

    names = args.tricks.split(",") if args.tricks else None
    unknown = [n for n in names or [] if n not in grammar.BY_NAME]
    if unknown:
        ap.error(f"unknown tricks {unknown}; known: {sorted(grammar.BY_NAME)}")
    with tempfile.TemporaryDirectory() as db:
        engine = ksmg.Engine(av_db=judge.write_av_db(pathlib.Path(db)))
    report = campaign.run(engine, ksmg, args.seed, args.count, args.budget, args.out,
                          args.strict, names, minimize=True)
    print(report.summary())
    if report.failures:
        print(f"failing messages in {args.out}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
