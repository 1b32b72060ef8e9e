"""Fixtures for hostile peers: scripted TCP servers (hostile_server.py) that
answer a DCE/RPC bind wrongly, or not at all, or serve an endless HTTP body.

    def test_x(hostile_peer):
        peer = hostile_peer("reject")           # or ("silent", host="::1")
        run("check_kms_host", "-H", peer.host, "-p", peer.port)
        peer.received()                         # [bytes] per connection

Modes: see the docstring of hostile_server.py. Each peer is stopped after
the test."""
import json
import os
import socket
import sys

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
