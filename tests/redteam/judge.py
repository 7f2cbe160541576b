"""judge.py — owns the red team's verdict on one message: does ksmg scan or flag every payload a
client extracts?

ksmg is asked through its Python module: ksmg.objects(raw) for the object tree (every MIME leaf
and archive member with the SHA-256 of its decoded bytes) and Engine.scan(raw) for the verdict,
with an anti-virus database that detects the EICAR file at offset 0 of any object (write_av_db).

A payload is covered when
  - its SHA-256 is among the objects of ksmg's tree (ksmg extracted the same bytes), or
  - ksmg flags the message.
"Flagged" means the recipient does not get the message as clean: the action is not deliver, or
the anti-virus status is anything but clean (infected, probably_infected, encrypted, corrupted,
not_scanned, error: each is stated in X-KSMG-AntiVirus-Status and each has its own action in the
policy). With strict=True only infected counts: a payload that reaches the recipient under
"not scanned" or "encrypted" is reported too (the default action table delivers those).

A failure is a message whose payload some client extracts while ksmg neither has it in its tree
nor flags it; a message from which no client extracts a payload is inert (the tricks did not
deliver it) and is not judged.
"""
import hashlib
import pathlib
from dataclasses import dataclass, field

import clients
from grammar import EICAR

_NOT_FLAGGED = {"clean"}


def write_av_db(directory: pathlib.Path) -> pathlib.Path:
    """A ClamAV database with one body signature: EICAR at offset 0 of an object. A hash
    signature would miss EICAR followed by a line end, which every engine detects."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "redteam.ndb").write_text(f"Redteam.EICAR:0:0:{EICAR.hex()}\n")
    return directory


@dataclass
class Judgement:
    payloads: list[clients.Item] = field(default_factory=list)   # what clients extracted
    missing: list[clients.Item] = field(default_factory=list)    # of those, not in ksmg's tree
    action: str = ""
    av_status: str = ""
    flagged: bool = False
    ksmg_objects: list[str] = field(default_factory=list)        # "path sha256[:12] flags"

    @property
    def inert(self) -> bool:
        return not self.payloads

    @property
    def failed(self) -> bool:
        return bool(self.missing) and not self.flagged


def judge(engine, ksmg_module, raw: bytes, strict: bool = False) -> Judgement:
    j = Judgement()
    j.payloads = [i for i in clients.extract(raw) if i.is_payload]
    if not j.payloads:
        return j
    tree = ksmg_module.objects(raw)
    hashes = {o.sha256 for o in tree}
    j.ksmg_objects = [f"{o.path} {o.sha256[:12]} {o.true_type} {','.join(o.flags)}".rstrip()
                      for o in tree]
    j.missing = [i for i in j.payloads if hashlib.sha256(i.data).hexdigest() not in hashes]
    v = engine.scan(raw)
    j.action, j.av_status = v.action, v.status("antivirus")
    j.flagged = (j.av_status == "infected" if strict else
                 v.action != "deliver" or j.av_status not in _NOT_FLAGGED)
    if strict and j.av_status != "infected":
        # Strict: what ksmg extracted but did not call infected counts as missed too.
        j.missing = j.payloads
    return j
