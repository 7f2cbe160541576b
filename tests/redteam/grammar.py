"""grammar.py — owns the red team's grammar: the payloads, the tricks and how one seed composes
them into a hostile message.

A message is always the same story: a short text part and an attachment that carries the
EICAR test file (as itself, or inside an archive), in a multipart/mixed. A seed picks 1-3 tricks
from distinct slots and applies them in the order of the slots, each picking its own variant:

  container        what holds EICAR: zip views that disagree, a tar or zip with a text marker in
                   its first kilobyte, ZipCrypto with the password in the text (principles 5, 6, 9)
  encoding         how the attachment is carried: lenient base64, QP soft breaks, uuencode, yEnc,
                   an HTML data: URL (principles 4, 7)
  part_headers     the attachment's header: two or padded or commented CTEs, fields before its
                   Content-Type (principles 1, 2, 3)
  boundary         the multipart's parameters: caps before boundary=, duplicated or RFC 2231
                   boundaries, comments, blanks, an empty boundary (principles 1, 2, 3)
  structure        around the multipart: deep nesting, message/rfc822 encoded, an .eml file
                   (principles 1, 5)
  top_headers      the outermost header: fields before Content-Type, two Content-Types, a type
                   written oddly (principles 1, 2, 3)
  line_ends        bare CR, bare LF, mixed (principles 3, 10)

generate(seed) is deterministic: the same seed gives the same bytes and the same trick list.
Every trick is validated by the clients (clients.py): a message no client extracts the payload
from is not an evasion and is not judged; run.py reports how often each trick reached a client.
"""
import base64
import binascii
import io
import quopri
import random
import tarfile
import urllib.parse
from dataclasses import dataclass, field

from message import Entity, LineEnds, render
from ziparchive import Entry, write_zip

# The 68-byte EICAR test file: harmless by design, detected by every anti-virus engine.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_NAME = "eicar.com"


@dataclass
class Build:
    """The message under construction, as the tricks see it."""
    rng: random.Random
    name: str                       # the attachment's file name
    data: bytes                     # the attachment's bytes before transfer encoding
    text: list[str]                 # lines of the text part (a password may be added)
    carrier: Entity | None = None   # the attachment's entity, made by the encoding stage
    multipart: Entity | None = None  # the multipart/mixed that holds the text and the carrier
    root: Entity | None = None      # the outermost entity
    line_ends: LineEnds = field(default_factory=lambda: LineEnds([b"\r\n"]))
    applied: list[str] = field(default_factory=list)


def _token(rng: random.Random, prefix: str, n: int = 12) -> str:
    return prefix + "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _b64_lines(data: bytes) -> list[bytes]:
    return base64.encodebytes(data).splitlines()


# ---- the default message (no trick) ---------------------------------------------------------

def _attachment(b: Build, ctype: str = "application/octet-stream") -> Entity:
    e = Entity(ctype, [f'name="{b.name}"'])
    e.add_field("Content-Disposition", f'attachment; filename="{b.name}"')
    return e


def _encode_base64(b: Build) -> None:
    b.carrier = _attachment(b)
    b.carrier.add_field("Content-Transfer-Encoding", "base64")
    b.carrier.lines = _b64_lines(b.data)


def _assemble(b: Build) -> None:
    text = Entity("text/plain", ["charset=us-ascii"])
    text.lines = [t.encode() for t in b.text]
    boundary = _token(b.rng, "=_b")
    mp = Entity("multipart/mixed", [f'boundary="{boundary}"'], delimiter=boundary,
                children=[text, b.carrier])
    mp.fields = [("From", "Alice <alice@example.net>"), ("To", "bob@example.org"),
                 ("Subject", "invoice"), ("Date", "Mon, 3 Jun 2024 10:00:00 +0000"),
                 ("Message-ID", f"<{_token(b.rng, 'm')}@example.net>"), ("MIME-Version", "1.0"),
                 ("Content-Type", None)]
    b.multipart = b.root = mp


# ---- container: what holds EICAR -------------------------------------------------------------

