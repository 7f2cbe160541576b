"""message.py — owns the red team's model of a MIME message and its rendering to bytes.

An Entity is one MIME entity whose header fields are kept in order, with the Content-Type field
as a placeholder (rendered from `ctype` and `params`, each a raw "key=value" piece) so that a
trick can put fields before it, rename it or change its parameters without reparsing. A header
value's "\\n" is a fold. Bodies are either lines (joined by the message's line end, which a
trick may change) or raw bytes (binary, never touched). Multiparts write their delimiter lines
from `delimiter` and `delimiter_suffix` (transport padding), whatever `params` claim, because
the point of many tricks is that the two disagree.
"""
import random
from dataclasses import dataclass, field

CONTENT_TYPE = "Content-Type"


@dataclass
class Entity:
    ctype: str
    params: list[str] = field(default_factory=list)
    # (name, value); (CONTENT_TYPE, None) marks where the Content-Type field goes.
    fields: list[tuple[str, str | None]] = field(default_factory=lambda: [(CONTENT_TYPE, None)])
    ct_name: str = CONTENT_TYPE
    ct_separator: str = "; "
    lines: list[bytes] | None = None
    raw: bytes | None = None
    children: list["Entity"] = field(default_factory=list)
    delimiter: str | None = None
    delimiter_suffix: str = ""

    def ct_index(self) -> int:
        return next(i for i, (n, v) in enumerate(self.fields) if v is None)

    def add_field(self, name: str, value: str) -> None:
        self.fields.append((name, value))

    def set_field(self, name: str, value: str) -> None:
        """Replaces every field of that name by one, where the first one was (or at the end)."""
        at = [i for i, (n, v) in enumerate(self.fields) if v is not None and n.lower() ==
              name.lower()]
        if not at:
            self.add_field(name, value)
            return
        self.fields[at[0]] = (name, value)
        for i in reversed(at[1:]):
            del self.fields[i]

    def field_index(self, name: str) -> int | None:
        return next((i for i, (n, v) in enumerate(self.fields)
                     if v is not None and n.lower() == name.lower()), None)


class LineEnds:
    """The line end of a rendering: one sequence, or a random one of several per line."""

    def __init__(self, choices: list[bytes], rng: random.Random | None = None):
        self.choices, self.rng = choices, rng

    def __call__(self) -> bytes:
        if len(self.choices) == 1:
            return self.choices[0]
        return self.rng.choice(self.choices)


def _join(lines: list[bytes], nl: LineEnds) -> bytes:
    out = bytearray()
    for i, line in enumerate(lines):
        if i:
            out += nl()
        out += line
    return bytes(out)


def _field_lines(e: Entity) -> list[bytes]:
    out = []
    for name, value in e.fields:
        if value is None:
            name = e.ct_name
            value = e.ct_separator.join([e.ctype] + e.params)
        out += f"{name}: {value}".encode("utf-8").split(b"\n")
    return out


def render(e: Entity, nl: LineEnds) -> bytes:
    """The entity's bytes, without a line end after its last line (the delimiter or the end of
    the message owns that one)."""
    head = _join(_field_lines(e), nl) + nl() + nl()
    if e.children:
        d = e.delimiter.encode()
        pad = e.delimiter_suffix.encode()
        body = bytearray()
        for child in e.children:
            body += b"--" + d + pad + nl() + render(child, nl) + nl()
        body += b"--" + d + b"--" + pad + nl()
        return head + bytes(body)
    if e.raw is not None:
        return head + e.raw
    return head + _join(e.lines or [], nl)
