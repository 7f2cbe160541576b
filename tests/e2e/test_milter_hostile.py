"""test_milter_hostile.py — ksmg-milter against an MTA that breaks the protocol: packets that lie
about their length, garbage, commands out of order, a peer that goes silent or away in the middle
of a message, too many connections, a message over its limit. Each one ends that connection (or
gets its answer) and the milter goes on serving the next one.

The client here writes raw packets (4-byte length, command, data) so that it can also write wrong
ones; miltertest and Postfix (the other milter tests) only speak the protocol correctly."""
import socket
import struct
import time

import pytest

from milter_harness import EICAR, Milter

# mfdef.h: SMFI_CURR_ACTS, SMFI_CURR_PROT (everything a v6 MTA offers).
OFFER = struct.pack(">III", 6, 0x1FF, 0x1FFFFF)


def packet(command: bytes, data: bytes = b"") -> bytes:
    return struct.pack(">I", len(data) + 1) + command + data


def read_packet(s: socket.socket) -> tuple[bytes, bytes]:
    head = recv_exactly(s, 5)
    (length,) = struct.unpack(">I", head[:4])
    return head[4:5], recv_exactly(s, length - 1)


def recv_exactly(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def closed_by_peer(s: socket.socket, timeout: float = 10.0) -> bool:
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def connect(m: Milter) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", m.port), timeout=10)
    s.sendall(packet(b"O", OFFER))
    command, data = read_packet(s)
    assert command == b"O" and len(data) >= 12
    return s


def message_packets(body: bytes) -> bytes:
    return (packet(b"M", b"<alice@example.net>\0") + packet(b"R", b"<bob@example.org>\0") +
            packet(b"L", b"From\0 alice@example.net\0") + packet(b"L", b"Subject\0 t\0") +
            packet(b"N") + packet(b"B", body) + packet(b"E"))


def final_answer(s: socket.socket) -> tuple[bytes, bytes]:
    """The end-of-message reply, after any header changes."""
    while True:
        command, data = read_packet(s)
        if command in (b"a", b"c", b"r", b"t", b"d", b"y"):
            return command, data


def clean_message_is_accepted(m: Milter) -> None:
    with connect(m) as s:
        s.sendall(message_packets(b"hello\r\n"))
        assert final_answer(s)[0] == b"a"


@pytest.fixture(scope="module")
def milter(build_dir, tmp_path_factory):
    with Milter(build_dir, tmp_path_factory.mktemp("hostile"),
                milter_toml='max_message_bytes = "64K"\nmax_connections = 8\n') as m:
        yield m


def test_a_length_past_the_limit_ends_only_that_connection(milter):
    with socket.create_connection(("127.0.0.1", milter.port), timeout=10) as s:
        s.sendall(struct.pack(">I", 0xFFFFFFFF) + b"B" + b"x" * 100)
        assert closed_by_peer(s)
    assert "over max_packet_bytes" in milter.log_text()
    clean_message_is_accepted(milter)


@pytest.mark.parametrize("garbage", [
    b"\0\0\0\0",                                    # a packet without a command
    packet(b"Z", b"what"),                          # no such command
    packet(b"M", b"<a@b>\0"),                       # MAIL before negotiation
    packet(b"O", b"\0\0\0\6"),                      # negotiation cut short
    packet(b"O", struct.pack(">III", 1, 0, 0)),     # protocol version 1
    b"GET / HTTP/1.0\r\n\r\n",                      # not the milter protocol at all
])
def test_garbage_ends_only_that_connection(milter, garbage):
    with socket.create_connection(("127.0.0.1", milter.port), timeout=10) as s:
        s.sendall(garbage)
        assert closed_by_peer(s)
    assert milter.alive()
    clean_message_is_accepted(milter)


def test_malformed_envelope_packets_end_the_connection(milter):
    for bad in (packet(b"C", b"host\0" + b"4"), packet(b"M", b"<no-nul>"), packet(b"R", b"")):
        with connect(milter) as s:
            s.sendall(bad)
            assert closed_by_peer(s), bad
    clean_message_is_accepted(milter)


def test_mta_gone_in_the_middle_of_a_message(milter):
    for _ in range(20):
        s = connect(milter)
        s.sendall(packet(b"M", b"<a@example.net>\0") + packet(b"R", b"<b@example.org>\0") +
                  packet(b"L", b"Subject\0 x\0") + packet(b"N") + packet(b"B", b"y" * 30000))
        s.close()
    clean_message_is_accepted(milter)


def test_abort_then_a_message_on_the_same_connection(milter):
    with connect(milter) as s:
        s.sendall(packet(b"M", b"<a@example.net>\0") + packet(b"N") + packet(b"B", EICAR) +
                  packet(b"A"))
        s.sendall(message_packets(b"clean after abort\r\n"))
        assert final_answer(s)[0] == b"a"


def test_message_over_max_message_bytes_is_refused_552(milter):
    with connect(milter) as s:
        body = b"z" * 60000 + b"\r\n"
        s.sendall(packet(b"M", b"<a@example.net>\0") + packet(b"R", b"<b@example.org>\0") +
                  packet(b"N") + packet(b"B", body) + packet(b"B", body) + packet(b"E"))
        command, data = final_answer(s)
        assert command == b"y" and data.startswith(b"552 5.3.4 "), data
        # The connection goes on.
        s.sendall(message_packets(b"small\r\n"))
        assert final_answer(s)[0] == b"a"


def test_quit_new_connection_forgets_the_last_session(milter):
    with connect(milter) as s:
        s.sendall(packet(b"C", b"one.example\x004\x00\x19192.0.2.1\0") +
                  packet(b"M", b"<a@example.net>\0") + packet(b"K"))
        # After QUIT_NC the MTA starts over with negotiation on the same socket.
        s.sendall(packet(b"O", OFFER))
        assert read_packet(s)[0] == b"O"
        s.sendall(message_packets(b"second session\r\n"))
        assert final_answer(s)[0] == b"a"


def test_connections_beyond_max_connections_are_closed_at_once(milter):
    # Each connect() has negotiated, so the eight hold their slots before the ninth comes.
    held = [connect(milter) for _ in range(8)]
    try:
        with socket.create_connection(("127.0.0.1", milter.port), timeout=10) as extra:
            assert closed_by_peer(extra, timeout=5)
        assert "max_connections (8) reached" in milter.log_text()
    finally:
        for s in held:
            s.close()
    # A slot is free once the milter has read the end of a held connection, which it may not
    # have done yet: a connection refused meanwhile is tried again (the deadline bounds a hang).
    deadline = time.monotonic() + 20
    while True:
        try:
            clean_message_is_accepted(milter)
            break
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def test_a_silent_mta_is_dropped_after_the_idle_timeout(build_dir, tmp_path):
    with Milter(build_dir, tmp_path, milter_toml="idle_timeout_seconds = 1\n") as m:
        with connect(m) as s:
            s.sendall(packet(b"M", b"<a@example.net>\0"))
            started = time.monotonic()
            assert closed_by_peer(s, timeout=10)
            assert time.monotonic() - started < 6
        assert "MTA idle for 1 s" in m.log_text()
