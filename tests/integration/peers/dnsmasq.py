"""DNS peers for the tests: a real dnsmasq, and a scripted hostile responder.

Fixture `dnsmasq` is a factory: call it with a dict and get a running
dnsmasq (Debian's /usr/sbin/dnsmasq) on a free loopback port, stopped after
the test.

    def test_x(dnsmasq):
        dns = dnsmasq({
            "domain": "corp.example",          # zone dnsmasq is authoritative-ish
                                               # for (--local): unknown names
                                               # there are NXDOMAIN, not REFUSED
            "srv": [("kms01.corp.example", 1688, 0, 100),   # target, port,
                    ("kms02.corp.example", 1688, 10, 100)], # prio, weight
            "hosts": {"kms01.corp.example": ["127.0.0.1", "::1"]},
            # optional:
            "srv_name": "_vlmcs._tcp.corp.example",  # default from domain
            "ttl": 3600,                             # TTL of all records
            "listen": "127.0.0.1",                   # or "::1"
            "cnames": {"kms03.corp.example": "real.corp.example"},
                                 # alias -> target (--cname); dnsmasq answers
                                 # an alias whose target it does not know
                                 # with the CNAME alone (NOERROR)
        })
        run("check_kms_dns", "-D", "corp.example", "-s", dns.server)
        dns.stop()   # optional (e.g. to test a server that went away)

The object has .server ("127.0.0.1:PORT" or "[::1]:PORT"), .host, .port
and .stop(). "srv": [] publishes no SRV record: dnsmasq's --local zone then
answers the SRV name with NXDOMAIN. Names outside "domain" are REFUSED.
dnsmasq puts A/AAAA of SRV targets it knows into the additional section. Readiness is a
real A query for a probe name answered by the server.

Fixture `dns_hostile` is a factory too: dns_hostile(mode) starts a UDP
responder thread on a free 127.0.0.1 port that answers every query in one
scripted way, and returns an object with .server and .stop(). Modes:
  "truncated"       a valid SRV answer cut in the middle of its answer record
  "loop"            SRV target name is a compression pointer to itself
  "ancount"         header claims 3 answers, the message holds 1
  "rdlength"        SRV rdlength runs past the end of the message
  "wrong_id"        a valid answer with the ID changed (must be ignored)
  "servfail"        rcode SERVFAIL     "refused"  rcode REFUSED
  "nxdomain"        rcode NXDOMAIN     "silence"  never answers
  "good"            a valid answer: kms01.corp.example:1688 with an
                    additional A record 127.0.0.1
  "tc"              TC bit set over UDP; over TCP (same port) the "good" answer
"""
import os
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

import harness

DNSMASQ = "/usr/sbin/dnsmasq"


