#!/usr/bin/env python3
"""make_fixtures.py — writes the content-filter test messages of tests/data/content/messages/.

Each message plants dictionary words so that they are only visible after decoding (base64,
quoted-printable with a soft line break inside the word, RFC 2047 B and Q words, HTML entities
and tags, KOI8-R, Shift_JIS), plus a header-only word, a card-number-like string, and negative
controls. Zip attachments are not committed: the tests build them at run time (pytest with
zipfile, the unit tests with libarchive's writer).

Run from anywhere: python3 tests/data/content/make_fixtures.py  (rewrites the files; the output
is deterministic, so a rerun leaves git clean).
"""
import base64
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "messages"

INSIDE = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
OUTSIDE = "From: Mallory <mallory@elsewhere.test>\r\nTo: bob@example.org\r\n"
COMMON = "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"


def message(headers: str, body: bytes, sender: str = OUTSIDE) -> bytes:
    return (sender + COMMON + headers + "\r\n").encode("ascii") + body


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


FIXTURES = {
    # "confidential" only in a base64 text body.
    "base64-body.eml": message(
        "Subject: quarterly numbers\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n",
        b64(b"Hello,\nthe attached figures are confidential until Monday.\nRegards\n")),
    # "project bluebird": the phrase split by a quoted-printable soft line break inside "bluebird".
    "qp-soft-break.eml": message(
        "Subject: status\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n",
        b"We talked about project blue=\r\nbird at lunch; caf=C3=A9 was closed.\r\n"),
    # "secret" only in an RFC 2047 B-encoded subject.
    "subject-b.eml": message(
        "Subject: =?UTF-8?B?" + base64.b64encode("Top secret plans".encode()).decode() + "?=\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n",
        b"Nothing to see in the body.\r\n"),
    # "déclassifié" only in an RFC 2047 Q-encoded subject (UTF-8 and Latin-1 words).
    "subject-q.eml": message(
        "Subject: =?UTF-8?Q?dossier_d=C3=A9classifi=C3=A9?= =?ISO-8859-1?Q?_=E0_lire?=\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n",
        b"Nothing to see in the body.\r\n"),
    # HTML: "confidential" with a numeric entity, "déclassifié" with named entities, "secret"
    # split by an inline tag (a reader sees one word); the tags add nothing a reader sees.
    "html-entities.eml": message(
        "Subject: newsletter\r\nContent-Type: text/html; charset=us-ascii\r\n",
        b"<html><body><p>This is &#x63;onfidential: d&eacute;classifi&eacute; "
        b"sec<span>ret</span> material.</p></body></html>\r\n"),
    # "секретно" in a KOI8-R 8bit body.
    "koi8r-body.eml": message(
        "Subject: privet\r\nContent-Type: text/plain; charset=koi8-r\r\n"
        "Content-Transfer-Encoding: 8bit\r\n",
        "Документ секретно, не пересылать.\r\n".encode("koi8-r")),
    # "機密" in a Shift_JIS body (base64, as Japanese mailers send it).
    "sjis-body.eml": message(
        "Subject: report\r\nContent-Type: text/plain; charset=Shift_JIS\r\n"
        "Content-Transfer-Encoding: base64\r\n",
        b64("この資料は機密です。\r\n".encode("shift_jis"))),
    # "clandestine" only in a header field (the headers place), nowhere in subject or body.
    "header-only.eml": message(
        "Subject: hello\r\nX-Custom: clandestine routing\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n",
        b"A plain body.\r\n"),
    # A card-number-like string for the regex dictionary, and digit runs that must not match.
    "card-number.eml": message(
        "Subject: order\r\nContent-Type: text/plain; charset=us-ascii\r\n",
        b"Please charge 4111 1111 1111 1111 for order 12345678901234567890.\r\n"),
    # Negative controls: every word glued inside a longer word; whole-word entries stay silent.
    "negative.eml": message(
        "Subject: secretary confidentiality\r\nX-Custom: clandestinely\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n",
        b"The secretary wrote about confidentiality and unconfidential notes, project\r\n"
        b"bluebirds, serial 12345678901234567890.\r\n"),
    # Same body as base64-body.eml but from inside the organization (from_outside tests).
    "inside-confidential.eml": message(
        "Subject: quarterly numbers\r\nContent-Type: text/plain; charset=us-ascii\r\n",
        b"The attached figures are confidential until Monday.\r\n", sender=INSIDE),
    # Two occurrences plus a "public release" phrase (expression thresholds).
    "confidential-twice.eml": message(
        "Subject: confidential memo\r\nContent-Type: text/plain; charset=us-ascii\r\n",
        b"This memo is confidential. Not for public release.\r\n"),
    # Nothing of any dictionary.
    "clean.eml": message(
        "Subject: lunch\r\nContent-Type: text/plain; charset=us-ascii\r\n",
        b"Lunch at noon?\r\n"),
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, data in FIXTURES.items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
