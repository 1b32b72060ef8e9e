"""check_kms_host against real peers: impacket's DCE/RPC server with the KMS
interface (and with another one), scripted hostile peers, closed ports,
unresolvable names, ::1, and -D discovery through dnsmasq. Every test states
the exact first line a user would see, the state and the perfdata."""
import json
import re
import shutil
import socket
import struct
import subprocess
import time
import types
import uuid

import pytest

import harness
import netns
from harness import run
from peers.hostile import (BTFN, ZERO_SYNTAX, alter_context_resp, bind_ack, fault,
                           header, syntax)

KMS = uuid.UUID("51c82175-844e-4750-b0d8-ec255555bc06")
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
NDR64 = uuid.UUID("71710533-beba-4937-8319-b5dbef9ccc36")
BTFN = uuid.UUID("6cb71c2c-9812-4540-0300-000000000000")

timing = pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing under valgrind")


def host(h, port):
    return "%s:%d" % (h, port)


def assert_times(res):
    """time, connect and bind in seconds, with time = connect + bind."""
    assert set(res.perf) == {"time", "connect", "bind"}, res
    for k in ("time", "connect", "bind"):
        assert res.perf[k]["uom"] == "s" and res.perf[k]["min"] == "0", res
        assert 0 < res.perf[k]["value"] < 5, res
    total = res.perf["connect"]["value"] + res.perf["bind"]["value"]
    assert abs(res.perf["time"]["value"] - total) < 0.0001, res


def decode_bind(pdu):
    """Decode a bind PDU by the DCE 1.1 layout (12.6.3.1, 12.6.4.3)."""
    (vers, minor, ptype, flags, drep, frag, auth, call_id, xmit, recv, assoc,
     n_ctx) = struct.unpack_from("<BBBB4sHHIHHIB", pdu, 0)
    ctxs = []
    off = 28
    for _ in range(n_ctx):
        ctx_id, n_ts = struct.unpack_from("<HB", pdu, off)
        abstract = uuid.UUID(bytes_le=pdu[off + 4:off + 20])
        a_ver = struct.unpack_from("<HH", pdu, off + 20)
        ts = []
        for t in range(n_ts):
            o = off + 24 + 20 * t
            ts.append((uuid.UUID(bytes_le=pdu[o:o + 16]), struct.unpack_from("<HH", pdu, o + 16)))
        ctxs.append((ctx_id, abstract, a_ver, ts))
        off += 24 + 20 * n_ts
    return dict(vers=(vers, minor), ptype=ptype, flags=flags, drep=drep, frag=frag,
                auth=auth, call_id=call_id, xmit=xmit, recv=recv, assoc=assoc,
                ctxs=ctxs, end=off)


def assert_windows_bind(pdu):
    d = decode_bind(pdu)
    assert d["vers"] == (5, 0)
    assert d["ptype"] == 11                      # bind, never 0 (request)
    assert d["flags"] == 0x03                    # first | last fragment
    assert d["drep"] == b"\x10\x00\x00\x00"      # little-endian, ASCII, IEEE
    assert d["frag"] == len(pdu) == d["end"] == 160
    assert d["auth"] == 0
    assert (d["xmit"], d["recv"], d["assoc"]) == (5840, 5840, 0)
    assert d["ctxs"] == [
        (0, KMS, (1, 0), [(NDR, (2, 0))]),
        (1, KMS, (1, 0), [(NDR64, (1, 0))]),
        (2, KMS, (1, 0), [(BTFN, (1, 0))]),
    ]


# ---------------------------------------------------------------- real peers

def test_ok_against_impacket_kms_server(kms_rpc_server):
    srv = kms_rpc_server
    res = run("check_kms_host", "-H", srv.host, "-p", srv.port)
    assert res.code == 0, res
    m = re.match(r"^KMS HOST OK - 127\.0\.0\.1:%d answers KMS RPC in (\d+(\.\d)?) ms$"
                 % srv.port, res.first)
    assert m, res
    assert_times(res)
    assert abs(float(m.group(1)) - res.perf["time"]["value"] * 1000) <= 0.06, res
    assert res.long == ["[OK] 127.0.0.1:%d answers KMS RPC in %s ms" % (srv.port, m.group(1))], res
    # the server saw exactly one PDU, a bind, and never a request (ptype 0)
    time.sleep(0.2)
    assert srv.pdu_types() == [11], srv.pdus()
    assert_windows_bind(srv.pdus()[0][2])


def test_impacket_with_another_interface_drops_the_kms_bind(other_rpc_server):
    srv = other_rpc_server
    res = run("check_kms_host", "-H", srv.host, "-p", srv.port)
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d closed the connection before answering" % srv.port
    assert set(res.perf) == {"connect"}, res
    time.sleep(0.2)
    assert srv.pdu_types() == [11], srv.pdus()


def test_ipv6_loopback(kms_rpc_server_v6):
    srv = kms_rpc_server_v6
    res = run("check_kms_host", "-H", "::1", "-p", srv.port, "-6")
    assert res.code == 0, res
    assert re.match(r"^KMS HOST OK - \[::1\]:%d answers KMS RPC in \d+(\.\d)? ms$" % srv.port,
                    res.first), res
    assert_times(res)
    time.sleep(0.2)
    assert srv.pdu_types() == [11]


def test_name_shows_the_address_used(kms_rpc_server):
    srv = kms_rpc_server
    res = run("check_kms_host", "-H", "localhost", "-p", srv.port, "-4")
    assert res.code == 0, res
    assert re.match(r"^KMS HOST OK - localhost:%d answers KMS RPC in [\d.]+ ms$" % srv.port,
                    res.first), res
    assert re.match(r"^\[OK\] localhost:%d \(127\.0\.0\.1\): answers KMS RPC in [\d.]+ ms$"
                    % srv.port, res.long[0]), res


def test_hostile_peer_on_ipv6(hostile_peer):
    peer = hostile_peer("reject", host="::1")
    res = run("check_kms_host", "-H", "::1", "-p", peer.port)
    assert res.code == 2, res
    # line 1 drops the detail the long output carries, to stay within 100
    assert res.first == "KMS HOST CRITICAL - [::1]:%d answers DCE/RPC but is not a KMS host" \
        % peer.port, res
    assert res.long == ["[CRITICAL] [::1]:%d answers DCE/RPC but is not a KMS host "
                        "(bind rejected: abstract syntax not supported)" % peer.port], res


@pytest.mark.parametrize("literal,flag,family", [
    ("::1", "-4", "IPv4"), ("fe80::1%lo", "-4", "IPv4"), ("127.0.0.1", "-6", "IPv6"),
    ("127.1", "-6", "IPv6")])
def test_family_mismatch_is_named(literal, flag, family):
    # in a namespace of its own: proves no resolver is asked for a literal
    if netns.available():
        pytest.skip(netns.available())
    res = netns.run("check_kms_host", "-H", literal, flag)
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - %s: name has no %s address" % (literal, family), res
    assert res.queries == [], res