def _zip_views(b: Build) -> str:
    decoy = Entry("readme.txt", b"Quarterly figures attached.\n")
    eicar = Entry(EICAR_NAME, EICAR)
    junk = bytes(b.rng.randrange(256) for _ in range(b.rng.randrange(40, 200)))
    variant = b.rng.choice(["local_only", "end_record_far", "junk_between", "prefix"])
    if variant == "local_only":
        # The central directory lists the decoy only; a streaming unzip sees both.
        b.data = write_zip([eicar, decoy], central=["readme.txt"])
    elif variant == "end_record_far":
        # More than 64 KiB after the end record: readers that look for it near the end fail.
        b.data = write_zip([decoy, eicar], suffix=bytes(70_000))
    elif variant == "junk_between":
        b.data = write_zip([decoy, eicar], between=junk)
    else:  # a self-extractor's stub before the archive
        b.data = write_zip([decoy, eicar], prefix=b"MZ" + junk)
    b.name = "invoice.zip"
    return variant


_TEXT_MARKERS = {
    "html": b"<!DOCTYPE html><html><body>hello</body></html>\n",
    "mail": b"From: alice@example.net\nSubject: notes\n\nhello\n",
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    "rtf": b"{\\rtf1\\ansi hello}\n",
    "script": b"#!/bin/sh\necho hello\n",
}


def _text_marker(b: Build) -> str:
    marker = b.rng.choice(sorted(_TEXT_MARKERS))
    form = b.rng.choice(["tar", "zip"])
    if form == "tar":
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, data in (("notes.txt", _TEXT_MARKERS[marker]), (EICAR_NAME, EICAR)):
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(data), 1717400000
                tar.addfile(info, io.BytesIO(data))
        b.data, b.name = out.getvalue(), "backup.tar"
    else:
        b.data = write_zip([Entry("notes.txt", _TEXT_MARKERS[marker], deflate=False),
                            Entry(EICAR_NAME, EICAR)])
        b.name = "backup.zip"
    return f"{form}_{marker}"


def _password_in_text(b: Build) -> str:
    password = _token(b.rng, "Inv-", 6)
    b.data = write_zip([Entry(EICAR_NAME, EICAR, password=password.encode())],
                       rng_bytes=bytes(b.rng.randrange(256) for _ in range(11)))
    b.name = "invoice.zip"
    variant = b.rng.choice(["colon", "sentence", "own_line"])
    b.text += {"colon": [f"Password: {password}"],
               "sentence": [f"The archive is protected, the password is {password} ."],
               "own_line": ["Open it with:", "", password]}[variant]
    return variant


# ---- encoding: how the attachment is carried -------------------------------------------------

def _b64_stray_padding(b: Build) -> str:
    # Pieces encoded one by one: '=' padding inside the stream, where strict decoders stop.
    cuts = sorted(b.rng.sample(range(1, len(b.data)), 2))
    pieces = [b.data[:cuts[0]], b.data[cuts[0]:cuts[1]], b.data[cuts[1]:]]
    joined = b"".join(base64.b64encode(p) for p in pieces)
    _encode_base64(b)
    b.carrier.lines = [joined[i:i + 76] for i in range(0, len(joined), 76)]
    return "pieces"


def _b64_junk(b: Build) -> str:
    junk = b.rng.choice([b"!", b"*", b".", b" ", b"\t", b"\xa0"])
    _encode_base64(b)
    out = []
    for line in b.carrier.lines:
        at = b.rng.randrange(len(line) + 1)
        out.append(line[:at] + junk + line[at:])
    b.carrier.lines = out
    return f"char_{junk.hex()}"


def _qp_soft_breaks(b: Build) -> str:
    ending = b.rng.choice(["cr", "blank", "tab", "crlf_in_lf"])
    encoded = quopri.encodestring(b.data, quotetabs=True).replace(b"=\n", b"")
    # Soft breaks every few characters, each followed by an odd line end.
    chunks, i = [], 0
    while i < len(encoded):
        n = b.rng.randrange(8, 30)
        while encoded[i + n - 1:i + n] == b"=" or encoded[i + n - 2:i + n - 1] == b"=":
            n += 1  # never split an =XX escape
        chunks.append(encoded[i:i + n])
        i += n
    tail = {"cr": b"=\r", "blank": b"= ", "tab": b"=\t", "crlf_in_lf": b"=\r"}[ending]
    lines = [c + tail for c in chunks[:-1]] + [chunks[-1]]
    b.carrier = _attachment(b)
    b.carrier.add_field("Content-Transfer-Encoding", "quoted-printable")
    b.carrier.lines = lines
    if ending == "crlf_in_lf":
        b.line_ends = LineEnds([b"\n"])
    return ending


