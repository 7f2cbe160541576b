"""clients.py — owns the red team's oracles: what mail clients extract from a message.

Three MIME parsers stand for the mail clients: Python's email package with its default policy and
with compat32 (what most Python tooling and many webmail back ends run), and GMime 3 (Evolution,
Geary, notmuch, Balsa) through PyGObject. Each yields its leaves, transfer-decoded. On top of
the leaves, what a recipient's other programs do with them, each modelled on real behaviour:

  eml viewer     a part declared message/* (whatever its transfer encoding) or named *.eml is
                 opened as a message by the same parser (Thunderbird, Outlook, Apple Mail)
  unzip          zip members by the central directory (stdlib zipfile, as Windows Explorer and
                 7-Zip list them), trying every word of the message's text parts as a password
  stream unzip   zip members by the local headers, front to back (Java's ZipInputStream, unzip
                 -fixing tools, browsers' streamed downloads)
  untar          tar members (stdlib tarfile)
  newsreader     uuencoded and yEnc blocks in text parts (Outlook, Thunderbird, every newsreader)
  browser        data: URLs of an HTML part's links and images, entity and percent decoding as a
                 browser applies them

An Item is one thing a client extracted (label, bytes); a payload is an item whose bytes begin
with the EICAR file (an anti-virus engine detects it there whatever follows, as ClamAV's
offset-0 signature does). Hostile input may throw anything from a client's library: a client
that fails on a message extracts nothing from it, as a failed client shows nothing.
"""
import base64
import binascii
import email
import email.policy
import html
import io
import re
import struct
import tarfile
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass

import gi

gi.require_version("GMime", "3.0")
from gi.repository import GMime  # noqa: E402

from grammar import EICAR  # noqa: E402

GMime.init()

_MAX_DEPTH = 4  # archives in messages in archives: deeper than any trick nests
_MAX_PASSWORDS = 200


@dataclass
class Leaf:
    path: str
    ctype: str
    filename: str
    data: bytes


@dataclass
class Item:
    client: str   # "gmime", "python-default>unzip", ...
    label: str    # where in the message: "2/invoice.zip/eicar.com"
    data: bytes

    @property
    def is_payload(self) -> bool:
        return self.data.startswith(EICAR)


# ---- the MIME parsers --------------------------------------------------------------------------

def _python_leaves(raw: bytes, policy) -> list[Leaf]:
    msg = email.message_from_bytes(raw, policy=policy)
    out = []
    for i, part in enumerate(msg.walk()):
        ctype = part.get_content_type()
        name = part.get_filename() or ""
        if part.get_content_maintype() == "message" and part.is_multipart():
            # Python parses the body of message/* as a message whatever its transfer encoding;
            # an encoded one then has no header and its encoded text as body, which a client
            # decodes before showing the attached message.
            cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if cte in ("base64", "quoted-printable"):
                inner = part.get_payload()[0]
                encoded = inner.get_payload()
                if isinstance(encoded, str):
                    data = (base64.b64decode(_b64_clean(encoded.encode("latin-1", "replace")))
                            if cte == "base64" else
                            binascii.a2b_qp(encoded.encode("latin-1", "replace")))
                    out.append(Leaf(str(i), ctype, name or "attached.eml", data))
            continue
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            out.append(Leaf(str(i), ctype, name, data))
    return out


def python_default(raw: bytes) -> list[Leaf]:
    return _python_leaves(raw, email.policy.default)


def python_compat32(raw: bytes) -> list[Leaf]:
    return _python_leaves(raw, email.policy.compat32)


def gmime(raw: bytes) -> list[Leaf]:
    parser = GMime.Parser.new_with_stream(GMime.StreamMem.new_with_buffer(raw))
    msg = parser.construct_message(None)
    out: list[Leaf] = []
    if msg is None:
        return out

    def walk(obj, path: str, depth: int) -> None:
        if obj is None or depth > 200:
            return
        if isinstance(obj, GMime.Multipart):
            for k in range(obj.get_count()):
                walk(obj.get_part(k), f"{path}.{k + 1}" if path else str(k + 1), depth + 1)
        elif isinstance(obj, GMime.MessagePart):
            inner = obj.get_message()
            if inner is not None:
                walk(inner.get_mime_part(), path, depth + 1)
        elif isinstance(obj, GMime.Part):
            content = obj.get_content()
            if content is None:
                return
            sink = GMime.StreamMem.new()
            content.write_to_stream(sink)
            ctype = obj.get_content_type()
            out.append(Leaf(path or "1", ctype.get_mime_type().lower() if ctype else "",
                            obj.get_filename() or "", bytes(sink.get_byte_array())))

    walk(msg.get_mime_part(), "", 0)
    return out


PARSERS = {"python-default": python_default, "python-compat32": python_compat32,
           "gmime": gmime}


# ---- what the recipient's other programs do with a leaf -----------------------------------------

def _b64_clean(data: bytes) -> bytes:
    """What a lenient base64 decoder keeps: the alphabet, padding dropped, length completed."""
    kept = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    return kept + b"=" * (-len(kept) % 4)