def test_bind_bytes_match_the_dce_layout(hostile_peer):
    peer = hostile_peer("accept")
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 0, res
    assert res.summary.startswith("127.0.0.1:%d answers KMS RPC in " % peer.port), res
    time.sleep(0.3)
    got = peer.received()
    assert len(got) == 1, got            # one connection ...
    assert len(got[0]) == 160, got       # ... carrying exactly one PDU, the bind
    assert_windows_bind(got[0])
    assert got[0].hex() == (
        "05000b0310000000a000000001000000d016d016000000000300000000000100"
        "7521c8514e845047b0d8ec255555bc0601000000045d888aeb1cc9119fe80800"
        "2b10486002000000010001007521c8514e845047b0d8ec255555bc0601000000"
        "33057171babe37498319b5dbef9ccc3601000000020001007521c8514e845047"
        "b0d8ec255555bc06010000002c1cb76c12984045030000000000000001000000")


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_decodes_the_bind(kms_rpc_server, tmp_path):
    """tshark's own DCE/RPC dissector reads our bind as a KMS bind."""
    srv = kms_rpc_server
    pcap = tmp_path / "bind.pcap"
    cap = subprocess.Popen(["tshark", "-q", "-i", "lo", "-w", str(pcap), "-f",
                            "tcp port %d" % srv.port], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        ok = False
        while time.monotonic() < deadline and cap.poll() is None:
            run("check_kms_host", "-H", srv.host, "-p", srv.port)
            time.sleep(0.5)
            if pcap.exists() and pcap.stat().st_size > 400:
                ok = True
                break
    finally:
        cap.terminate()
        err = cap.communicate(timeout=10)[1]
    if not ok:
        pytest.skip("tshark cannot capture on lo here: %s" % err[-300:])
    out = subprocess.run(["tshark", "-r", str(pcap), "-d", "tcp.port==%d,dcerpc" % srv.port,
                          "-Y", "dcerpc.pkt_type == 11", "-T", "fields",
                          "-e", "dcerpc.ver", "-e", "dcerpc.cn_bind_to_uuid",
                          "-e", "dcerpc.cn_bind_trans_id"],
                         capture_output=True, text=True, timeout=30).stdout
    line = out.strip().split("\n")[0]
    assert "51c82175-844e-4750-b0d8-ec255555bc06" in line, out
    assert "8a885d04-1ceb-11c9-9fe8-08002b104860" in line, out
    assert "71710533-beba-4937-8319-b5dbef9ccc36" in line, out
    requests = subprocess.run(["tshark", "-r", str(pcap), "-d", "tcp.port==%d,dcerpc" % srv.port,
                               "-Y", "dcerpc.pkt_type == 0"], capture_output=True,
                              text=True, timeout=30).stdout
    assert requests.strip() == "", requests


# ----------------------------------------------------------- hostile peers

@pytest.mark.parametrize("mode,text,short", [
    ("reject", "answers DCE/RPC but is not a KMS host (bind rejected: abstract syntax not supported)",
     "answers DCE/RPC but is not a KMS host"),
    ("nak", "answers DCE/RPC but refused the bind (bind_nak: protocol version not supported)",
     "answers DCE/RPC but refused the bind"),
    ("garbage", 'answers but not with DCE/RPC (first bytes "HTTP/1.1" are not a DCE/RPC 5.0 header)',
     "answers but not with DCE/RPC"),
    ("wrongver", 'answers but not with DCE/RPC (first bytes "\\x04\\x00\\x0c\\x03\\x10\\x00\\x00\\x00" '
                 'are not a DCE/RPC 5.0 header)', "answers but not with DCE/RPC"),
    ("badcallid", "sent a malformed DCE/RPC answer: bind_ack for call_id 7, the bind was call_id 1",
     "sent a malformed DCE/RPC answer"),
    ("truncated", "sent a malformed DCE/RPC answer: truncated bind_ack: 40 of 108 bytes, "
                  "then closed the connection", "sent a malformed DCE/RPC answer"),
    ("fraglie", "sent a malformed DCE/RPC answer: truncated bind_ack: 60 of 4000 bytes, "
                "then closed the connection", "sent a malformed DCE/RPC answer"),
    ("fraghuge", "sent a malformed DCE/RPC answer: bind_ack frag_length 65000 exceeds the "
                 "4096 bytes a bind answer can need", "sent a malformed DCE/RPC answer"),
    ("close", "closed the connection before answering", "closed the connection before answering"),
])
def test_hostile_answers_are_critical_and_named(hostile_peer, mode, text, short):
    peer = hostile_peer(mode)
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 2, res
    # line 1 within 100 characters: the detail is in the long output
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d %s" % (peer.port, short), res
    assert len(res.first) <= 100, res
    assert res.long == ["[CRITICAL] 127.0.0.1:%d %s" % (peer.port, text)], res
    if mode == "close":
        assert set(res.perf) == {"connect"}, res
    else:
        assert_times(res)
    time.sleep(0.3)
    sent = peer.received()
    assert len(sent) == 1 and len(sent[0]) == 160 and sent[0][2] == 11, sent


@timing
def test_silent_peer_times_out_within_t(hostile_peer):
    peer = hostile_peer("silent")
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-t", "2")
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - 127.0.0.1:%d: timed out after 2 s waiting "
                         "for the bind answer" % peer.port), res
    assert 1.9 <= res.elapsed <= 2.5, res
    assert set(res.perf) == {"connect"}, res


@timing
def test_timeout_state_from_t(hostile_peer):
    peer = hostile_peer("silent")
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-t", "1:WARNING")
    assert res.code == 1, res
    assert res.first == ("KMS HOST WARNING - 127.0.0.1:%d: timed out after 1 s waiting "
                         "for the bind answer" % peer.port), res
    assert res.elapsed <= 1.5, res


@timing
@pytest.mark.parametrize("mode,pattern", [
    ("fraglie_open", r"in the middle of the bind answer \(60 of 4000 bytes received\)"),
    ("drip", r"in the middle of the bind answer \([1-3] of 16 bytes received\)"),
])
def test_partial_answers_time_out(hostile_peer, mode, pattern):
    peer = hostile_peer(mode)
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-t", "2")
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - 127.0.0.1:%d: timed out after 2 s in the middle "
                         "of the bind answer" % peer.port), res
    assert re.match(r"^\[CRITICAL\] 127\.0\.0\.1:%d: timed out after 2 s %s$"
                    % (peer.port, pattern), res.long[0]), res
    assert res.elapsed <= 2.5, res


# ------------------------------------------------------ network failures

def test_closed_port_is_refused():
    port = harness.free_port()
    res = run("check_kms_host", "-H", "127.0.0.1", "-p", port)
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d: connection refused" % port
    assert res.perf == {}, res


needs_netns = pytest.mark.skipif(netns.available() is not None,
                                 reason="no network namespace: %s" % netns.available())


@needs_netns
@pytest.mark.parametrize("name", ["kms01.corp.invalid", "KMS-02.example", "kms03",
                                  "kms_04.corp.example.", "xn--kms-5qa.example"])
def test_unresolvable_name(name):
    """NXDOMAIN from a loopback dnsmasq, the only resolver the plugin's own
    network namespace has: no query leaves the machine."""
    res = netns.run("check_kms_host", "-H", name)
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - %s: name does not resolve (Name or service "
                         "not known)" % name), res
    assert res.long == ["[CRITICAL] %s: name does not resolve (Name or service not known)"
                        % name], res
    assert res.perf == {}, res
    assert name.lower().rstrip(".") in [q.lower() for q in res.queries], res


@needs_netns
@pytest.mark.parametrize("addrs,flag,text", [
    (["::1"], "-4", "name has no IPv4 address"),
    (["127.0.0.1"], "-6", "name has no IPv6 address"),
])
def test_name_without_an_address_of_the_family(addrs, flag, text):
    res = netns.run("check_kms_host", "-H", "kms01.corp.example", flag,
                    hosts={"kms01.corp.example": addrs})
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - kms01.corp.example: %s" % text, res


@needs_netns
def test_name_resolved_by_the_namespace_resolver():
    """The control: a name the loopback dnsmasq knows resolves, and the
    connection goes to the address it gave (nothing listens there)."""
    res = netns.run("check_kms_host", "-H", "kms01.corp.example", "-p", "1688",
                    hosts={"kms01.corp.example": ["127.0.0.1"]})
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - kms01.corp.example:1688: connection refused", res
    assert res.long == ["[CRITICAL] kms01.corp.example:1688 (127.0.0.1): connection refused"], res


@needs_netns
@timing
def test_resolver_down_is_named():
    res = netns.run("check_kms_host", "-H", "kms01.corp.example", dns=False)
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - kms01.corp.example: name does not resolve "
                         "(Temporary failure in name resolution)"), res


# -------------------------------------------------- -H no resolver accepts

LONG_LABEL = "k" * 64 + ".corp.example"
LONG_NAME = ".".join(["kms%02d" % i for i in range(43)]) + ".example"   # 265 bytes