def build_query(name, qtype, qid=0x1234):
    """A minimal DNS query message (RD set)."""
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", qtype, 1)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_answers(host, port, name, qtype=1, timeout=0.5):
    """True when a DNS server at host:port answers a query for name."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(build_query(name, qtype), (host, port))
        data, _ = s.recvfrom(4096)
        return len(data) >= 12 and data[:2] == b"\x12\x34"
    except OSError:
        return False
    finally:
        s.close()


class Dnsmasq:
    def __init__(self, spec):
        self.spec = spec
        self.host = spec.get("listen", "127.0.0.1")
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self.port = harness.free_port(socket.SOCK_DGRAM, fam)
        self.server = ("[%s]:%d" if ":" in self.host else "%s:%d") % (self.host, self.port)
        self.tmp = tempfile.mkdtemp(prefix="kms-dnsmasq-")
        domain = spec.get("domain", "corp.example")
        srv_name = spec.get("srv_name", "_vlmcs._tcp." + domain)
        ttl = int(spec.get("ttl", 3600))
        cmd = [DNSMASQ, "--no-daemon", "--keep-in-foreground", "--conf-file=/dev/null",
               "--port=%d" % self.port, "--listen-address=%s" % self.host,
               "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-negcache",
               "--pid-file=%s" % os.path.join(self.tmp, "pid"),
               "--local=/%s/" % domain, "--local-ttl=%d" % ttl, "--log-queries",
               # readiness probe name
               "--host-record=ready.kms-test.invalid,192.0.2.1",
               "--local=/kms-test.invalid/"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        for rec in spec.get("srv", []):
            target, port, prio, weight = (list(rec) + [0, 0])[:4]
            cmd.append("--srv-host=%s,%s,%d,%d,%d" % (srv_name, target, port, prio, weight))
        for name, addrs in spec.get("hosts", {}).items():
            for a in addrs:
                cmd.append("--host-record=%s,%s,%d" % (name, a, ttl))
        for alias, target in spec.get("cnames", {}).items():
            cmd.append("--cname=%s,%s,%d" % (alias, target, ttl))
        for extra in spec.get("args", []):
            cmd.append(extra)
        self.peer = harness.Peer(cmd, lambda: dns_answers(self.host, self.port, "ready.kms-test.invalid"),
                                 "dnsmasq", log=os.path.join(self.tmp, "log"))

    def start(self):
        self.peer.start()
        return self

    def stop(self):
        self.peer.stop()

    def log(self):
        try:
            with open(os.path.join(self.tmp, "log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def dnsmasq_can_listen_v6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


@pytest.fixture
def dnsmasq():
    started = []

    def factory(spec):
        d = Dnsmasq(spec)
        started.append(d)
        return d.start()

    yield factory
    for d in started:
        d.stop()


# --- the hostile responder ---------------------------------------------------

def _good_answer(query, qid=None):
    """Answer for `query`: one SRV kms01.corp.example:1688 plus an A record."""
    qid_b = query[:2] if qid is None else struct.pack(">H", qid)
    question = query[12:]
    target = encode_name("kms01.corp.example")
    rdata = struct.pack(">HHH", 0, 100, 1688) + target
    an = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 3600, len(rdata)) + rdata
    # additional A for the target: name via pointer to the SRV target
    target_off = 12 + len(question) + 12 + 6
    ar = struct.pack(">H", 0xC000 | target_off) + struct.pack(">HHIH", 1, 1, 3600, 4) + bytes([127, 0, 0, 1])
    hdr = qid_b + struct.pack(">HHHHH", 0x8580, 1, 1, 0, 1)
    return hdr + question + an + ar


def _rcode_answer(query, rcode):
    return query[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, 0, 0, 0) + query[12:]


def hostile_answer(mode, query):
    """The scripted answer of `mode` to `query`, or None for silence."""
    qlen = len(query) - 12
    if mode == "good":
        return _good_answer(query)
    if mode == "truncated":
        good = _good_answer(query)
        return good[:12 + qlen + 8]   # inside the answer record's fixed part
    if mode == "loop":
        question = query[12:]
        off = 12 + len(question) + 12 + 6   # where the target name starts
        rdata = struct.pack(">HHH", 0, 100, 1688) + struct.pack(">H", 0xC000 | off)
        an = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 3600, len(rdata)) + rdata
        return query[:2] + struct.pack(">HHHHH", 0x8580, 1, 1, 0, 0) + question + an
    if mode == "ancount":
        good = _good_answer(query)
        return good[:6] + struct.pack(">HHH", 3, 0, 0) + good[12:12 + qlen] + \
            good[12 + qlen:12 + qlen + 12 + 6 + len(encode_name("kms01.corp.example"))]
    if mode == "rdlength":
        question = query[12:]
        rdata = struct.pack(">HHH", 0, 100, 1688) + encode_name("kms01.corp.example")
        an = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 3600, 200) + rdata
        return query[:2] + struct.pack(">HHHHH", 0x8580, 1, 1, 0, 0) + question + an
    if mode == "wrong_id":
        qid = struct.unpack(">H", query[:2])[0] ^ 0xFFFF
        return _good_answer(query, qid)
    if mode == "servfail":
        return _rcode_answer(query, 2)
    if mode == "nxdomain":
        return _rcode_answer(query, 3)
    if mode == "refused":
        return _rcode_answer(query, 5)
    if mode == "tc":
        return query[:2] + struct.pack(">HHHHH", 0x8780, 1, 0, 0, 0) + query[12:]
    if mode == "silence":
        return None
    raise ValueError("unknown hostile DNS mode %r" % mode)


class HostileDns:
    def __init__(self, mode):
        self.mode = mode
        self.queries = 0
        self.port = harness.free_port(socket.SOCK_DGRAM)
        self.server = "127.0.0.1:%d" % self.port
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.stopping = False
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True),
                        threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def _serve_udp(self):
        while not self.stopping:
            try:
                data, addr = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            ans = hostile_answer(self.mode, data)
            if ans is not None:
                self.udp.sendto(ans, addr)

    def _serve_tcp(self):
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    hdr = conn.recv(2)
                    n = struct.unpack(">H", hdr)[0]
                    data = b""
                    while len(data) < n:
                        chunk = conn.recv(n - len(data))
                        if not chunk:
                            break
                        data += chunk
                    mode = "good" if self.mode == "tc" else self.mode
                    ans = hostile_answer(mode, data)
                    if ans is not None:
                        conn.sendall(struct.pack(">H", len(ans)) + ans)
                except (OSError, struct.error):
                    pass

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def dns_hostile():
    started = []

    def factory(mode):
        h = HostileDns(mode)
        started.append(h)
        return h

    yield factory
    for h in started:
        h.stop()
