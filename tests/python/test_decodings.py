"""test_decodings.py — owns the check that what mail clients decode from a hostile transfer
encoding, ksmg scans (issue 17, principle 4): payloads hidden by base64 with stray or early
padding, quoted-printable soft breaks with odd line ends, uuencode as real encoders write it and
bodies a client shows undecoded, each compared by SHA-256 with what Python's email package and
GMime 3 extract from the same message. Every payload a client extracts must be the data of one
of ksmg's objects (the leaf itself or another client's reading beside it)."""
import base64
import binascii
import hashlib
import pathlib

import gi
import pytest

import ksmg

gi.require_version("GMime", "3.0")
from gi.repository import GMime  # noqa: E402

GMime.init()

EICAR = (pathlib.Path(__file__).resolve().parents[1] / "data" / "av" / "eicar" /
         "eicar.com").read_bytes()

B64 = base64.b64encode(EICAR)
# EICAR's characters as quoted-printable, '=' escaped.
QP = EICAR.replace(b"=", b"=3D")


def message(cte: bytes, body: bytes) -> bytes:
    return (b"From: a@example.net\r\nTo: b@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/octet-stream; name=e.com\r\n"
            b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + body)


def python_payload(raw: bytes) -> bytes:
    import email
    import email.policy
    return email.message_from_bytes(raw, policy=email.policy.default).get_payload(decode=True)


def gmime_payload(raw: bytes) -> bytes:
    parser = GMime.Parser.new_with_stream(GMime.StreamMem.new_with_buffer(raw))
    out = GMime.StreamMem.new()
    parser.construct_message(None).get_mime_part().get_content().write_to_stream(out)
    return bytes(out.get_byte_array())


def uu(data: bytes) -> bytes:
    return b"".join(binascii.b2a_uu(data[i:i + 45]).replace(b"\n", b"\r\n")
                    for i in range(0, len(data), 45))


HOSTILE = {
    # base64: the payload, then a padding, then more data that one reading appends
    "b64 payload then padding then data": (b"base64", B64 + b"==QUJD\r\n"),
    "b64 padding between groups": (b"base64", B64[:8] + b"==" + B64[8:] + b"\r\n"),
    "b64 lone = inside a group": (b"base64", B64[:6] + b"=" + B64[6:] + b"\r\n"),
    "b64 = at a line start": (b"base64", B64[:40] + b"\r\n=" + B64[40:] + b"\r\n"),
    "b64 junk and a lone sextet": (b"base64", B64[:20] + b"!*" + B64[20:] + b"\r\nQ\r\n"),
    "b64 undecodable: shown as is": (b"base64", EICAR[:-1] + b"\r\n"),
    # quoted-printable soft breaks with odd line ends
    "qp =CR CR LF": (b"quoted-printable", QP[:20] + b"=\r\r\n" + QP[20:]),
    "qp = blank LF": (b"quoted-printable", QP[:20] + b"= \n" + QP[20:]),
    "qp =CR then junk": (b"quoted-printable", QP + b"=\rjunk"),
    "qp lone = at the end": (b"quoted-printable", QP + b"="),
    "qp =LF": (b"quoted-printable", QP[:30] + b"=\n" + QP[30:]),
    # uuencode
    "uu begin 0644": (b"x-uuencode", b"begin 0644 e.com\r\n" + uu(EICAR) + b"`\r\nend\r\n"),
    "uu no end": (b"x-uuencode", b"begin 644 e.com\r\n" + uu(EICAR)),
    "uu name with spaces": (b"x-uuencode", b"begin 644 my e.com\r\n" + uu(EICAR) + b"end\r\n"),
    "uu body not uuencoded": (b"x-uuencode", EICAR + b"\r\n"),
    "uu empty line inside": (b"x-uuencode", b"begin 644 e.com\r\n\r\n" + uu(EICAR) + b"end\r\n"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_payload_a_client_extracts_is_scanned(name):
    cte, body = HOSTILE[name]
    raw = message(cte, body)
    scanned = {o.sha256 for o in ksmg.objects(raw)}
    for client, payload in (("python", python_payload(raw)), ("gmime", gmime_payload(raw))):
        assert hashlib.sha256(payload).hexdigest() in scanned, (name, client, payload)


def test_the_payload_itself_is_among_them_where_a_client_shows_it():
    # The point of the readings: where a client shows the test file byte for byte, ksmg has an
    # object with exactly those bytes.
    shown = 0
    for cte, body in HOSTILE.values():
        raw = message(cte, body)
        if EICAR in (python_payload(raw), gmime_payload(raw)):
            shown += 1
            assert any(o.data == EICAR for o in ksmg.objects(raw))
    assert shown >= 8


def test_a_regular_body_has_no_other_reading():
    raw = message(b"base64", base64.encodebytes(EICAR).replace(b"\n", b"\r\n"))
    objs = ksmg.objects(raw)
    assert [o.origin for o in objs] == ["mime_part"] and objs[0].data == EICAR