@needs_netns
@pytest.mark.parametrize("name,shown,why", [
    ("a..b", "a..b", "empty label"),
    (".kms01.corp.example", ".kms01.corp.example", "empty label"),
    ("kms01..", "kms01..", "empty label"),
    (".", ".", "empty name"),
    (LONG_LABEL, "k" * 25 + "...", "label longer than 63 bytes"),
    (LONG_NAME, LONG_NAME[:25] + "...", "longer than 253 bytes"),
    ("kms01/corp", "kms01/corp", "character '/' not allowed"),
    ("kms01.corp.example:1688", "kms01.corp.example:1688", "not an IPv6 address"),
    ("[::1]", "[::1]", "not an IPv6 address (give it without brackets)"),
    ("kms 01", "kms 01", "space or control character"),
    ("kms01|x", "kms01/x", "character '/' not allowed"),
    ("k\u00e4ms.example", "k\u00e4ms.example", "byte 0xc3 not allowed"),
    ("10.0.0.300", "10.0.0.300", "not an IPv4 address"),
    ("1.2.3.4.5", "1.2.3.4.5", "not an IPv4 address"),
    ("::g", "::g", "not an IPv6 address"),
])
def test_invalid_host_name_is_unknown(name, shown, why):
    """A name no resolver can take is a configuration error: UNKNOWN, and no
    lookup is made (the namespace's resolver logs none)."""
    res = netns.run("check_kms_host", "-H", name)
    assert res.code == 3, res
    # ('|' would end line 1: the output layer shows it as '/')
    assert res.first == 'KMS HOST UNKNOWN - invalid host name "%s": %s' % (shown, why), res
    assert len(res.first) <= 100, res
    assert res.queries == [], res


@needs_netns
@pytest.mark.parametrize("name", ["127.0.0.1", "127.1", "::1", "::ffff:127.0.0.1",
                                  "fe80::1%lo", "kms01.corp.example.", "KMS_01-a.corp"])
def test_valid_host_names_are_tried(name):
    """IP literals and names with '_' or a trailing dot stay valid."""
    res = netns.run("check_kms_host", "-H", name, "-p", "1",
                    hosts={"kms01.corp.example": ["127.0.0.1"],
                           "kms_01-a.corp": ["127.0.0.1"]})
    assert res.code == 2, res
    assert "invalid host name" not in res.first, res
    assert res.first.endswith(": connection refused") or \
        res.first.endswith(": no route to host (Network is unreachable)") or \
        res.first.endswith(": no route to host (Invalid argument)"), res


@pytest.mark.parametrize("domain,shown,why", [
    ("corp..example", "corp..example", "empty label"),
    ("k" * 64 + ".example", "k" * 25 + "...", "label longer than 63 bytes"),
    ("", None, None),
])
def test_invalid_domain_is_unknown(domain, shown, why):
    res = run("check_kms_host", "-D", domain, "-s", "127.0.0.1:1")
    assert res.code == 3, res
    if shown is not None:
        assert res.first == ('KMS HOST UNKNOWN - -D: "%s" is not a valid domain name (%s)'
                             % (shown, why)), res


# ------------------------------------------- crafted bind answers (hostile)

NDR_S = syntax(uuid.UUID(str(NDR)), 2)
NDR64_S = syntax(uuid.UUID(str(NDR64)), 1)
OTHER = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
UNKNOWN = "bind accepted with an unknown transfer syntax"
CROSSED = "bind accepted with a transfer syntax of another context"


@pytest.mark.parametrize("results,detail", [
    ([(0, 0, ZERO_SYNTAX), (2, 2, ZERO_SYNTAX), (3, 3, ZERO_SYNTAX)],
     UNKNOWN + " (00000000-0000-0000-0000-000000000000 v0.0 in context 0)"),
    ([(0, 0, syntax(uuid.UUID(str(NDR)), 1)), (2, 2, ZERO_SYNTAX)],
     UNKNOWN + " (8a885d04-1ceb-11c9-9fe8-08002b104860 v1.0 in context 0)"),
    ([(0, 0, syntax(OTHER, 2))],
     UNKNOWN + " (12345678-9abc-def0-1234-56789abcdef0 v2.0 in context 0)"),
    ([(2, 2, ZERO_SYNTAX), (0, 0, syntax(BTFN, 1)), (3, 3, ZERO_SYNTAX)],
     UNKNOWN + " (bind-time feature negotiation 6cb71c2c-9812-4540-0300-000000000000 v1.0 "
               "in context 1)"),
    ([(2, 2, ZERO_SYNTAX), (0, 0, syntax(uuid.UUID(str(KMS)), 1))],
     UNKNOWN + " (KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 in context 1)"),
    ([(0, 0, NDR64_S), (2, 2, ZERO_SYNTAX)], CROSSED + " (NDR64 in context 0, offered NDR)"),
    ([(2, 2, ZERO_SYNTAX), (0, 0, NDR_S)], CROSSED + " (NDR in context 1, offered NDR64)"),
    # one honest acceptance does not excuse a false one
    ([(0, 0, NDR_S), (0, 0, ZERO_SYNTAX), (3, 3, ZERO_SYNTAX)],
     UNKNOWN + " (00000000-0000-0000-0000-000000000000 v0.0 in context 1)"),
])
def test_acceptance_with_a_syntax_never_offered_is_critical(crafted_peer, results, detail):
    peer = crafted_peer(bind_ack(results))
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 2, res
    head = detail.split(" (")[0]
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d: %s" % (peer.port, head), res
    assert res.long == ["[CRITICAL] 127.0.0.1:%d: %s" % (peer.port, detail)], res
    assert_times(res)
    got = peer.received()
    assert len(got) == 1 and len(got[0]) == 160 and got[0][2] == 11, got


@pytest.mark.parametrize("results", [
    [(0, 0, NDR_S), (2, 2, ZERO_SYNTAX), (3, 3, ZERO_SYNTAX)],
    [(2, 2, ZERO_SYNTAX), (0, 0, NDR64_S), (3, 3, ZERO_SYNTAX)],
    [(0, 0, NDR_S), (0, 0, NDR64_S), (3, 3, ZERO_SYNTAX)],
    [(0, 0, NDR_S)],
])
def test_acceptance_with_an_offered_syntax_is_ok(crafted_peer, results):
    peer = crafted_peer(bind_ack(results))
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 0, res
    assert re.match(r"^KMS HOST OK - 127\.0\.0\.1:%d answers KMS RPC in [\d.]+ ms$" % peer.port,
                    res.first), res


def bind_nak(reason):
    return header(13, struct.pack("<HB", reason, 1) + bytes([5, 0]))


@pytest.mark.parametrize("answer,text", [
    (fault(0x1c010003), "answered with a DCE/RPC fault 0x1c010003 (nca_s_unk_if)"),
    (fault(0x1c010002), "answered with a DCE/RPC fault 0x1c010002 (nca_s_op_rng_error)"),
    (fault(0x00000005), "answered with a DCE/RPC fault 0x00000005 (access denied)"),
    (fault(0x1c00001c, call_id=0),
     "answered with a DCE/RPC fault 0x1c00001c (nca_s_invalid_pres_context_id)"),
    (fault(0xdeadbeef), "answered with a DCE/RPC fault 0xdeadbeef"),
    (alter_context_resp(), "answered alter_context_resp (PDU type 15) to a bind"),
    (header(2, bytes(8)), "answered response (PDU type 2) to a bind"),
    (header(11, bytes(12)), "answered bind (PDU type 11) to a bind"),
    (header(17, b""), "answered shutdown (PDU type 17) to a bind"),
    (bind_nak(1), "answers DCE/RPC but refused the bind (bind_nak: temporary congestion)"),
    (bind_nak(8), "answers DCE/RPC but refused the bind (bind_nak: authentication type "
                  "not recognized)"),
])
def test_dcerpc_answers_are_named_for_what_they_are(crafted_peer, answer, text):
    peer = crafted_peer(answer)
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 2, res
    assert res.long == ["[CRITICAL] 127.0.0.1:%d %s" % (peer.port, text)], res
    short = text if len("KMS HOST CRITICAL - 127.0.0.1:%d %s" % (peer.port, text)) <= 100 \
        else text.split(" (")[0]
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d %s" % (peer.port, short), res
    assert "not DCE/RPC" not in res.stdout and "not with DCE/RPC" not in res.stdout, res
    assert_times(res)


