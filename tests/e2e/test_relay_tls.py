"""test_relay_tls.py — STARTTLS on ksmg-relay in each of the reference gateway's modes (server
level none / accept / require; client certificate none / request / require), the self-signed
certificate made at first start, and outbound TLS to a next hop (require, require-verify),
with real handshakes (Python's ssl and smtplib, aiosmtpd) and certificates made by openssl."""
import smtplib
import ssl
import subprocess

import pytest

from relay_harness import NextHop, Relay, message

DOMAINS = 'relay_domains = ["example.org"]\n'


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all by it."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ksmg test CA", cwd=d)
    for name, ext in (("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}.test", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
                cwd=d)
    # A certificate for the right name from nobody the relay trusts.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)
    return d


def unverified():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tls_section(level, client="none", pki=None):
    text = f'[relay.tls]\nlevel = "{level}"\nclient_certificate = "{client}"\n'
    if pki is not None:
        text += f'cert_file = "{pki}/server.pem"\nkey_file = "{pki}/server.key"\n'
        text += f'ca_file = "{pki}/ca.pem"\n'
    return text


def test_level_none_does_not_offer_starttls(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + tls_section("none")) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            assert not c.has_extn("starttls")
            assert c.docmd("STARTTLS")[0] == 502


def test_level_accept_offers_starttls_with_a_self_signed_certificate(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + tls_section("accept")) as relay:
        assert (relay.data_dir / "selfsigned-cert.pem").is_file()
        assert (relay.data_dir / "selfsigned-key.pem").stat().st_mode & 0o077 == 0
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            assert c.has_extn("starttls")
            c.sendmail("a@example.net", ["plain@example.org"], message())  # plain text allowed
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.starttls(context=unverified())
            assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
            c.sendmail("a@example.net", ["tls@example.org"], message())
        delivered = [p.read_bytes() for p in relay.maildir_messages()]
        assert len(delivered) == 2
        assert sum(b"with ESMTPS" in m for m in delivered) == 1


def test_level_require_refuses_mail_before_starttls(build_dir, tmp_path):
    with Relay(build_dir, tmp_path, DOMAINS + tls_section("require")) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            code, text = c.mail("a@example.net")
            assert code == 530 and b"STARTTLS" in text
            c.starttls(context=unverified())
            c.ehlo("client.test")
            assert c.mail("a@example.net")[0] == 250
            assert c.rcpt("b@example.org")[0] == 250
            assert c.data(message())[0] == 250


def test_required_client_certificate_missing_is_refused(build_dir, tmp_path, pki):
    with Relay(build_dir, tmp_path, DOMAINS + tls_section("require", "require", pki)) as relay:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
            c.ehlo("client.test")
            with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionError)):
                c.starttls(context=unverified())
                # TLS 1.3: the server's refusal arrives after the client's side of the handshake.
                c.ehlo("client.test")
                c.mail("a@example.net")
        assert relay.maildir_messages() == []
        assert relay.alive()


def test_required_client_certificate_present_is_accepted(build_dir, tmp_path, pki):
    with Relay(build_dir, tmp_path, DOMAINS + tls_section("require", "require", pki)) as relay:
        ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        ctx.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
        with smtplib.SMTP("localhost", relay.port, timeout=30) as c:
            c.starttls(context=ctx)  # verifies the relay's certificate too
            c.sendmail("a@example.net", ["b@example.org"], message())
        assert len(relay.maildir_messages()) == 1
        assert "client certificate verified: client.test" in relay.log.read_text()


def test_outbound_tls_required_to_a_next_hop_without_it_gives_4xx(build_dir, tmp_path):
    with NextHop() as hop:
        route = f'[relay.transport]\n"example.org" = {{ next_hop = "127.0.0.1:{hop.port}", tls = "require" }}\n'
        with Relay(build_dir, tmp_path, DOMAINS + route) as relay:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
                c.ehlo("client.test")
                c.mail("a@example.net")
                code, text = c.rcpt("b@example.org")
                assert code == 451 and b"4.7.4" in text
        assert hop.received == []


def server_context(pki, name):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(pki / f"{name}.pem"), str(pki / f"{name}.key"))
    return ctx


def test_outbound_tls_verified_against_the_next_hops_certificate(build_dir, tmp_path, pki):
    with NextHop(tls_context=server_context(pki, "server")) as hop, \
            NextHop(tls_context=server_context(pki, "rogue")) as rogue:
        route = (f'[relay.transport]\n"example.org" = {{ next_hop = "localhost:{hop.port}", '
                 f'tls = "require-verify" }}\n'
                 f'"rogue.example.org" = {{ next_hop = "localhost:{rogue.port}", '
                 f'tls = "require-verify" }}\n')
        tls = f'[relay.tls]\noutbound_ca_file = "{pki}/ca.pem"\n'
        with Relay(build_dir, tmp_path, 'relay_domains = ["example.org", ".example.org"]\n' +
                   tls + route) as relay:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
                c.sendmail("a@example.net", ["b@example.org"], message())
            # The rogue next hop's certificate is signed by no CA the relay trusts.
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as c:
                c.ehlo("client.test")
                c.mail("a@example.net")
                code, text = c.rcpt("b@rogue.example.org")
                assert code == 451 and b"4.7.5" in text
        assert len(hop.received) == 1
        assert b"with ESMTPS" not in hop.received[0]["data"]  # the client spoke plain text
        assert rogue.received == []
