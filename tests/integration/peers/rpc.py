"""Fixtures for real DCE/RPC peers: impacket's DCERPCServer (Debian's
python3-impacket) run by rpc_server.py on a free loopback port, logging every
PDU it receives.

- kms_rpc_server: registers the KMS interface 51c82175-...-ec255555bc06 v1.0
  on 127.0.0.1; yields an RpcServer (.host, .port, .pdu_types(), .pdus()).
- kms_rpc_server_v6: the same on ::1.
- other_rpc_server: registers only another interface (impacket then drops
  a KMS bind).
- rpc_server_factory: rpc_server_factory(iface=KMS_IFACE, host=...) for tests
  that need several (e.g. -D with two live hosts).
- rpc_relay: rpc_relay(hosts, port, to="127.0.0.1") relays TCP from every
  host:port (other loopback addresses) to to:port, one thread a direction
  per connection, so one impacket server answers on many addresses of a
  target (impacket listens on one)."""
import json
import os
import socket
import threading

import pytest

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
KMS_IFACE = "51c82175-844e-4750-b0d8-ec255555bc06"
OTHER_IFACE = "12345778-1234-abcd-ef00-0123456789ac"  # SAMR, not KMS


class RpcServer:
    def __init__(self, iface, host, tmpdir):
        self.iface, self.host = iface, host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.port = harness.free_port(family=family)
        self.log = os.path.join(tmpdir, "rpc-%d.jsonl" % self.port)
        self.peer = harness.Peer(
            ["/usr/bin/python3", os.path.join(HERE, "rpc_server.py"), host,
             str(self.port), iface, self.log],
            lambda: harness.wait_tcp(host, self.port, 0.2), "impacket rpc server",
            log=os.path.join(tmpdir, "rpc-%d.out" % self.port))

    def pdus(self):
        """[(connection number, ptype, bytes)] of every PDU received so far."""
        if not os.path.exists(self.log):
            return []
        out = []
        with open(self.log) as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    out.append((d["conn"], d["ptype"], bytes.fromhex(d["hex"])))
        return out

    def pdu_types(self):
        """The ptype of every PDU received, in order (11 bind, 0 request...)."""
        return [p[1] for p in self.pdus()]


@pytest.fixture
def rpc_server_factory(tmp_path):
    servers = []

    def start(iface=KMS_IFACE, host="127.0.0.1"):
        s = RpcServer(iface, host, str(tmp_path))
        s.peer.start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.peer.stop()


@pytest.fixture
def kms_rpc_server(rpc_server_factory):
    return rpc_server_factory(KMS_IFACE)


@pytest.fixture
def kms_rpc_server_v6(rpc_server_factory):
    return rpc_server_factory(KMS_IFACE, host="::1")


@pytest.fixture
def other_rpc_server(rpc_server_factory):
    return rpc_server_factory(OTHER_IFACE)


class RpcRelay:
    """Listens on host:port for each host and pipes every connection to
    to:port, both ways, until either side closes."""

    def __init__(self, hosts, port, to):
        self.to = (to, port)
        self.stopping = threading.Event()
        self.socks, self.threads = [], []
        for h in hosts:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((h, port))
            s.listen(16)
            s.settimeout(0.2)
            self.socks.append(s)
        for s in self.socks:
            self._thread(self._accept, s)

    def _thread(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self, lsock):
        while not self.stopping.is_set():
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            try:
                up = socket.create_connection(self.to, timeout=2)
            except OSError:
                conn.close()
                continue
            for a, b in ((conn, up), (up, conn)):
                a.settimeout(0.2)
                self._thread(self._pipe, a, b)

    def _pipe(self, a, b):
        while not self.stopping.is_set():
            try:
                data = a.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                break
            try:
                b.sendall(data)
            except OSError:
                break
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        a.close()  # the other direction closes b, its own read side

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(3)
        for s in self.socks:
            s.close()


@pytest.fixture
def rpc_relay():
    relays = []

    def start(hosts, port, to="127.0.0.1"):
        r = RpcRelay(hosts, port, to)
        relays.append(r)
        return r

    yield start
    for r in relays:
        r.stop()