def _unzip(data: bytes, passwords: list[bytes]) -> list[tuple[str, bytes]]:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist()[:100]:
            if info.flag_bits & 1:
                for pw in passwords:
                    try:
                        out.append((info.filename, z.read(info, pwd=pw)))
                        break
                    except Exception:  # wrong password: zipfile raises RuntimeError or zlib's
                        continue
            else:
                out.append((info.filename, z.read(info)))
    return out


def _stream_unzip(data: bytes) -> list[tuple[str, bytes]]:
    out, at = [], data.find(b"PK\x03\x04")
    while 0 <= at and len(out) < 100 and at + 30 <= len(data):
        (sig, _, flags, method, _, _, _, csize, _, nlen, xlen) = struct.unpack_from(
            "<IHHHHHIIIHH", data, at)
        if sig != 0x04034B50:
            at = data.find(b"PK\x03\x04", at + 1)  # a streaming reader resynchronizes
            continue
        name = data[at + 30:at + 30 + nlen].decode("utf-8", "replace")
        start = at + 30 + nlen + xlen
        body = data[start:start + csize]
        if not flags & 1:
            out.append((name, zlib.decompress(body, -15) if method == 8 else body))
        at = data.find(b"PK\x03\x04", start + csize)
    return out


def _untar(data: bytes) -> list[tuple[str, bytes]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar.getmembers()[:100]:
            f = tar.extractfile(member)
            if f is not None:
                out.append((member.name, f.read()))
    return out


_UU_BEGIN = re.compile(rb"^begin(?:-base64)? +[0-7]{3,4} +(.+?)\r?$", re.M)


def _newsreader(text: bytes) -> list[tuple[str, bytes]]:
    out = []
    lines = re.split(rb"\r\n|\r|\n", text)
    for i, line in enumerate(lines):
        m = _UU_BEGIN.match(line)
        if m:
            data = bytearray()
            for body in lines[i + 1:]:
                if body.strip() in (b"end", b"`", b""):
                    if body.strip() == b"end":
                        break
                    continue
                try:
                    data += binascii.a2b_uu(body)
                except binascii.Error:
                    break
            out.append((m.group(1).decode("latin-1"), bytes(data)))
        if line.startswith(b"=ybegin "):
            name = re.search(rb"name=(.*)$", line)
            data, escaped = bytearray(), False
            for body in lines[i + 1:]:
                if body.startswith(b"=yend"):
                    break
                if body.startswith(b"=ypart"):
                    continue
                for c in body:
                    if escaped:
                        data.append((c - 64 - 42) % 256)
                        escaped = False
                    elif c == 61:
                        escaped = True
                    else:
                        data.append((c - 42) % 256)
            out.append(((name.group(1) if name else b"yenc").decode("latin-1"), bytes(data)))
    return out


_LINK = re.compile(r"""(?is)\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _browser(page: bytes) -> list[tuple[str, bytes]]:
    out = []
    for m in _LINK.finditer(page.decode("latin-1")):
        url = html.unescape(m.group(1) or m.group(2) or m.group(3) or "").strip()
        if not url[:5].lower() == "data:" or "," not in url:
            continue
        meta, body = url[5:].split(",", 1)
        data = urllib.parse.unquote_to_bytes(body)
        if meta.lower().rstrip().endswith(";base64"):
            data = base64.b64decode(_b64_clean(data))
        out.append(("data-url", data))
    return out


def _passwords(leaves: list[Leaf]) -> list[bytes]:
    words = []
    for leaf in leaves:
        if leaf.ctype.startswith("text/"):
            words += re.findall(rb"[^\s\"'<>]{4,64}", leaf.data)
    return list(dict.fromkeys(words))[:_MAX_PASSWORDS]


def _expand(client: str, label: str, leaf: Leaf, parse, passwords, depth: int, out: list):
    out.append(Item(client, label, leaf.data))
    if depth >= _MAX_DEPTH:
        return
    unpackers = []
    if leaf.ctype.startswith("message/") or leaf.filename.lower().endswith(".eml"):
        for inner in _safe(parse, leaf.data):
            _expand(client + ">eml", f"{label}/{inner.path}", inner, parse, passwords, depth + 1,
                    out)
    if leaf.data.startswith(b"PK") or b"PK\x05\x06" in leaf.data[-70_000:]:
        unpackers += [("unzip", lambda d: _unzip(d, passwords)), ("stream-unzip", _stream_unzip)]
    if leaf.data[257:262] == b"ustar":
        unpackers.append(("untar", _untar))
    if leaf.ctype.startswith("text/"):
        unpackers.append(("newsreader", _newsreader))
        if "html" in leaf.ctype:
            unpackers.append(("browser", _browser))
    for name, unpack in unpackers:
        for member, data in _safe(unpack, leaf.data):
            _expand(f"{client}>{name}", f"{label}/{member}", Leaf("", "", member, data), parse,
                    passwords, depth + 1, out)


def _safe(fn, data: bytes) -> list:
    try:
        return fn(data)
    except Exception:  # hostile bytes: a client that fails shows nothing
        return []


def extract(raw: bytes) -> list[Item]:
    """Everything every client extracts from the message."""
    out: list[Item] = []
    for client, parse in PARSERS.items():
        leaves = _safe(parse, raw)
        passwords = _passwords(leaves)
        for leaf in leaves:
            _expand(client, f"{leaf.path}/{leaf.filename}" if leaf.filename else leaf.path, leaf,
                    parse, passwords, 0, out)
    return out