@pytest.mark.parametrize("ptype", [1, 4, 7, 10, 20, 99, 255])
def test_pdu_types_outside_connection_oriented_rpc_are_not_dcerpc(crafted_peer, ptype):
    peer = crafted_peer(header(ptype, bytes(8)))
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port)
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - 127.0.0.1:%d answers but not with DCE/RPC" % peer.port
    assert res.long == ["[CRITICAL] 127.0.0.1:%d answers but not with DCE/RPC (PDU type %d is "
                        "not a connection-oriented DCE/RPC type)" % (peer.port, ptype)], res


# ------------------------------------------------------------------ -v, -vv

def test_verbose_names_connect_offer_and_answer(crafted_peer):
    peer = crafted_peer(bind_ack([(0, 0, NDR_S), (2, 2, ZERO_SYNTAX), (3, 3, ZERO_SYNTAX)],
                                 max_frags=(4280, 5840)))
    where = "127.0.0.1 (127.0.0.1)"
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-v")
    assert res.code == 0, res
    err = res.stderr.splitlines()
    assert re.match(r"^127\.0\.0\.1: connected to 127\.0\.0\.1 port %d in [\d.]+ ms$"
                    % peer.port, err[0]), res
    assert re.match(r"^%s: bind_ack of 108 bytes after [\d.]+ ms, max_xmit_frag 4280, "
                    r"max_recv_frag 5840: bind accepted \(KMS interface with NDR\)$"
                    % re.escape(where), err[1]), res
    assert len(err) == 2, res
    assert res.first.startswith("KMS HOST OK - "), res

    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-vv")
    assert res.code == 0, res
    err = res.stderr.splitlines()
    offer = [l for l in err if "bind offers" in l]
    assert offer == [
        where + ": bind offers context 0: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 "
                "with NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0",
        where + ": bind offers context 1: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 "
                "with NDR64 71710533-beba-4937-8319-b5dbef9ccc36 v1.0",
        where + ": bind offers context 2: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 "
                "with bind-time feature negotiation 6cb71c2c-9812-4540-0300-000000000000 v1.0",
    ], res
    assert where + ": bind call_id 1, max_xmit_frag 5840, max_recv_frag 5840, 3 contexts" in err
    ctx = [l for l in err if ": context " in l and "bind offers" not in l]
    assert ctx == [
        where + ": context 0: accepted (result 0, reason 0), transfer syntax "
                "NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0",
        where + ": context 1: rejected (result 2, reason 2), transfer syntax "
                "00000000-0000-0000-0000-000000000000 v0.0",
        where + ": context 2: negotiate_ack (result 3, reason 3), transfer syntax "
                "00000000-0000-0000-0000-000000000000 v0.0",
    ], res
    assert "127.0.0.1 resolves to 1 address: 127.0.0.1" in err, res


@pytest.mark.parametrize("answer,line", [
    (fault(0x1c010003), "fault of 32 bytes after {ms} ms: fault 0x1c010003 (nca_s_unk_if)"),
    (alter_context_resp(), "alter_context_resp of 60 bytes after {ms} ms: "
                           "alter_context_resp (PDU type 15)"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", '{n} bytes after {ms} ms: first bytes "HTTP/1.1" '
                                          'are not a DCE/RPC 5.0 header'),
])
def test_verbose_names_failed_answers(crafted_peer, answer, line):
    peer = crafted_peer(answer)
    res = run("check_kms_host", "-H", peer.host, "-p", peer.port, "-v")
    assert res.code == 2, res
    err = res.stderr.splitlines()
    pat = re.escape("127.0.0.1 (127.0.0.1): " + line).replace(r"\{ms\}", r"[\d.]+") \
        .replace(r"\{n\}", r"\d+")
    assert any(re.match("^" + pat + "$", l) for l in err), res


def test_verbose_names_refused_connects():
    port = harness.free_port()
    res = run("check_kms_host", "-H", "127.0.0.1", "-p", port, "-v")
    assert res.code == 2, res
    assert [l for l in res.stderr.splitlines() if "perfdata" not in l] == [
        "127.0.0.1: connecting to 127.0.0.1 port %d failed: Connection refused" % port], res


# ------------------------------------------------------------- thresholds

def test_warning_on_time(kms_rpc_server):
    srv = kms_rpc_server
    res = run("check_kms_host", "-H", srv.host, "-p", srv.port, "-w", "0.000001", "-c", "5")
    assert res.code == 1, res
    assert re.match(r"^KMS HOST WARNING - 127\.0\.0\.1:%d answers KMS RPC in [\d.]+ ms "
                    r"\(outside -w 0\.000001 s\)$" % srv.port, res.first), res
    assert (res.perf["time"]["warn"], res.perf["time"]["crit"]) == ("0.000001", "5"), res


def test_critical_on_time(kms_rpc_server):
    srv = kms_rpc_server
    res = run("check_kms_host", "-H", srv.host, "-p", srv.port, "-w", "0.000001", "-c", "0.000002")
    assert res.code == 2, res
    assert res.first.endswith(" ms (outside -c 0.000002 s)"), res


def test_generous_thresholds_stay_ok(kms_rpc_server):
    srv = kms_rpc_server
    res = run("check_kms_host", "-H", srv.host, "-p", srv.port, "-w", "1", "-c", "5")
    assert res.code == 0, res
    assert res.perf["time"]["raw"].endswith("s;1;5;0"), res


@pytest.mark.parametrize("args,text", [
    ((), "nothing to probe: give -H HOST or -D DOMAIN"),
    (("-H", "a", "-D", "corp.example"),
     "-H and -D exclude each other: probe one host, or the hosts published for a domain"),
    (("-H", "a", "--min-ok", "2"), "--min-ok applies to -D DOMAIN only"),
])
def test_bad_usage_is_unknown(args, text):
    res = run("check_kms_host", *args)
    assert res.code == 3, res
    assert res.first == "KMS HOST UNKNOWN - " + text, res


def test_bad_range_is_unknown():
    res = run("check_kms_host", "-H", "127.0.0.1", "-c", "2:1")
    assert res.code == 3, res
    assert "2:1" in res.first and "start is greater than end" in res.first, res


# ------------------------------------------------------------ -D discovery

def test_discovery_two_live_one_dead(dnsmasq, rpc_server_factory):
    a, b = rpc_server_factory(), rpc_server_factory()
    dead = harness.free_port()
    dns = dnsmasq({
        "domain": "corp.example",
        "srv": [("kms01.corp.example", a.port, 0, 100),
                ("kms02.corp.example", b.port, 0, 100),
                ("kms03.corp.example", dead, 10, 100)],
        "hosts": {"kms01.corp.example": ["127.0.0.1"],
                  "kms02.corp.example": ["127.0.0.1"],
                  "kms03.corp.example": ["127.0.0.1"]},
    })
    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server)
    assert res.code == 1, res
    assert res.first == "KMS HOST WARNING - 2 of 3 KMS hosts published for corp.example answer", res
    # a dead host beside live ones costs what the count says, WARNING: its
    # line is no worse than the check (clients try the next SRV record)
    assert res.long[0] == "[WARNING] kms03.corp.example:%d (127.0.0.1): connection refused" % dead
    oks = sorted(res.long[1:])
    assert len(oks) == 2, res
    for line, srv, name in zip(oks, (a, b), ("kms01", "kms02")):
        assert re.match(r"^\[OK\] %s\.corp\.example:%d \(127\.0\.0\.1\): answers KMS RPC in "
                        r"[\d.]+ ms$" % (name, srv.port), line), res
    for name, srv in (("kms01", a), ("kms02", b)):
        for k in ("time", "connect", "bind"):
            label = "%s.corp.example:%d_%s" % (name, srv.port, k)
            assert label in res.perf and res.perf[label]["uom"] == "s", res
    assert res.perf["hosts_ok"]["raw"] == "hosts_ok=2;3:;1:;0;3", res
    time.sleep(0.2)
    assert a.pdu_types() == [11] and b.pdu_types() == [11]

    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "--min-ok", "2")
    assert res.code == 0, res
    assert res.first == "KMS HOST OK - 2 of 3 KMS hosts published for corp.example answer", res
    assert res.perf["hosts_ok"]["raw"] == "hosts_ok=2;;2:;0;3", res
    # above --min-ok the lost host is tolerated: OK, as the check
    assert "[OK] kms03.corp.example:%d (127.0.0.1): connection refused" % dead in res.long, res

    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "--min-ok", "3")
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - 2 of 3 KMS hosts published for corp.example "
                         "answer (--min-ok 3)"), res
    # below it the lost host counts whole
    assert res.long[0] == "[CRITICAL] kms03.corp.example:%d (127.0.0.1): connection refused" % dead