def _uuencode_lines(b: Build, begin: str) -> list[bytes]:
    lines = [begin.encode()]
    for i in range(0, len(b.data), 45):
        lines.append(binascii.b2a_uu(b.data[i:i + 45]).rstrip(b"\n"))
    return lines + [b"`", b"end"]


def _uuencode_cte(b: Build) -> str:
    variant = b.rng.choice(["x-uuencode", "uuencode", "x-uue"])
    mode = b.rng.choice(["644", "0644", "755"])
    b.carrier = _attachment(b)
    b.carrier.add_field("Content-Transfer-Encoding", variant)
    b.carrier.lines = _uuencode_lines(b, f"begin {mode} {b.name}")
    return f"{variant}_{mode}"


def _uuencode_in_text(b: Build) -> str:
    # What Outlook and newsreaders decode from a plain text body.
    mode = b.rng.choice(["644", "0644", "666"])
    b.carrier = Entity("text/plain", ["charset=us-ascii"])
    b.carrier.lines = [b"Here it is:", b""] + _uuencode_lines(b, f"begin {mode} {b.name}")
    return mode


def _yenc(data: bytes) -> list[bytes]:
    out, line = [], bytearray()
    for c in data:
        o = (c + 42) % 256
        if o in (0, 10, 13, 61) or (o in (9, 32, 46) and not line):
            line += bytes([61, (o + 64) % 256])
        else:
            line.append(o)
        if len(line) >= 128:
            out.append(bytes(line))
            line = bytearray()
    if line:
        out.append(bytes(line))
    return out


def _yenc_in_text(b: Build) -> str:
    b.carrier = Entity("text/plain", ["charset=x-user-defined"])
    b.carrier.lines = ([b"Part 1:", f"=ybegin line=128 size={len(b.data)} name={b.name}".encode()]
                       + _yenc(b.data) + [f"=yend size={len(b.data)}".encode()])
    b.carrier.add_field("Content-Transfer-Encoding", "8bit")
    return "single_part"


def _html_data_url(b: Build) -> str:
    variant = b.rng.choice(["plain", "entities", "percent", "entity_scheme_percent"])
    b64 = base64.b64encode(b.data).decode()
    if variant == "plain":
        url = f"data:application/octet-stream;base64,{b64}"
    elif variant == "entities":
        url = "".join(f"&#{ord(c)};" if b.rng.random() < 0.5 else c
                      for c in f"data:application/octet-stream;base64,{b64}")
    elif variant == "percent":
        url = "data:application/octet-stream," + urllib.parse.quote_from_bytes(b.data, safe="")
    else:
        url = ("&#x64;&#x61;ta:application/octet-stream," +
               urllib.parse.quote_from_bytes(b.data, safe=""))
    html = f'<html><body><a download="{b.name}" href="{url}">invoice</a></body></html>'
    b.carrier = Entity("text/html", ["charset=us-ascii"])
    b.carrier.add_field("Content-Transfer-Encoding", "quoted-printable")
    b.carrier.lines = quopri.encodestring(html.encode()).splitlines()
    return variant


# ---- part_headers: the attachment's own header -------------------------------------------------

def _cte_index(e: Entity) -> int:
    i = e.field_index("Content-Transfer-Encoding")
    if i is None:
        e.add_field("Content-Transfer-Encoding", "base64")
        i = len(e.fields) - 1
    return i


def _two_ctes(b: Build) -> str:
    i = _cte_index(b.carrier)
    other = b.rng.choice(["7bit", "8bit", "binary", "quoted-printable"])
    first = b.rng.random() < 0.5
    b.carrier.fields.insert(i if first else i + 1, ("Content-Transfer-Encoding", other))
    return f"{other}_{'first' if first else 'second'}"


