#!/usr/bin/python3
"""scan_mailbox.py — scan every message of an mbox file or a maildir with ksmg and print a table:
the message (its index in an mbox, its file name in a maildir), From, Subject, the action the
policy decided (deliver, reject, tempfail, discard) and why.

    PYTHONPATH=build/python examples/python/scan_mailbox.py --av-db examples/clamav ~/mail/inbox
    PYTHONPATH=build/python examples/python/scan_mailbox.py --config /etc/ksmg/ksmg.toml Maildir/

The mailbox is read with Python's own `mailbox` module (a directory with cur/ and new/ is a
maildir, anything else an mbox file) and scanned with Engine.scan_many, --threads messages at a
time. Exit status as `ksmg scan`'s: 0 every message delivered, 1 the policy acted on at least one,
2 an error (a configuration or anti-virus database that does not load, an unreadable mailbox).
"""
from __future__ import annotations

import argparse
import mailbox
import os
import sys

import ksmg


def open_mailbox(path: str) -> mailbox.Mailbox:
    if os.path.isdir(path):
        if not all(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new")):
            raise OSError(f"{path}: a directory that is not a maildir (no cur/ and new/)")
        return mailbox.Maildir(path, factory=None, create=False)
    if not os.path.isfile(path):
        raise OSError(f"{path}: no such file")
    return mailbox.mbox(path, factory=None, create=False)


def messages(box: mailbox.Mailbox):
    """(label, raw bytes) of every message: mbox in file order, maildir by file name."""
    keys = list(box.keys())
    if isinstance(box, mailbox.Maildir):
        keys.sort()
        for key in keys:
            yield key, box.get_bytes(key)
    else:
        for i, key in enumerate(keys):
            yield str(i), box.get_bytes(key)


def clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mailbox", help="an mbox file or a maildir directory")
    ap.add_argument("--config", help="ksmg TOML configuration (default: the built-in defaults)")
    ap.add_argument("--av-db", help="ClamAV database directory (e.g. examples/clamav)")
    ap.add_argument("--threads", type=int, default=None,
                    help="messages scanned at once (default: one per core)")
    args = ap.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be at least 1")

    try:
        engine = ksmg.Engine(config=args.config, av_db=args.av_db)
        box = open_mailbox(args.mailbox)
        items = list(messages(box))
    except (ksmg.KsmgError, OSError) as e:
        print(f"scan_mailbox: {e}", file=sys.stderr)
        return 2

    labels = [label for label, _ in items]
    raws = [raw for _, raw in items]
    verdicts = engine.scan_many(raws, threads=args.threads)
    first = max([len("message")] + [len(label) for label in labels])
    print(f"{'message':<{first}}  {'From':<36}  {'Subject':<36}  {'action':<8}  reason")
    acted = 0
    for label, raw, v in zip(labels, raws, verdicts):
        msg = ksmg.parse(raw)
        acted += v.action != "deliver"
        print(f"{label:<{first}}  {clip(msg.header('From'), 36):<36}  "
              f"{clip(msg.header('Subject'), 36):<36}  {v.action:<8}  {v.reason or '-'}")
    print(f"{len(items)} messages, {acted} acted on")
    return 1 if acted else 0


if __name__ == "__main__":
    sys.exit(main())