def test_discovery_none_answers(dnsmasq):
    dead = harness.free_port()
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", dead, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server)
    assert res.code == 2, res
    assert res.first == "KMS HOST CRITICAL - 0 of 1 KMS hosts published for corp.example answer", res
    assert res.long == ["[CRITICAL] kms01.corp.example:%d (127.0.0.1): connection refused" % dead]
    assert res.perf["hosts_ok"]["value"] == 0


def test_discovery_no_record(dnsmasq):
    dns = dnsmasq({"domain": "corp.example", "srv": [], "hosts": {}})
    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server)
    assert res.code == 2, res
    assert res.first == ("KMS HOST CRITICAL - no KMS host published for corp.example: "
                         "_vlmcs._tcp.corp.example does not exist (NXDOMAIN)"), res


@timing
def test_discovery_silent_host_bounded_by_t(dnsmasq, rpc_server_factory, hostile_peer):
    live = rpc_server_factory()
    silent = hostile_peer("silent")
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", live.port, 0, 100),
                           ("kms02.corp.example", silent.port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"],
                             "kms02.corp.example": ["127.0.0.1"]}})
    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "-t", "2")
    assert res.code == 1, res
    assert res.first == "KMS HOST WARNING - 1 of 2 KMS hosts published for corp.example answer"
    assert re.match(r"^\[WARNING\] kms02\.corp\.example:%d \(127\.0\.0\.1\): timed out after "
                    r"[12] s waiting for the bind answer$" % silent.port, res.long[0]), res
    assert res.elapsed <= 2.5, res


# ------------------------------------- published hosts: -D and dns --probe agree
# One module (common/published.c) probes every address of every SRV target
# for both check_kms_host -D and check_kms_dns --probe: the same DNS answer
# must give the same host line and state in both. Dead addresses are other
# loopback addresses (127.0.0.0/8 is all loopback) on the live server's port,
# where nothing listens: connection refused.

@pytest.fixture
def rpc_on(tmp_path):
    """rpc_on(host, port): impacket's KMS server on exactly host:port."""
    from peers.rpc import HERE, KMS_IFACE
    peers = []

    def start(h, port):
        log = str(tmp_path / ("rpc-%s-%d.jsonl" % (h.replace(":", "_"), port)))
        p = harness.Peer(["/usr/bin/python3", "%s/rpc_server.py" % HERE, h, str(port),
                          KMS_IFACE, log],
                         lambda: harness.wait_tcp(h, port, 0.2), "impacket rpc server",
                         log=log + ".out")
        peers.append(p)
        return p.start()

    yield start
    for p in peers:
        p.stop()


def normal(line):
    """A host line with its times replaced: two runs differ only there."""
    return re.sub(r"in [\d.]+ ms", "in T ms", line)


def both_plugins(dns, name, port):
    """[STATE] host line of `name` from check_kms_host -D and check_kms_dns
    --probe (told the port, so the record itself is right), and both
    results."""
    host = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "-t", "5")
    dnsr = run("check_kms_dns", "-D", "corp.example", "-s", dns.server, "--probe",
               "--port", str(port), "-t", "5")
    hl = [normal(x) for x in host.long if x.split(" ", 1)[1].startswith(name + ":")]
    dl = [normal(re.sub(r" \(prio \d+, weight \d+, ttl \d+\)$", "", x))
          for x in dnsr.long if x.split(" ", 1)[1].startswith(name + ":")]
    return hl, dl, host, dnsr


ADDR_CASES = [
    # (addresses of kms01, state, line after "kms01.corp.example:PORT")
    (["127.0.0.1", "127.0.0.2"], "WARNING",
     ": 1 of 2 addresses does not answer: 127.0.0.2 connection refused; "
     "127.0.0.1 answers KMS RPC in T ms"),
    (["127.0.0.3", "127.0.0.1", "127.0.0.2"], "WARNING",
     ": 2 of 3 addresses do not answer: 127.0.0.2 connection refused; "
     "127.0.0.3 connection refused; 127.0.0.1 answers KMS RPC in T ms"),
    (["127.0.0.2", "127.0.0.3"], "CRITICAL",
     ": none of 2 addresses answers: 127.0.0.2 connection refused; "
     "127.0.0.3 connection refused"),
    (["127.0.0.2"], "CRITICAL", " (127.0.0.2): connection refused"),
    (["127.0.0.1", "::1"], "OK",
     ": all 2 addresses answer: 127.0.0.1 answers KMS RPC in T ms; ::1 answers KMS RPC in T ms"),
    (["127.0.0.1"], "OK", " (127.0.0.1): answers KMS RPC in T ms"),
]


@pytest.mark.parametrize("addrs, state, line", ADDR_CASES)
def test_published_host_same_line_and_state_in_both(dnsmasq, rpc_on, addrs, state, line):
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    if "::1" in addrs:
        rpc_on("::1", port)
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": addrs}})
    hl, dl, host, dnsr = both_plugins(dns, "kms01.corp.example", port)
    want = "[%s] kms01.corp.example:%d%s" % (state, port, line)
    assert hl == [want], host
    assert dl == [want], dnsr
    code = {"OK": 0, "WARNING": 1, "CRITICAL": 2}[state]
    assert host.code == code and dnsr.code == code, (host, dnsr)
    if state == "OK":
        assert host.first == "KMS HOST OK - 1 of 1 KMS hosts published for corp.example answer"
    elif state == "CRITICAL":
        assert host.first == ("KMS HOST CRITICAL - 0 of 1 KMS hosts published for "
                              "corp.example answer"), host
    else:
        dead = [a for a in addrs if a != "127.0.0.1"]
        hl1 = ("127.0.0.2 of kms01.corp.example does not answer" if len(dead) == 1 else
               "%d of %d addresses of kms01.corp.example do not answer" % (len(dead), len(addrs)))
        assert host.first == "KMS HOST WARNING - " + hl1, host
        assert dnsr.first == "KMS DNS WARNING - " + hl1, dnsr
    # the host's times are those of its slowest answering address, judged
    # and graphed together
    if state != "CRITICAL":
        assert "kms01.corp.example:%d_time" % port in host.perf, host