def _cte_padded(b: Build) -> str:
    i = _cte_index(b.carrier)
    value = b.carrier.fields[i][1]
    variant = b.rng.choice(["leading_blanks", "trailing_blanks", "folds"])
    n = b.rng.randrange(1000, 3000)
    value = {"leading_blanks": " " * n + value, "trailing_blanks": value + " " * n,
             "folds": "\n " * (n // 20) + value}[variant]
    b.carrier.fields[i] = ("Content-Transfer-Encoding", value)
    return variant


def _cte_comment(b: Build) -> str:
    i = _cte_index(b.carrier)
    value = b.carrier.fields[i][1]
    variant = b.rng.choice(["after", "before", "quoted", "upper", "blanks"])
    value = {"after": f"{value} (enc)", "before": f"(enc) {value}", "quoted": f'"{value}"',
             "upper": value.upper(), "blanks": f" \t{value}\t "}[variant]
    b.carrier.fields[i] = ("Content-Transfer-Encoding", value)
    return variant


def _fields_before(e: Entity, rng: random.Random, lo: int, hi: int) -> int:
    n = rng.randrange(lo, hi)
    i = e.ct_index()
    e.fields[i:i] = [(f"X-Note-{k}", f"v{k}") for k in range(n)]
    return n


def _part_fields_before_type(b: Build) -> str:
    _fields_before(b.carrier, b.rng, 1000, 1200)
    return "1000+"


# ---- boundary: the multipart's parameters -----------------------------------------------------

def _real_boundary(b: Build) -> str:
    return b.multipart.delimiter


def _replace_boundary_param(b: Build, pieces: list[str]) -> None:
    mp = b.multipart
    mp.params = [p for p in mp.params if not p.lower().startswith("boundary")] + pieces


def _long_param(b: Build) -> str:
    n = b.rng.randrange(70_000, 80_000)
    b.multipart.params.insert(0, f'x-pad="{"a" * n}"')
    return "70KB"


def _many_params(b: Build) -> str:
    n = b.rng.randrange(300, 400)
    b.multipart.params[0:0] = [f"p{k}=v{k}" for k in range(n)]
    b.multipart.ct_separator = ";\n\t"
    return "300+"


def _rfc2231(name: str, value: str, rng: random.Random) -> list[str]:
    if rng.random() < 0.5:
        return [f"{name}*=us-ascii''{urllib.parse.quote(value, safe='')}"]
    cut = rng.randrange(1, len(value))
    return [f'{name}*0="{value[:cut]}"', f'{name}*1="{value[cut:]}"']


def _boundary_plain_and_2231(b: Build) -> str:
    real, decoy = _real_boundary(b), _token(b.rng, "=_d")
    real_in_2231 = b.rng.random() < 0.5
    plain = [f'boundary="{decoy if real_in_2231 else real}"']
    ext = _rfc2231("boundary", real if real_in_2231 else decoy, b.rng)
    first_plain = b.rng.random() < 0.5
    _replace_boundary_param(b, plain + ext if first_plain else ext + plain)
    return f"real_{'2231' if real_in_2231 else 'plain'}_{'plain' if first_plain else '2231'}_first"


def _boundary_twice(b: Build) -> str:
    real, decoy = _real_boundary(b), _token(b.rng, "=_d")
    real_first = b.rng.random() < 0.5
    pair = [f'boundary="{real}"', f'boundary="{decoy}"']
    _replace_boundary_param(b, pair if real_first else pair[::-1])
    return "real_first" if real_first else "real_second"


def _boundary_comment(b: Build) -> str:
    real = _real_boundary(b)
    variant = b.rng.choice(["comment_before_eq", "blanks_around_eq", "comment_after",
                            "comment_before_value", "upper_name", "unquoted_blank_name"])
    piece = {"comment_before_eq": f'boundary (b)="{real}"',
             "blanks_around_eq": f'boundary = "{real}"',
             "comment_after": f'boundary="{real}" (b)',
             "comment_before_value": f'boundary=(b)"{real}"',
             "upper_name": f'BOUNDARY="{real}"',
             "unquoted_blank_name": f' boundary ="{real}"'}[variant]
    _replace_boundary_param(b, [piece])
    return variant


def _empty_boundary(b: Build) -> str:
    _replace_boundary_param(b, ['boundary=""'])
    b.multipart.delimiter = ""
    return "empty"


def _boundary_blanks(b: Build) -> str:
    real = _real_boundary(b)
    variant = b.rng.choice(["delimiter_lines", "param_value", "both"])
    if variant in ("delimiter_lines", "both"):
        b.multipart.delimiter_suffix = b.rng.choice([" ", "\t", "  \t "])
    if variant in ("param_value", "both"):
        _replace_boundary_param(b, [f'boundary="{real} "'])
    return variant


# ---- structure: around the multipart ----------------------------------------------------------

def _split_top(b: Build) -> list[tuple[str, str | None]]:
    """Takes the message's own fields off the root, leaving it a bare entity."""
    top = [f for f in b.root.fields if f[1] is not None]
    b.root.fields = [f for f in b.root.fields if f not in top]
    return top


def _deep_nesting(b: Build) -> str:
    depth = b.rng.randrange(60, 70)
    top = _split_top(b)
    inner = b.root
    for k in range(depth):
        d = _token(b.rng, f"=_n{k}_", 6)
        inner = Entity("multipart/mixed", [f'boundary="{d}"'], delimiter=d, children=[inner])
    inner.fields = top + inner.fields
    b.root = inner
    return f"{depth}"


def _attached_message(b: Build) -> str:
    variant = b.rng.choice(["rfc822_base64", "rfc822_quoted_printable", "eml_octet_base64"])
    inner = render(b.root, b.line_ends)
    if variant == "eml_octet_base64":
        part = Entity("application/octet-stream", ['name="forwarded.eml"'])
        part.add_field("Content-Disposition", 'attachment; filename="forwarded.eml"')
    else:
        part = Entity("message/rfc822", ['name="forwarded.eml"'])
    if variant == "rfc822_quoted_printable":
        part.add_field("Content-Transfer-Encoding", "quoted-printable")
        part.lines = quopri.encodestring(inner.replace(b"\r\n", b"\n")).split(b"\n")
    else:
        part.add_field("Content-Transfer-Encoding", "base64")
        part.lines = _b64_lines(inner)
    text = Entity("text/plain", ["charset=us-ascii"])
    text.lines = [b"Forwarded as asked."]
    d = _token(b.rng, "=_f")
    outer = Entity("multipart/mixed", [f'boundary="{d}"'], delimiter=d, children=[text, part])
    outer.fields = [("From", "Carol <carol@example.com>"), ("To", "bob@example.org"),
                    ("Subject", "Fwd: invoice"), ("MIME-Version", "1.0"), ("Content-Type", None)]
    b.root = outer
    return variant


# ---- top_headers: the outermost header ---------------------------------------------------------

def _top_fields_before_type(b: Build) -> str:
    _fields_before(b.root, b.rng, 1000, 1200)
    return "1000+"


def _two_content_types(b: Build) -> str:
    i = b.root.ct_index()
    other = b.rng.choice(["text/plain; charset=us-ascii", "application/octet-stream",
                          "multipart/alternative; boundary=\"=_other\""])
    first = b.rng.random() < 0.5
    b.root.fields.insert(i if first else i + 1, ("Content-Type", other))
    return f"{other.split(';')[0]}_{'first' if first else 'second'}"


def _type_written_oddly(b: Build) -> str:
    variant = b.rng.choice(["comment_after_type", "comment_in_type", "upper", "blank_before_colon",
                            "lower_name", "padded_past_line_limit"])
    maj, sub = b.root.ctype.split("/")
    if variant == "comment_after_type":
        b.root.ctype = f"{maj}/{sub} (mixed content)"
    elif variant == "comment_in_type":
        b.root.ctype = f"{maj}(x)/(y){sub}"
    elif variant == "upper":
        b.root.ctype = b.root.ctype.upper()
    elif variant == "blank_before_colon":
        b.root.ct_name = "Content-Type "
    elif variant == "lower_name":
        b.root.ct_name = "content-type"
    else:
        b.root.ct_separator = ";" + " " * b.rng.randrange(1000, 2000)
    return variant


# ---- line_ends ---------------------------------------------------------------------------------

def _line_ends(b: Build) -> str:
    variant = b.rng.choice(["bare_cr", "bare_lf", "mixed"])
    b.line_ends = {"bare_cr": LineEnds([b"\r"]), "bare_lf": LineEnds([b"\n"]),
                   "mixed": LineEnds([b"\r\n", b"\n", b"\r"], b.rng)}[variant]
    return variant


# ---- the grammar -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Trick:
    name: str
    slot: str
    principle: int
    apply: object  # (Build) -> variant name


TRICKS = [
    Trick("zip_views_disagree", "container", 6, _zip_views),
    Trick("text_marker_in_first_kb", "container", 5, _text_marker),
    Trick("password_in_text", "container", 9, _password_in_text),
    Trick("base64_stray_padding", "encoding", 4, _b64_stray_padding),
    Trick("base64_junk", "encoding", 4, _b64_junk),
    Trick("qp_soft_breaks", "encoding", 4, _qp_soft_breaks),
    Trick("uuencode_cte", "encoding", 4, _uuencode_cte),
    Trick("uuencode_in_text", "encoding", 4, _uuencode_in_text),
    Trick("yenc_in_text", "encoding", 4, _yenc_in_text),
    Trick("html_data_url", "encoding", 7, _html_data_url),
    Trick("two_ctes", "part_headers", 3, _two_ctes),
    Trick("cte_padded", "part_headers", 1, _cte_padded),
    Trick("cte_comment", "part_headers", 3, _cte_comment),
    Trick("part_fields_before_type", "part_headers", 1, _part_fields_before_type),
    Trick("long_param_before_boundary", "boundary", 1, _long_param),
    Trick("many_params_before_boundary", "boundary", 1, _many_params),
    Trick("boundary_plain_and_2231", "boundary", 3, _boundary_plain_and_2231),
    Trick("boundary_twice", "boundary", 3, _boundary_twice),
    Trick("boundary_comment", "boundary", 3, _boundary_comment),
    Trick("empty_boundary", "boundary", 3, _empty_boundary),
    Trick("boundary_blanks", "boundary", 3, _boundary_blanks),
    Trick("deep_nesting", "structure", 1, _deep_nesting),
    Trick("attached_message", "structure", 5, _attached_message),
    Trick("top_fields_before_type", "top_headers", 1, _top_fields_before_type),
    Trick("two_content_types", "top_headers", 3, _two_content_types),
    Trick("type_written_oddly", "top_headers", 3, _type_written_oddly),
    Trick("line_ends", "line_ends", 3, _line_ends),
]
SLOTS = ["container", "encoding", "part_headers", "boundary", "structure", "top_headers",
         "line_ends"]
BY_NAME = {t.name: t for t in TRICKS}


@dataclass
class Case:
    seed: int
    tricks: list[str]   # "name[variant]" in the order applied
    raw: bytes

    @property
    def trick_names(self) -> list[str]:
        return [t.split("[", 1)[0] for t in self.tricks]


def compose(seed: int, names: list[str] | None = None) -> Case:
    """The message of `seed`: its tricks are `names` when given (at most one per slot), else
    1-3 tricks of distinct slots drawn from the seed."""
    rng = random.Random(seed)
    if names is None:
        slots = rng.sample(SLOTS, rng.randrange(1, 4))
        chosen = [rng.choice([t for t in TRICKS if t.slot == s]) for s in slots]
    else:
        chosen = [BY_NAME[n] for n in names]
    chosen.sort(key=lambda t: SLOTS.index(t.slot))
    # The payload, the boundaries and each trick draw from their own generator, so that a
    # subset of a case's tricks composes the same variants (what minimize() relies on).
    base = random.Random(f"{seed}/base")
    b = Build(base, EICAR_NAME, EICAR, ["Hello Bob,", "", "the file you asked for is attached."])
    if base.random() < 0.5:
        b.data, b.name = write_zip([Entry(EICAR_NAME, EICAR)]), "invoice.zip"
    for t in chosen:
        b.rng = base
        if t.slot != "container" and t.slot != "encoding" and b.carrier is None:
            _encode_base64(b)
        if SLOTS.index(t.slot) > SLOTS.index("part_headers") and b.multipart is None:
            _assemble(b)
        b.rng = random.Random(f"{seed}/{t.name}")
        b.applied.append(f"{t.name}[{t.apply(b)}]")
    b.rng = base
    if b.carrier is None:
        _encode_base64(b)
    if b.multipart is None:
        _assemble(b)
    return Case(seed, [f"payload[{b.name}]"] + b.applied, render(b.root, b.line_ends))


def generate(seed: int, count: int, names: list[str] | None = None):
    """`count` cases from consecutive sub-seeds of `seed` (each reproducible alone with
    compose), drawn from the whole grammar or made of the tricks `names`."""
    for i in range(count):
        yield compose(seed * 1_000_003 + i, names)
