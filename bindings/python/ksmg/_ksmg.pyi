"""Type stubs of ksmg._ksmg, the compiled part of the ksmg package (bindings/python/src).

The contract of the Python API: the C++ module implements exactly this, ksmg/__init__.py re-exports
it and adds Engine.scan_many. Every str is valid UTF-8 (bytes that are not become U+FFFD); every
bytes-like argument is read without a copy when it is `bytes`, copied once otherwise.
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Mapping, Sequence

BytesLike = bytes | bytearray | memoryview
PathLike = str | os.PathLike[str]

__version__: str


class KsmgError(Exception):
    """Base of every error the module raises."""


class ConfigError(KsmgError):
    """A configuration, dictionary or anti-virus database that does not load; the message says
    the file, line, column and key at fault."""
    file: str
    line: int      # 1-based; 0 when about the whole file
    column: int
    key: str


class Finding(Mapping[str, str]):
    """One thing a module found. As a mapping it is its JSON object {"where", "what", "detail"}
    (equal to that dict); the keys are also attributes: f.what reads f["what"]."""
    where: str    # the object it is in: "2/eicar.com" ("" for the whole message)
    what: str     # signature, dictionary entry or rule: "Eicar-Signature"
    detail: str   # free detail: "infected", ...
    def __getitem__(self, key: str) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...


class ModuleResult(Mapping[str, Any]):
    """What one module concluded. As a mapping it is its JSON object {"status", "findings",
    "info"} (equal to that dict); the keys are also attributes: m.status reads m["status"]."""
    status: str               # "clean", "infected", "triggered", "not_scanned", ...
    findings: list[Finding]
    info: str                 # engine and database: "ClamAV 1.4.6; db local ...", or ""
    def __getitem__(self, key: str) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...


class Verdict(Mapping[str, Any]):
    """What scanning one message concluded. As a mapping it is the JSON document of
    `ksmg scan --json` (without "file" and "message"), plain dicts and lists all the way down:
    v["action"], v["antivirus"]["status"], v["headers"]["X-KSMG-AntiVirus-Status"], ...
    The attributes are the same facts, typed, down to each finding: v.action,
    v.antivirus.status, v.content_filter.findings[0].what. A module that did not run (switched
    off in the configuration's [modules]) has no key in the mapping (KeyError) and None as its
    attribute, as v.status(name) is None."""
    action: str                         # "deliver" | "tempfail" | "discard" | "reject"
    reason: str | None                  # "antivirus: infected (Eicar-Signature in 2/eicar.com)"
    decided_by: tuple[str, str] | None  # (module, status) whose decision set the action
    extras: dict[str, Any]              # non-default extras: {"backup": True, "subject_tag": ...}
    antivirus: ModuleResult | None      # one attribute per module, named as its key
    content_filter: ModuleResult | None
    antispam: ModuleResult | None
    antiphishing: ModuleResult | None
    auth: ModuleResult | None
    modules: dict[str, ModuleResult]    # the modules that ran, in the document's order
    headers: list[tuple[str, str]]      # the X-KSMG-* fields, in order
    scanned_as: str                     # "message" | "file"
    objects: int                        # objects in the message's tree
    flags: list[str]                    # union of the objects' flags ("encrypted", "macros", ...)
    limits_exceeded: list[str]
    defects: list[str]                  # MIME defects of the message: malformed input is a
                                        # verdict with defects, never an exception
    engine_generation: int

    def status(self, module: str) -> str | None: ...   # v.status("antivirus") -> "infected"
    def to_json(self, indent: int | None = None) -> str: ...
    def __getitem__(self, key: str) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...


class Engine:
    """Everything compiled from a configuration (dictionaries, rules, the ClamAV database);
    shared by every thread. config: a TOML file (None: the built-in defaults). av_db: a ClamAV
    database directory that replaces the configured one and turns the anti-virus module on.
    Raises ConfigError (KsmgError) when anything does not load."""

    def __init__(self, config: PathLike | None = None, av_db: PathLike | None = None) -> None: ...
    @classmethod
    def from_toml(cls, path: PathLike, av_db: PathLike | None = None) -> Engine: ...

    # The GIL is released for the whole scan; any number of threads may scan at once (each OS
    # thread keeps its own scanner state).
    def scan(self, data: BytesLike, *, sender: str | None = None,
             recipients: Iterable[str] = (), client_ip: str | None = None,
             helo: str | None = None) -> Verdict: ...
    # A file that is not a mail message, scanned as one attachment called `name`.
    def scan_file(self, data: BytesLike, name: str = "file") -> Verdict: ...
    # Defined in ksmg/__init__.py: verdicts in input order, `threads` scans at a time.
    def scan_many(self, messages: Iterable[BytesLike], threads: int | None = None, *,
                  sender: str | None = None, recipients: Iterable[str] = (),
                  client_ip: str | None = None, helo: str | None = None) -> Iterator[Verdict]: ...
    # scan_many's engine room: a list scanned by `threads` threads at once, verdicts in order.
    def _scan_batch(self, messages: list[BytesLike], threads: int, *, sender: str | None = None,
                    recipients: Iterable[str] = (), client_ip: str | None = None,
                    helo: str | None = None) -> list[Verdict]: ...
    # Compiles the same configuration (and database directory) again and swaps it in; scans in
    # flight finish on the old one. Raises ConfigError and keeps the engine in service on failure.
    def reload(self) -> None: ...

    generation: int            # increases with every reload
    antivirus: bool            # the anti-virus module is on (a database is loaded)
    config_path: str | None


class Header:
    name: str
    value: str       # unfolded, RFC 2047 words decoded
    raw: bytes       # as written after the colon, folding kept


class Part:
    """One MIME entity."""
    index: int
    path: str                 # "0" root, "1", "1.2", ...
    kind: str                 # "leaf" | "multipart" | "message"
    depth: int
    content_type: str         # "text/plain" (defaulted per RFC 2045 when absent or broken)
    charset: str | None
    disposition: str | None   # "inline" | "attachment" | ...
    filename: str | None
    transfer_encoding: str    # "none" | "7bit" | "8bit" | "binary" | "base64" | ...
    headers: list[Header]
    children: list[Part]
    defects: list[str]
    @property
    def body(self) -> bytes: ...           # transfer-decoded bytes
    @property
    def text(self) -> str | None: ...      # text parts: decoded and converted to str; else None
    @property
    def visible_text(self) -> str | None: ...  # like text, HTML rendered to plain text


class Message:
    raw: bytes
    headers: list[Header]                  # of the root
    root: Part
    parts: list[Part]                      # every part, in document order
    defects: list[str]                     # of every part
    limits_exceeded: list[str]
    def header(self, name: str) -> str | None: ...   # first field of that name, decoded
    def addresses(self, name: str) -> list[tuple[str, str]]: ...  # (display name, address)


class Object:
    """One scannable object: a MIME leaf, an archive member, ..."""
    index: int
    parent: int | None
    depth: int
    origin: str               # "file" | "mime_part" | "member" | "uuencoded"
    path: str                 # "2/invoice.zip/docs/report.xlsm"
    name: str
    declared_type: str
    true_type: str            # "application/zip"
    category: str             # "archive", "executable", ...
    size: int
    sha256: str
    container: str            # format it was taken apart as, or ""
    password: str             # the password from the message's text that opened it, or ""
    flags: list[str]
    limits_exceeded: list[str]
    children: list[int]
    @property
    def data(self) -> bytes: ...


def parse(data: BytesLike) -> Message: ...
# The object tree of a message (or, with name=..., of a file scanned as one attachment).
def objects(data: BytesLike, *, name: str | None = None) -> list[Object]: ...