def test_published_more_than_64_addresses_all_probed(dnsmasq, rpc_on):
    """5 hosts of 14 addresses each: 70 probes, more than the 64 threads;
    every one probed and named in both plugins, none reported unprobed."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    names = ["kms%02d.corp.example" % i for i in range(1, 6)]
    hosts = {n: ["127.0.0.1"] + ["127.0.%d.%d" % (i + 1, k) for k in range(2, 15)]
             for i, n in enumerate(names)}
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [(n, port, 0, 100) for n in names], "hosts": hosts})
    host = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "-t", "8")
    dnsr = run("check_kms_dns", "-D", "corp.example", "-s", dns.server, "--probe",
               "--port", str(port), "-t", "8")
    assert host.code == 1 and dnsr.code == 1, (host, dnsr)
    assert host.first == ("KMS HOST WARNING - 13 of 14 addresses of "
                          "kms01.corp.example do not answer +4 more"), host
    assert dnsr.first == ("KMS DNS WARNING - 13 of 14 addresses of kms01.corp.example "
                          "do not answer +4 more"), dnsr
    hlines = sorted(normal(x) for x in host.long)
    dlines = sorted(normal(re.sub(r" \(prio \d+, weight \d+, ttl \d+\)$", "", x))
                    for x in dnsr.long)
    assert hlines == dlines and len(hlines) == 5, (host, dnsr)
    for i, n in enumerate(names):
        dead = "; ".join("127.0.%d.%d connection refused" % (i + 1, k) for k in range(2, 15))
        # (numeric order: .2 before .10)
        want = ("[WARNING] %s:%d: 13 of 14 addresses do not answer: %s; "
                "127.0.0.1 answers KMS RPC in T ms" % (n, port, dead))
        assert want in hlines, (want, host)


# At most 16 addresses per name are kept (common/dns_srv.h); the rest are
# counted. A host with addresses left out is at least WARNING, its line says
# how many, and line 1 of both plugins says the total, from a top-level
# subcheck of its own that no host line's share can hide (issue 16).
# dnsmasq --no-round-robin answers in the order configured: the first 16
# are the ones kept, every run.

CAP_ADDRS = ["127.0.0.%d" % i for i in range(1, 21)]


def cap_dnsmasq(dnsmasq, port, addrs):
    return dnsmasq({"domain": "corp.example",
                    "srv": [("kms01.corp.example", port, 0, 100)],
                    "hosts": {"kms01.corp.example": addrs},
                    "args": ["--no-round-robin"]})


def refused(addrs):
    return "; ".join("%s connection refused" % a for a in addrs)


UNPROBED = "4 more addresses not probed (at most 16 per name)"


def test_published_addresses_beyond_16_said_on_line1(dnsmasq, rpc_on):
    """20 addresses, 127.0.0.1 live and the others refusing: 16 probed, 4
    left out, in the host line and on line 1 of both plugins."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS)
    hl, dl, host, dnsr = both_plugins(dns, "kms01.corp.example", port)
    want = ("[WARNING] kms01.corp.example:%d: 15 of 16 addresses do not answer: %s; "
            "127.0.0.1 answers KMS RPC in T ms; %s" % (port, refused(CAP_ADDRS[1:16]), UNPROBED))
    assert hl == [want], host
    assert dl == [want], dnsr
    line1 = "15 of 16 addresses of kms01.corp.example do not answer; 4 addresses not probed"
    assert host.first == "KMS HOST WARNING - " + line1, host
    assert dnsr.first == "KMS DNS WARNING - " + line1, dnsr
    assert host.code == dnsr.code == 1
    cap = "[WARNING] 4 addresses beyond 16 per name not probed: kms01.corp.example:%d (4)" % port
    assert cap in host.long and cap in dnsr.long, (host, dnsr)
    for res in (host, dnsr):   # the four left out are never probed, never named
        assert not re.search(r"127\.0\.0\.(17|18|19|20)\b", res.stdout), res


def test_published_addresses_beyond_16_not_hidden_by_min_ok(dnsmasq, rpc_on):
    """--min-ok 1 makes the host line OK (its share: one host answers, one
    is enough); the cap's own subcheck keeps the check WARNING."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS)
    res = run("check_kms_host", "-D", "corp.example", "-s", dns.server, "-t", "5",
              "--min-ok", "1")
    assert res.code == 1, res
    assert res.first == "KMS HOST WARNING - 4 addresses beyond 16 per name not probed", res
    assert [normal(x).split(" ", 1)[0] for x in res.long] == ["[WARNING]", "[OK]"], res
    assert normal(res.long[1]).endswith("127.0.0.1 answers KMS RPC in T ms; " + UNPROBED), res


def test_published_addresses_beyond_16_none_answers(dnsmasq):
    """Nothing listens: the count of answering hosts speaks first (CRITICAL),
    the cap after it, in its short form to fit."""
    port = harness.free_port()
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS)
    hl, dl, host, dnsr = both_plugins(dns, "kms01.corp.example", port)
    want = ("[CRITICAL] kms01.corp.example:%d: none of 16 addresses answers: %s; %s"
            % (port, refused(CAP_ADDRS[:16]), UNPROBED))
    assert hl == [want] and dl == [want], (host, dnsr)
    assert host.code == dnsr.code == 2
    assert host.first == ("KMS HOST CRITICAL - 0 of 1 KMS hosts published for corp.example "
                          "answer; 4 addresses not probed"), host
    assert dnsr.first == ("KMS DNS CRITICAL - corp.example: no KMS RPC answer from "
                          "kms01.corp.example; 4 addresses not probed"), dnsr


def test_published_addresses_beyond_16_all_kept_answer(dnsmasq, rpc_on, rpc_relay):
    """Every one of the 16 kept answers (relayed to one impacket server):
    the cap alone makes the host WARNING and speaks on line 1 after the
    good news of what was probed."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    rpc_relay(CAP_ADDRS[1:16], port)
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS)
    hl, dl, host, dnsr = both_plugins(dns, "kms01.corp.example", port)
    live = "; ".join("%s answers KMS RPC in T ms" % a for a in CAP_ADDRS[:16])
    want = "[WARNING] kms01.corp.example:%d: all 16 addresses answer: %s; %s" % (port, live, UNPROBED)
    assert hl == [want] and dl == [want], (host, dnsr)
    assert host.first == ("KMS HOST WARNING - 1 of 1 KMS hosts published for corp.example "
                          "answer; 4 addresses not probed"), host
    assert dnsr.first == ("KMS DNS WARNING - corp.example: 1 KMS host published, it answers "
                          "KMS RPC; 4 addresses not probed"), dnsr


