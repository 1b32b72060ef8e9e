"""Fixtures for hostile peers: scripted TCP servers (hostile_server.py) that
answer a DCE/RPC bind wrongly, or not at all, or serve an endless HTTP body.

    def test_x(hostile_peer):
        peer = hostile_peer("reject")           # or ("silent", host="::1")
        run("check_kms_host", "-H", peer.host, "-p", peer.port)
        peer.received()                         # [bytes] per connection

Modes: see the docstring of hostile_server.py. Each peer is stopped after
the test.

crafted_peer(answer_bytes) answers a bind with exactly the bytes given,
built with bind_ack(), fault(), alter_context_resp() below."""
import json
import os
import socket
import struct
import sys
import threading
import time
import uuid

import pytest

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


class HostilePeer:
    def __init__(self, mode, host, tmpdir):
        self.mode, self.host = mode, host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.port = harness.free_port(family=family)
        tag = "%s-%d" % (mode, self.port)
        self.log = os.path.join(tmpdir, "hostile-%s.jsonl" % tag)
        self.ready_file = os.path.join(tmpdir, "hostile-%s.ready" % tag)
        self.peer = harness.Peer(
            ["/usr/bin/python3", os.path.join(HERE, "hostile_server.py"), mode,
             host, str(self.port), self.log, self.ready_file],
            lambda: os.path.exists(self.ready_file), "hostile peer " + mode,
            log=os.path.join(tmpdir, "hostile-%s.out" % tag))

    def received(self):
        """Bytes received on each finished connection, in order of ending."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [bytes.fromhex(json.loads(line)["received"]) for line in f if line.strip()]

    def url(self, path="/"):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d%s" % (host, self.port, path)


@pytest.fixture
def hostile_peer(tmp_path):
    """Factory: hostile_peer(mode, host="127.0.0.1") starts a scripted peer
    and returns it (.host, .port, .received(), .url()); all are stopped at
    the end of the test."""
    peers = []

    def start(mode, host="127.0.0.1"):
        p = HostilePeer(mode, host, str(tmp_path))
        p.peer.start()
        peers.append(p)
        return p

    yield start
    for p in peers:
        p.peer.stop()


# --- crafted DCE/RPC answers ---------------------------------------------------
# For answers impacket's server can never be made to give (an acceptance with
# a transfer syntax nobody offered, a fault, alter_context_resp to a bind):
# a loopback server thread that reads one whole PDU, sends the bytes it was
# given, and keeps the connection open until the client closes it.

NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
NDR64 = uuid.UUID("71710533-beba-4937-8319-b5dbef9ccc36")
BTFN = uuid.UUID("6cb71c2c-9812-4540-0300-000000000000")


def syntax(u, major, minor=0):
    """A syntax id on the wire (little-endian data representation)."""
    return u.bytes_le + struct.pack("<HH", major, minor)


ZERO_SYNTAX = bytes(20)


def header(ptype, body, call_id=1, flags=3):
    frag = 16 + len(body)
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\x00\x00\x00",
                       frag, 0, call_id) + body


def bind_ack(results, call_id=1, max_frags=(5840, 5840)):
    """bind_ack (DCE 1.1 12.6.4.4): results is [(result, reason, syntax)]."""
    body = struct.pack("<HHI", max_frags[0], max_frags[1], 0x1234)
    body += struct.pack("<H", 5) + b"1688\x00"
    while (16 + len(body)) % 4:
        body += b"\x00"
    body += struct.pack("<BBH", len(results), 0, 0)
    for result, reason, syn in results:
        body += struct.pack("<HH", result, reason) + syn
    return header(12, body, call_id)


def fault(status, call_id=1):
    """fault (DCE 1.1 12.6.4.7): alloc_hint, p_cont_id, cancel_count,
    reserved, status, reserved."""
    return header(3, struct.pack("<IHBBII", 0, 0, 0, 0, status, 0), call_id)


def alter_context_resp(call_id=1):
    """alter_context_resp (12.6.4.2), laid out like a bind_ack accepting
    context 0 with NDR, but the wrong answer to a bind."""
    ack = bind_ack([(0, 0, syntax(NDR, 2))], call_id)
    return ack[:2] + bytes([15]) + ack[3:]


class CraftedPeer:
    def __init__(self, answer, host):
        self.answer, self.host = answer, host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.got = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            got = bytearray()
            with conn:
                conn.settimeout(5)
                try:
                    while len(got) < 16 or len(got) < struct.unpack_from("<H", got, 8)[0]:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                    conn.sendall(self.answer)
                    while conn.recv(4096):
                        pass
                except OSError:
                    pass
            self.got.append(bytes(got))

    def received(self, wait_for=1, timeout=2.0):
        """Bytes received on each finished connection, once wait_for of
        them have ended (or timeout seconds passed)."""
        deadline = time.monotonic() + timeout
        while len(self.got) < wait_for and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.got)

    def stop(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def crafted_peer():
    """Factory: crafted_peer(answer_bytes, host="127.0.0.1") answers every
    connection's first PDU with answer_bytes; .host, .port, .received()."""
    peers = []

    def start(answer, host="127.0.0.1"):
        p = CraftedPeer(answer, host)
        peers.append(p)
        return p

    yield start
    for p in peers:
        p.stop()
