"""ksmg — the ksmg mail-scanning library from Python.

    import ksmg
    engine = ksmg.Engine(av_db="/var/lib/clamav")
    verdict = engine.scan(open("message.eml", "rb").read(), sender="a@example.org")
    verdict.action, verdict.antivirus.status, verdict["antivirus"]["status"], verdict.to_json()
    for v in engine.scan_many(messages, threads=4): ...
    msg = ksmg.parse(raw); msg.root.children[0].text
    for obj in ksmg.objects(raw): obj.path, obj.true_type

The compiled module (ksmg._ksmg, pybind11 over libksmg's public C++ API) does the work and
releases the GIL while it scans; this file adds what is plainer in Python: scan_many.
"""
from __future__ import annotations

import os
from itertools import islice
from typing import Iterable, Iterator

from ._ksmg import (ConfigError, Engine, Finding, Header, KsmgError, Message, ModuleResult, Object,
                    Part, Verdict, __version__, objects, parse)

__all__ = ["ConfigError", "Engine", "Finding", "Header", "KsmgError", "Message", "ModuleResult",
           "Object", "Part", "Verdict", "__version__", "objects", "parse"]


def _scan_many(self: Engine, messages: Iterable, threads: int | None = None, *,
               sender: str | None = None, recipients: Iterable[str] = (),
               client_ip: str | None = None, helo: str | None = None) -> Iterator[Verdict]:
    """Verdicts of `messages`, in their order, `threads` scans at a time (default: one per
    core). The iterable is read lazily, a batch at a time (64 messages per thread): the batch is
    scanned in C++ by that many threads without the GIL, so a scan costs Python no more than a
    plain engine.scan() call would."""
    workers = (os.cpu_count() or 1) if threads is None else threads
    if workers < 1:
        raise ValueError("threads must be at least 1")
    envelope = {"sender": sender, "recipients": tuple(recipients), "client_ip": client_ip,
                "helo": helo}
    batch_size = 64 * workers
    it = iter(messages)
    while True:
        batch = list(islice(it, batch_size))
        if not batch:
            return
        yield from self._scan_batch(batch, workers, **envelope)


Engine.scan_many = _scan_many