def test_published_exactly_16_addresses_nothing_left_out(dnsmasq, rpc_on):
    """16 addresses: all probed, nothing said of a cap."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS[:16])
    hl, dl, host, dnsr = both_plugins(dns, "kms01.corp.example", port)
    want = ("[WARNING] kms01.corp.example:%d: 15 of 16 addresses do not answer: %s; "
            "127.0.0.1 answers KMS RPC in T ms" % (port, refused(CAP_ADDRS[1:16])))
    assert hl == [want] and dl == [want], (host, dnsr)
    line1 = "15 of 16 addresses of kms01.corp.example do not answer"
    assert host.first == "KMS HOST WARNING - " + line1, host
    assert dnsr.first == "KMS DNS WARNING - " + line1, dnsr
    for res in (host, dnsr):
        assert "not probed" not in res.stdout and len(res.long) == 1, res


# ------------------------------------------- one result, three formats (issue 16)
# run_formats runs each check as text, json and mp-test-json and asserts they
# agree (state, summary, every perfdata label and value), the JSON Schema and
# that no metric is over its warn/crit under a better state.
#
# The tree: -H is one top-level subcheck (the probe), judged by its `time`
# metric under -w/-c when the host answered and by the failure when not;
# connect and bind only graph. -D is one top-level subcheck "N of M KMS hosts
# published for DOMAIN answer", judged by `hosts_ok` under its thresholds,
# with one child per published host (its line, its times).

_MS = re.compile(r"in \d+(\.\d+)? ms")
_TIMED = re.compile(r"(^|_)(time|connect|bind)$")
_PERF_VALUE = re.compile(r"('[^']+'|[^'=\s]+)=(-?\d+(?:\.\d+)?)")


def run_formats(*args):
    """harness.run_formats for check_kms_host, whose three runs each measure
    their own times: a time metric takes the value the first (text) run
    printed, and "in X ms" reads "in T ms", before run_formats compares the
    formats. Everything else -- states, summaries, labels, hosts_ok, the
    schema and the invariant (on the text run's times) -- is compared as
    printed. Thresholds in these tests are far from the times measured, so
    one run's verdict is every run's."""
    first = {}

    def canon(label, text):
        return first.setdefault(label, text) if _TIMED.search(label) else text

    def fix_json(o):
        if isinstance(o, dict):
            o = {k: fix_json(v) for k, v in o.items()}
            if "label" in o and "value" in o and _TIMED.search(o["label"]):
                o["value"] = float(first.get(o["label"], o["value"]))
            return o
        if isinstance(o, list):
            return [fix_json(v) for v in o]
        return _MS.sub("in T ms", o) if isinstance(o, str) else o

    def fixed_run(res):
        out = res.stdout
        if out.startswith("{"):
            out = json.dumps(fix_json(json.loads(out)), separators=(",", ":")) + "\n"
        else:
            head, bar, rest = out.partition(" | ")
            line1_perf, nl, tail = rest.partition("\n")
            perf = _PERF_VALUE.sub(lambda m: "%s=%s" % (m.group(1),
                                                       canon(m.group(1).strip("'"), m.group(2))),
                                   line1_perf)
            out = _MS.sub("in T ms", head + bar + perf + nl + tail)
        proc = types.SimpleNamespace(returncode=res.code, stdout=out, stderr=res.stderr)
        return harness.Result(res.args, proc, res.elapsed)

    return harness.run_formats("check_kms_host", *args, canon=fixed_run)


def shape(doc):
    """doc with what differs between runs (times, ports) replaced."""
    def fix(o):
        if isinstance(o, dict):
            o = {k: fix(v) for k, v in o.items()}
            if o.get("uom") == "s" and "value" in o:
                o["value"] = "T"
            return o
        if isinstance(o, list):
            return [fix(v) for v in o]
        if isinstance(o, str):
            return re.sub(r":\d{2,5}(?!\d)", ":PORT", re.sub(r"in [\d.]+ ms", "in T ms", o))
        return o
    return fix(doc)


def times(prefix="", th=None):
    """The perfdata of one probe in JSON (values shaped), th as JSON ranges."""
    sep = "_" if prefix else ""
    t = {"label": prefix + sep + "time", "value": "T", "uom": "s", "min": 0}
    if th:
        t.update(th)
    return [t] + [{"label": prefix + sep + k, "value": "T", "uom": "s", "min": 0}
                  for k in ("connect", "bind")]


def rng(start, end="inf"):
    return {"start": start, "end": end, "alert_on_inside": False}


@pytest.mark.parametrize("args,state", [
    ((), "OK"),
    (("-w", "1", "-c", "5"), "OK"),
    (("-w", "0.000001", "-c", "5"), "WARNING"),
    (("-w", "0.000001", "-c", "0.000002"), "CRITICAL"),
    (("-c", "0.000001"), "CRITICAL"),
    (("-w", "@0:5"), "WARNING"),
    (("-w", "5:", "-c", "10:"), "CRITICAL"),
])
def test_formats_answer_by_w_and_c(kms_rpc_server, args, state):
    srv = kms_rpc_server
    res, doc = run_formats("-H", srv.host, "-p", srv.port, *args)
    assert res.state == doc["state"] == state, res
    [sc] = doc["checks"]
    assert sc["state"] == state and "checks" not in sc, doc
    assert [p["label"] for p in sc["perfdata"]] == ["time", "connect", "bind"], doc
    # the time judges: its own verdict is the subcheck's
    assert harness.metric_verdict(sc["perfdata"][0]) == state, doc
    if state != "OK":
        assert doc["summary"].endswith(" s)") and "(outside -" in doc["summary"], doc
    time.sleep(0.2)
    assert set(srv.pdu_types()) == {11}, srv.pdus()


def test_formats_ok_tree(kms_rpc_server):
    srv = kms_rpc_server
    res, doc = run_formats("-H", srv.host, "-p", srv.port,
                                   "-w", "1", "-c", "5")
    assert res.code == 0, res
    assert shape(doc) == {
        "state": "OK",
        "summary": "127.0.0.1:PORT answers KMS RPC in T ms",
        "checks": [{"output": "127.0.0.1:PORT answers KMS RPC in T ms", "state": "OK",
                    "perfdata": times(th={"warn": rng(0, 1), "crit": rng(0, 5)})}],
    }, doc


def test_formats_warning_tree(kms_rpc_server):
    srv = kms_rpc_server
    res, doc = run_formats("-H", srv.host, "-p", srv.port,
                                   "-w", "0.000001")
    assert res.code == 1, res
    out = "127.0.0.1:PORT answers KMS RPC in T ms (outside -w 0.000001 s)"
    assert shape(doc) == {
        "state": "WARNING", "summary": out,
        "checks": [{"output": out, "state": "WARNING",
                    "perfdata": times(th={"warn": rng(0, 0.000001)})}],
    }, doc


def test_formats_refused_port_is_critical():
    port = harness.free_port()
    res, doc = run_formats("-H", "127.0.0.1", "-p", port,
                                   "-w", "1", "-c", "5")
    assert res.code == 2, res
    assert doc == {
        "state": "CRITICAL", "summary": "127.0.0.1:%d: connection refused" % port,
        "checks": [{"output": "127.0.0.1:%d: connection refused" % port,
                    "state": "CRITICAL"}],
    }, doc


@pytest.mark.parametrize("mode", ["reject", "nak", "garbage", "wrongver", "badcallid",
                                  "truncated", "fraglie", "fraghuge", "close"])
def test_formats_hostile_answers(hostile_peer, mode):
    """A failed probe is judged by its failure: its time graphs without
    -w/-c, so a fast wrong answer never reads as a judged good time."""
    peer = hostile_peer(mode)
    res, doc = run_formats("-H", peer.host, "-p", peer.port,
                                   "-w", "10", "-c", "20")
    assert res.code == 2 and doc["state"] == "CRITICAL", res
    [sc] = doc["checks"]
    assert sc["state"] == "CRITICAL" and sc["output"] == res.long[0][len("[CRITICAL] "):], doc
    for pd in sc.get("perfdata", []):
        assert "warn" not in pd and "crit" not in pd, doc


@timing
@pytest.mark.parametrize("t,state", [("1", "CRITICAL"), ("1:WARNING", "WARNING"),
                                     ("1:UNKNOWN", "UNKNOWN")])
def test_formats_timeout_takes_the_t_state(hostile_peer, t, state):
    peer = hostile_peer("silent")
    res, doc = run_formats("-H", peer.host, "-p", peer.port,
                                   "-t", t, "-w", "0.5", "-c", "0.9")
    assert res.state == doc["state"] == state, res
    [sc] = doc["checks"]
    assert [p["label"] for p in sc["perfdata"]] == ["connect"], doc


@pytest.mark.parametrize("args,text", [
    (("-H", "a..b"), 'invalid host name "a..b": empty label'),
    (("-H", "10.0.0.300"), 'invalid host name "10.0.0.300": not an IPv4 address'),
    (("-H", "kms01/corp"), "invalid host name \"kms01/corp\": character '/' not allowed"),
    ((), "nothing to probe: give -H HOST or -D DOMAIN"),
    (("-H", "127.0.0.1", "-c", "2:1"),
     'invalid range for -c: "2:1" (start is greater than end)'),
])
def test_formats_bad_input_is_unknown(args, text):
    res, doc = run_formats(*args)
    assert res.code == 3, res
    assert doc["state"] == "UNKNOWN" and doc["summary"] == text, doc


def test_output_format_yaml_is_unknown():
    res = run("check_kms_host", "--output-format", "yaml", "-H", "127.0.0.1")
    assert res.code == 3, res
    assert res.first == ("KMS HOST UNKNOWN - unknown --output-format 'yaml' "
                         "(text, json or mp-test-json)"), res


def test_formats_discovery_one_dead_one_live_address(dnsmasq, rpc_on):
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1", "127.0.0.2"]}})
    res, doc = run_formats("-D", "corp.example", "-s", dns.server,
                                   "-w", "1", "-c", "5")
    assert res.code == 1, res
    assert res.first == "KMS HOST WARNING - 127.0.0.2 of kms01.corp.example does not answer"
    line = ("kms01.corp.example:PORT: 1 of 2 addresses does not answer: 127.0.0.2 "
            "connection refused; 127.0.0.1 answers KMS RPC in T ms")
    assert shape(doc) == {
        "state": "WARNING",
        "summary": "127.0.0.2 of kms01.corp.example does not answer",
        "checks": [{
            "output": "1 of 1 KMS hosts published for corp.example answer",
            "state": "WARNING",
            "perfdata": [{"label": "hosts_ok", "value": 1, "uom": "", "warn": rng(1),
                          "crit": rng(1), "min": 0, "max": 1}],
            "checks": [{"output": line, "state": "WARNING",
                        "perfdata": times("kms01.corp.example:PORT",
                                          {"warn": rng(0, 1), "crit": rng(0, 5)})}],
        }],
    }, doc


def test_formats_discovery_hosts(dnsmasq, rpc_server_factory):
    """Two live hosts and a dead one, with and without --min-ok: the dead
    host's line costs what the count of answering hosts says."""
    a, b = rpc_server_factory(), rpc_server_factory()
    dead = harness.free_port()
    dns = dnsmasq({
        "domain": "corp.example",
        "srv": [("kms01.corp.example", a.port, 0, 100),
                ("kms02.corp.example", b.port, 0, 100),
                ("kms03.corp.example", dead, 10, 100)],
        "hosts": {n: ["127.0.0.1"] for n in ("kms01.corp.example", "kms02.corp.example",
                                             "kms03.corp.example")},
    })
    base = ("check_kms_host", "-D", "corp.example", "-s", dns.server)
    for extra, state, dead_state, hosts_ok in [
            ((), "WARNING", "WARNING", {"warn": rng(3), "crit": rng(1)}),
            (("--min-ok", "2"), "OK", "OK", {"crit": rng(2)}),
            (("--min-ok", "3"), "CRITICAL", "CRITICAL", {"crit": rng(3)}),
            (("-w", "0.000001"), "WARNING", "WARNING", {"warn": rng(3), "crit": rng(1)}),
            (("-c", "0.000001", "--min-ok", "1"), "CRITICAL", "OK", {"crit": rng(1)})]:
        res, doc = run_formats(*(base[1:] + extra))
        assert res.state == doc["state"] == state, (extra, res)
        [top] = doc["checks"]
        assert top["output"] == "2 of 3 KMS hosts published for corp.example answer", doc
        hok = dict(top["perfdata"][0])
        assert hok == dict({"label": "hosts_ok", "value": 2, "uom": "", "min": 0, "max": 3},
                           **hosts_ok), doc
        kids = {k["output"].split(":")[0]: k for k in top["checks"]}
        assert sorted(kids) == ["kms01.corp.example", "kms02.corp.example",
                                "kms03.corp.example"], doc
        assert kids["kms03.corp.example"]["state"] == dead_state, (extra, doc)
        assert "perfdata" not in kids["kms03.corp.example"], doc   # refused: nothing timed
        for n in ("kms01.corp.example", "kms02.corp.example"):
            labels = [p["label"] for p in kids[n]["perfdata"]]
            assert labels == [l for l in labels if l.startswith(n + ":")] and len(labels) == 3


def test_formats_discovery_none_answers(dnsmasq):
    dead = harness.free_port()
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", dead, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    res, doc = run_formats("-D", "corp.example", "-s", dns.server)
    assert res.code == 2, res
    assert doc["summary"] == "0 of 1 KMS hosts published for corp.example answer", doc
    assert doc["checks"][0]["checks"][0]["state"] == "CRITICAL", doc


def test_formats_discovery_no_record(dnsmasq):
    dns = dnsmasq({"domain": "corp.example", "srv": [], "hosts": {}})
    res, doc = run_formats("-D", "corp.example", "-s", dns.server)
    assert res.code == 2, res
    # the whole sentence does not fit line 1: cut there, whole as a note
    whole = ("no KMS host published for corp.example: "
             "_vlmcs._tcp.corp.example does not exist (NXDOMAIN)")
    assert res.first == "KMS HOST CRITICAL - " + whole, res
    assert whole.startswith(doc["summary"][:-3]) and doc["notes"] == [whole], doc


@pytest.mark.parametrize("addrs, state, line", ADDR_CASES)
def test_formats_published_address_cases(dnsmasq, rpc_on, addrs, state, line):
    """Every address case of the shared host line, through all three
    formats: one child per host, its state the host's."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    if "::1" in addrs:
        rpc_on("::1", port)
    dns = dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": addrs}})
    res, doc = run_formats("-D", "corp.example", "-s", dns.server,
                                   "-t", "5", "-w", "2", "-c", "4")
    assert res.state == doc["state"] == state, res
    [kid] = doc["checks"][0]["checks"]
    assert kid["state"] == state and normal(kid["output"]) == \
        "kms01.corp.example:%d%s" % (port, line), doc


def test_formats_discovery_addresses_beyond_16(dnsmasq, rpc_on):
    """The cap in all three formats: a second top-level subcheck, WARNING,
    beside the hosts; with exactly 16 addresses, none."""
    port = harness.free_port()
    rpc_on("127.0.0.1", port)
    dns = cap_dnsmasq(dnsmasq, port, CAP_ADDRS)
    res, doc = run_formats("-D", "corp.example", "-s", dns.server, "-t", "5", "-w", "1", "-c", "5")
    assert res.code == 1, res
    line = ("kms01.corp.example:PORT: 15 of 16 addresses do not answer: %s; "
            "127.0.0.1 answers KMS RPC in T ms; %s" % (refused(CAP_ADDRS[1:16]), UNPROBED))
    assert shape(doc) == {
        "state": "WARNING",
        "summary": "15 of 16 addresses of kms01.corp.example do not answer; 4 addresses not probed",
        "checks": [{
            "output": "1 of 1 KMS hosts published for corp.example answer",
            "state": "WARNING",
            "perfdata": [{"label": "hosts_ok", "value": 1, "uom": "", "warn": rng(1),
                          "crit": rng(1), "min": 0, "max": 1}],
            "checks": [{"output": line, "state": "WARNING",
                        "perfdata": times("kms01.corp.example:PORT",
                                          {"warn": rng(0, 1), "crit": rng(0, 5)})}],
        }, {
            "output": "4 addresses beyond 16 per name not probed: kms01.corp.example:PORT (4)",
            "state": "WARNING",
        }],
    }, doc

    # --min-ok: the host line's share is OK, the cap still WARNING
    res, doc = run_formats("-D", "corp.example", "-s", dns.server, "-t", "5", "--min-ok", "1")
    assert res.code == 1 and doc["summary"] == "4 addresses beyond 16 per name not probed", doc
    assert [(sc["state"], [k["state"] for k in sc.get("checks", [])]) for sc in doc["checks"]] == \
        [("OK", ["OK"]), ("WARNING", [])], doc

    # nothing answers: CRITICAL first, the cap after
    dead = harness.free_port()
    dns2 = cap_dnsmasq(dnsmasq, dead, CAP_ADDRS)
    res, doc = run_formats("-D", "corp.example", "-s", dns2.server, "-t", "5")
    assert res.code == 2, res
    assert doc["summary"] == ("0 of 1 KMS hosts published for corp.example answer; "
                              "4 addresses not probed"), doc
    assert [sc["state"] for sc in doc["checks"]] == ["CRITICAL", "WARNING"], doc

    # exactly 16: one top-level subcheck, nothing left out
    dns3 = cap_dnsmasq(dnsmasq, port, CAP_ADDRS[:16])
    res, doc = run_formats("-D", "corp.example", "-s", dns3.server, "-t", "5")
    assert res.code == 1, res
    assert doc["summary"] == "15 of 16 addresses of kms01.corp.example do not answer", doc
    [top] = doc["checks"]
    assert "not probed" not in json.dumps(doc), doc
