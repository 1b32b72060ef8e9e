"""check_kms_dns against a real dnsmasq (peers/dnsmasq.py) and a scripted
hostile DNS responder: exact states, first lines, long output and perfdata."""
import json
import re
import socket
import threading
import types

import pytest

import harness
from harness import run
from peers.dnsmasq import dnsmasq_can_listen_v6

D = "corp.example"
KMS01 = ("kms01.corp.example", 1688, 0, 100)
KMS02 = ("kms02.corp.example", 1688, 10, 100)
ROGUE = ("testvm7.corp.example", 1688, 0, 100)
HOSTS = {"kms01.corp.example": ["10.0.0.11"], "kms02.corp.example": ["10.0.0.12"],
         "testvm7.corp.example": ["10.0.0.77"]}
EXPECT = "kms01.corp.example,kms02.corp.example"


def dns_run(server, *args):
    return run("check_kms_dns", "-D", D, "-s", server, *args)


def perf_values(res):
    return {k: v["value"] for k, v in res.perf.items()}


def test_expected_set_ok(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 2 KMS hosts published for corp.example, all 2 expected"
    assert res.long == [
        "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)",
        "[OK] kms02.corp.example:1688 -> 10.0.0.12 (prio 10, weight 100, ttl 3600)",
    ]
    assert res.perf["records"]["raw"] == "records=2;;;0"
    assert res.perf["expected_found"]["raw"] == "expected_found=2;;;0"
    assert res.perf["rogue"]["raw"] == "rogue=0;;0;0"
    assert res.perf["time"]["uom"] == "s"
    assert 0 < res.perf["time"]["value"] < 2


def test_without_expect_lists_records_only(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS})
    res = dns_run(dns.server)
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 3 KMS hosts published for corp.example"
    assert set(res.perf) == {"records", "time"}
    assert res.perf["records"]["value"] == 3
    # priority first, then weight (descending), then name
    assert [l.split(" ")[1] for l in res.long] == [
        "kms01.corp.example:1688", "testvm7.corp.example:1688", "kms02.corp.example:1688"]


def test_expected_missing_warning(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 1, res
    assert res.first == "KMS DNS WARNING - expected KMS host not published for corp.example: kms02.corp.example"
    assert res.long == [
        "[WARNING] kms02.corp.example is expected but not published",
        "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)",
    ]
    assert perf_values(res)["expected_found"] == 1
    assert perf_values(res)["rogue"] == 0


def test_rogue_host_critical(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 2, res
    assert res.first == "KMS DNS CRITICAL - rogue KMS host published for corp.example: testvm7.corp.example"
    assert res.long[0] == ("[CRITICAL] testvm7.corp.example:1688 -> 10.0.0.77: published but not expected"
                           " (prio 0, weight 100, ttl 3600)")
    assert res.long[1:] == [
        "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)",
        "[OK] kms02.corp.example:1688 -> 10.0.0.12 (prio 10, weight 100, ttl 3600)",
    ]
    assert res.perf_text.startswith("records=3;;;0 expected_found=2;;;0 rogue=1;;0;0 time=")


def test_rogue_state_lowered(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT, "--rogue-state", "warning")
    assert res.code == 1, res
    assert res.first == "KMS DNS WARNING - rogue KMS host published for corp.example: testvm7.corp.example"
    assert res.perf["rogue"]["raw"] == "rogue=1;0;;0"


def test_no_record_critical(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 2, res
    assert res.first == ("KMS DNS CRITICAL - no _vlmcs._tcp SRV record for corp.example: "
                         "clients cannot find a KMS host")
    assert res.long == ["[CRITICAL] DNS server %s: _vlmcs._tcp.corp.example does not exist (NXDOMAIN)"
                        % dns.server]
    assert res.perf["records"]["raw"] == "records=0;;;0"


def test_fewer_than_min_hosts_critical(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01], "hosts": HOSTS})
    res = dns_run(dns.server, "--min-hosts", "2")
    assert res.code == 2, res
    assert res.first == "KMS DNS CRITICAL - only 1 KMS host published for corp.example (at least 2 needed)"
    assert "[CRITICAL] 1 KMS host published for corp.example, --min-hosts 2" in res.long


def test_target_without_address_warning(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, ("kms03.corp.example", 1688, 0, 50)],
                   "hosts": {"kms01.corp.example": ["10.0.0.11"]}})
    res = dns_run(dns.server)
    assert res.code == 1, res
    assert res.first == "KMS DNS WARNING - published KMS host without an address: kms03.corp.example"
    assert res.long[0] == ("[WARNING] kms03.corp.example:1688: does not resolve to any address "
                           "(kms03.corp.example does not exist (NXDOMAIN)) (prio 0, weight 50, ttl 3600)")


def test_target_resolved_through_same_server_v4_and_v6(dnsmasq):
    # dnsmasq puts known target addresses into the additional section; an
    # AAAA-only target still gets its address (from the section or a lookup)
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02],
                   "hosts": {"kms01.corp.example": ["10.0.0.11", "fd00::11"],
                             "kms02.corp.example": ["fd00::12"]}})
    res = dns_run(dns.server)
    assert res.code == 0, res
    assert res.long[0].startswith("[OK] kms01.corp.example:1688 -> ")
    assert set(res.long[0].split(" -> ")[1].split(" (")[0].split(", ")) == {"10.0.0.11", "fd00::11"}
    assert res.long[1] == "[OK] kms02.corp.example:1688 -> fd00::12 (prio 10, weight 100, ttl 3600)"


def test_other_port_warning(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, ("kms02.corp.example", 1689, 10, 100)], "hosts": HOSTS})
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 1, res
    assert res.first == "KMS DNS WARNING - KMS host published on a port other than 1688: kms02.corp.example"
    assert res.long[0] == ("[WARNING] kms02.corp.example:1689 -> 10.0.0.12: port 1689, not 1688 "
                           "(prio 10, weight 100, ttl 3600)")
    # --port says the other port is the right one: now kms01 is off
    res = dns_run(dns.server, "-e", EXPECT, "--port", "1689")
    assert res.code == 1, res
    assert res.first == "KMS DNS WARNING - KMS host published on a port other than 1689: kms01.corp.example"


def test_case_and_trailing_dot_variants_ok(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [("KMS01.Corp.Example", 1688, 0, 100), KMS02],
                   "hosts": {"kms01.corp.example": ["10.0.0.11"], "KMS02.CORP.EXAMPLE": ["10.0.0.12"]}})
    res = run("check_kms_dns", "-D", "Corp.Example.", "-s", dns.server,
              "-e", "kms01.CORP.example.", "-e", "Kms02.Corp.Example")
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 2 KMS hosts published for Corp.Example, all 2 expected"
    assert res.long[0] == "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)"


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_dnsmasq_stopped_ends_within_timeout(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01], "hosts": HOSTS})
    dns.stop()
    res = dns_run(dns.server, "-t", "2")
    assert res.code == 2, res
    assert res.elapsed < 3
    # the sentence ("SRV query for _vlmcs._tcp.corp.example: ...") is over
    # 100 characters: the domain once, then the cause
    assert res.first == ("KMS DNS CRITICAL - corp.example: DNS server %s "
                         "is not answering: port unreachable" % dns.server)
    assert res.long == ["[CRITICAL] SRV query for _vlmcs._tcp.corp.example: DNS server %s "
                        "is not answering: port unreachable" % dns.server]


@pytest.mark.skipif(not dnsmasq_can_listen_v6(), reason="no IPv6 loopback")
def test_ipv6_server(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02], "hosts": HOSTS, "listen": "::1"})
    assert dns.server.startswith("[::1]:")
    res = dns_run(dns.server, "-e", EXPECT)
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 2 KMS hosts published for corp.example, all 2 expected"


def test_refused_named(dnsmasq):
    # dnsmasq without upstream servers refuses names outside its --local zone
    dns = dnsmasq({"domain": D, "srv": [KMS01], "hosts": HOSTS})
    res = run("check_kms_dns", "-D", "other.example", "-s", dns.server)
    assert res.code == 2, res
    assert res.first == ("KMS DNS CRITICAL - DNS server %s answered REFUSED for _vlmcs._tcp.other.example"
                         % dns.server)


# --- hostile responder --------------------------------------------------------

# line 1 within 100 characters: the sentence naming server and query does
# not fit, so the compact form (after the domain when that fits); the long
# output keeps the whole sentence
HOSTILE = {
    "truncated": "corp.example: malformed DNS answer: message truncated in answer record 1",
    "loop": "malformed DNS answer: name compression loop at offset 60 in answer record 1",
    "ancount": "malformed DNS answer: header claims 3 answer records but the message holds only 1",
    "rdlength": "malformed DNS answer: rdlength 200 of answer record 1 runs past the message end",
    "servfail": "DNS server {s} answered SERVFAIL for _vlmcs._tcp.corp.example",
    "refused": "DNS server {s} answered REFUSED for _vlmcs._tcp.corp.example",
    "nxdomain": "no _vlmcs._tcp SRV record for corp.example: clients cannot find a KMS host",
}


MALFORMED_LONG = {
    "truncated": "message truncated in answer record 1",
    "loop": "name compression loop at offset 60 in answer record 1",
    "ancount": "header claims 3 answer records but the message holds only 1",
    "rdlength": "rdlength 200 of answer record 1 runs past the message end (80 bytes)",
}


@pytest.mark.parametrize("mode", sorted(HOSTILE))
def test_hostile_answers_named(dns_hostile, mode):
    h = dns_hostile(mode)
    res = dns_run(h.server, "-t", "3")
    assert res.code == 2, res
    assert res.first == "KMS DNS CRITICAL - " + HOSTILE[mode].format(s=h.server)
    assert len(res.first) <= 100, res
    if mode in MALFORMED_LONG:
        assert res.long == ["[CRITICAL] malformed answer from DNS server %s for _vlmcs._tcp.corp.example: %s"
                            % (h.server, MALFORMED_LONG[mode])]


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
@pytest.mark.parametrize("mode", ["silence", "wrong_id"])
def test_no_usable_answer_times_out(dns_hostile, mode):
    h = dns_hostile(mode)
    res = dns_run(h.server, "-t", "2")
    assert res.code == 2, res
    assert 1.9 < res.elapsed < 3
    # line 1: the domain once when it fits, the count of ignored answers
    # but not why (the long output says it)
    if mode == "wrong_id":
        assert res.first == ("KMS DNS CRITICAL - no answer from DNS server %s within 2 s; "
                             "2 unusable answers ignored" % h.server)
        assert res.long == ["[CRITICAL] SRV query for _vlmcs._tcp.corp.example: no answer from DNS "
                            "server %s within 2 s; 2 unusable answers ignored (wrong ID or question)"
                            % h.server]
    else:
        assert res.first == ("KMS DNS CRITICAL - corp.example: no answer from DNS server %s within 2 s"
                             % h.server)
    assert len(res.first) <= 100, res
    assert h.queries == 2, "sent once, then once more half way to the deadline"
    assert "time" not in res.perf


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_timeout_state_override(dns_hostile):
    h = dns_hostile("silence")
    res = dns_run(h.server, "-t", "1:UNKNOWN")
    assert res.code == 3, res
    assert res.elapsed < 2


def test_additional_section_addresses_count(dns_hostile):
    # this responder answers every query with the SRV answer, so the target's
    # address can only come from the additional section. A and AAAA are
    # still asked (a server may cut the additional section to fit a
    # datagram, see test_host.py's 70 addresses): one SRV query, two more
    h = dns_hostile("good")
    res = dns_run(h.server)
    assert res.code == 0, res
    assert res.long == ["[OK] kms01.corp.example:1688 -> 127.0.0.1 (prio 0, weight 100, ttl 3600)"]
    assert h.queries == 3


def test_truncated_udp_answer_retried_over_tcp(dns_hostile):
    h = dns_hostile("tc")
    res = dns_run(h.server)
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 1 KMS host published for corp.example"


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("args,msg", [
    ([], "no domain given: use -D DOMAIN (the _vlmcs._tcp SRV records of DOMAIN are checked)"),
    (["-D", D, "-s", "dns.corp.example"],
     'invalid DNS server "dns.corp.example": not a numeric IPv4 or IPv6 address'),
    (["-D", D, "-s", "kms-dns-server-01.branch.corp.example"],
     'invalid DNS server "kms-dns-server-01.br...": not a numeric IPv4 or IPv6 address'),
    (["-D", D, "-s", "[fd00:1111:2222:3333:4444:5555:6666:7777]:99999"],
     'invalid DNS server "[fd00:1111:2222:3333...": port must be 1..65535'),
    (["-D", D, "-s", "127.0.0.1:99999"], 'invalid DNS server "127.0.0.1:99999": port must be 1..65535'),
    (["-D", D, "-s", "[::1:53"], "invalid DNS server \"[::1:53\": missing ']' after the IPv6 address"),
    (["-D", "bad..name", "-s", "127.0.0.1"], '-D: "bad..name" is not a valid domain name (empty label)'),
    (["-D", "a" * 64 + ".example", "-s", "127.0.0.1"],
     '-D: "%s..." is not a valid domain name (label longer than 63 bytes)' % ("a" * 17)),
    (["-D", ("b" * 60 + ".") * 5 + "example", "-s", "127.0.0.1"],
     '-D: "%s..." is not a valid domain name (longer than 253 bytes)' % ("b" * 17)),
    (["-D", D, "-s", "127.0.0.1", "-e", "kms01.corp.example,kms-" + "c" * 70 + ".corp.example"],
     '-e: "kms-%s..." is not a valid host name (label longer than 63 bytes)' % ("c" * 15)),
    (["-D", D, "-s", "127.0.0.1", "-e", "kms01,,", "-e", "kms02..corp.example"],
     '-e: "kms02..corp.example" is not a valid host name (empty label)'),
    (["-D", D, "-s", "127.0.0.1", "--rogue-state", "bad"],
     '--rogue-state: "bad" is not OK, WARNING, CRITICAL or UNKNOWN'),
])
def test_bad_input_unknown(args, msg):
    res = run("check_kms_dns", *args)
    assert res.code == 3, res
    assert res.first == "KMS DNS UNKNOWN - " + msg
    assert len(res.first) <= 100, res


def test_bad_numbers_unknown():
    for opt in (["--min-hosts", "-1"], ["--port", "0"], ["--port", "70000"], ["--min-hosts", "x"]):
        res = run("check_kms_dns", "-D", D, "-s", "127.0.0.1", *opt)
        assert res.code == 3, (opt, res)
        assert opt[0] in res.first, res


# --- --probe -----------------------------------------------------------------

def _listener(behaviour):
    """A loopback TCP server: "close" accepts and closes at once."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(0.1)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return s.getsockname()[1], lambda: (stop.set(), t.join(2), s.close())


def test_probe_connection_refused_critical(dnsmasq):
    port = harness.free_port()
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    res = dns_run(dns.server, "--port", str(port), "--probe", "-t", "3")
    assert res.code == 2, res
    # the sentence "1 of 1 KMS host published for corp.example does not
    # answer KMS RPC: kms01.corp.example" is over 100 characters
    assert res.first == "KMS DNS CRITICAL - corp.example: no KMS RPC answer from kms01.corp.example"
    assert res.long == ["[CRITICAL] kms01.corp.example:%d (127.0.0.1): connection refused "
                        "(prio 0, weight 100, ttl 3600)" % port]


def test_probe_closed_connection_critical(dnsmasq):
    port, stop = _listener("close")
    try:
        dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
                       "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
        res = dns_run(dns.server, "--port", str(port), "--probe", "-t", "3")
    finally:
        stop()
    assert res.code == 2, res
    assert res.long[0].startswith("[CRITICAL] kms01.corp.example:%d (127.0.0.1): " % port)


def test_probe_kms_peer_ok_and_bind_only(dnsmasq, kms_rpc_server):
    port = kms_rpc_server.port
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    res = dns_run(dns.server, "-e", "kms01.corp.example", "--port", str(port), "--probe", "-t", "5")
    assert res.code == 0, res
    assert res.first == "KMS DNS OK - 1 KMS host published for corp.example, all 1 expected, it answers KMS RPC"
    assert len(res.long) == 1
    assert res.long[0].startswith("[OK] kms01.corp.example:%d (127.0.0.1): answers KMS RPC in " % port), res
    assert res.long[0].endswith(" ms (prio 0, weight 100, ttl 3600)"), res
    # non-invasion: the probe sent a bind and nothing else (no activation request)
    assert kms_rpc_server.pdu_types() == [11]


def test_probe_other_interface_critical(dnsmasq, kms_rpc_server, other_rpc_server):
    kport, oport = kms_rpc_server.port, other_rpc_server.port
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", kport, 0, 100),
                                        ("kms02.corp.example", oport, 10, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"], "kms02.corp.example": ["127.0.0.1"]}})
    res = dns_run(dns.server, "--port", str(kport), "--probe", "-t", "5")
    assert res.code == 2, res
    # both problems on the first line, in short forms, the worst first
    assert res.first == ("KMS DNS CRITICAL - no KMS RPC answer from kms02.corp.example; "
                         "port not %d: kms02.corp.example" % kport)
    # the host line of check_kms_host -D, then what the record itself has wrong;
    # impacket drops a bind to an interface it does not serve
    assert res.long[0] == ("[CRITICAL] kms02.corp.example:%d (127.0.0.1): closed the connection "
                           "before answering; port %d, not %d (prio 10, weight 100, ttl 3600)"
                           % (oport, oport, kport)), res
    assert res.long[1].startswith("[OK] kms01.corp.example:%d (127.0.0.1): answers KMS RPC in " % kport)


# ---- SRV target "." (RFC 2782: the service is decidedly not available) ---------
# dnsmasq publishes target "." for an --srv-host without a target.

ROOT_TARGET = ("", 1688, 0, 0)
ROOT_LINE = ('.:1688: target ".": the service is declared not available '
             '(prio 0, weight 0, ttl 3600)')


def test_srv_target_root_beside_a_real_host_warning(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [ROOT_TARGET, KMS01], "hosts": HOSTS})
    res = dns_run(dns.server)
    assert res.code == 1, res
    assert res.first == 'KMS DNS WARNING - corp.example: SRV target "." beside 1 host', res
    assert res.long == [
        "[WARNING] " + ROOT_LINE,
        "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)",
    ], res


def test_srv_target_root_alone_is_no_kms_host(dnsmasq):
    """"." published alone: the domain says it has no KMS service, so
    clients cannot find one: CRITICAL, as with no record at all."""
    dns = dnsmasq({"domain": D, "srv": [ROOT_TARGET], "hosts": HOSTS})
    res = dns_run(dns.server)
    assert res.code == 2, res
    assert res.first == ('KMS DNS CRITICAL - corp.example: no KMS host, only SRV target "." '
                         '(service not available)'), res
    assert res.long == [
        '[CRITICAL] no KMS host published for corp.example: only SRV target "." '
        '(service not available)',
        "[WARNING] " + ROOT_LINE,
    ], res


def test_srv_target_root_does_not_count_for_min_hosts(dnsmasq):
    dns = dnsmasq({"domain": D, "srv": [ROOT_TARGET, KMS01], "hosts": HOSTS})
    res = dns_run(dns.server, "--min-hosts", "2", "-e", "kms01.corp.example")
    assert res.code == 2, res
    # not rogue, though not in -e: it names no host
    assert res.first == ('KMS DNS CRITICAL - corp.example: only 1 KMS host, 2 needed; '
                         'SRV target "." beside 1 host'), res


# ---- a CNAME as SRV target (RFC 2782: the target must be a host name) ---------

CNAME_WHY = "SRV targets must be host names with A/AAAA records, RFC 2782"


@pytest.mark.parametrize("alias,target,hops", [
    ("kms01.corp.example", "real01.corp.example", []),
    ("kms01.corp.example", "kms-real.corp.example", ["hop.corp.example"]),   # a chain: first hop named
    ("kms01.corp.example", "KMS01-Host.Corp.Example", []),
])
def test_cname_target_that_resolves_warning(dnsmasq, alias, target, hops):
    first_hop = (hops or [target])[0].lower()
    cnames = {alias: first_hop}
    chain = hops + [target]
    for a, b in zip(chain, chain[1:]):
        cnames[a] = b
    dns = dnsmasq({"domain": D, "srv": [KMS01], "cnames": cnames,
                   "hosts": {target: ["10.0.0.11"]}})
    res = dns_run(dns.server, "-e", "kms01.corp.example")
    assert res.code == 1, res
    assert res.first == ("KMS DNS WARNING - SRV target is a CNAME, not a host name (RFC 2782): "
                         "kms01.corp.example"), res
    # it resolves (through the alias) and is expected: only the CNAME is wrong
    assert res.long == ["[WARNING] kms01.corp.example:1688 -> 10.0.0.11: is a CNAME (to %s): %s "
                        "(prio 0, weight 100, ttl 3600)" % (first_hop, CNAME_WHY)], res
    assert res.perf_text.startswith("records=1;;;0 expected_found=1;;;0 rogue=0;;0;0 time="), res


@pytest.mark.parametrize("ghost", ["ghost.corp.example", "nowhere.other.example"])
def test_cname_target_without_address_warning(dnsmasq, ghost):
    dns = dnsmasq({"domain": D, "srv": [KMS01], "cnames": {"kms01.corp.example": ghost}})
    res = dns_run(dns.server)
    assert res.code == 1, res
    assert res.first == ("KMS DNS WARNING - corp.example: CNAME kms01.corp.example; "
                         "no address: kms01.corp.example"), res
    assert res.long == ["[WARNING] kms01.corp.example:1688: is a CNAME (to %s): %s; does not resolve "
                        "to any address (CNAME target %s has no A or AAAA record) "
                        "(prio 0, weight 100, ttl 3600)" % (ghost, CNAME_WHY, ghost)], res


@pytest.mark.parametrize("n_alias", [1, 2, 5])
def test_cname_targets_mixed_with_host_names(dnsmasq, n_alias):
    aliases = ["kms%02d.corp.example" % i for i in range(2, 2 + n_alias)]
    srv = [KMS01] + [(a, 1688, 10, 100) for a in aliases]
    dns = dnsmasq({"domain": D, "srv": srv, "cnames": {a: "real.corp.example" for a in aliases},
                   "hosts": {"kms01.corp.example": ["10.0.0.11"], "real.corp.example": ["10.0.0.20"]}})
    res = dns_run(dns.server, "--min-hosts", str(1 + n_alias))
    assert res.code == 1, res
    more = "" if n_alias == 1 else " +%d more" % (n_alias - 1)
    plural = ("s are CNAMEs, not host names" if n_alias > 1 else " is a CNAME, not a host name")
    assert res.first == "KMS DNS WARNING - SRV target%s (RFC 2782): kms02.corp.example%s" % (plural, more), res
    assert res.long[-1] == "[OK] kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)"
    assert res.long[:-1] == ["[WARNING] %s:1688 -> 10.0.0.20: is a CNAME (to real.corp.example): %s "
                             "(prio 10, weight 100, ttl 3600)" % (a, CNAME_WHY) for a in aliases], res
    assert res.perf["records"]["value"] == 1 + n_alias


# ---- --min-hosts counts hosts: distinct target names ---------------------------

@pytest.mark.parametrize("srv,min_hosts,code", [
    ([KMS01, ("kms01.corp.example", 1689, 10, 100)], 2, 2),   # one host on two ports
    ([KMS01, ("KMS01.corp.example", 1688, 5, 10)], 2, 2),     # one host, case differs
    ([KMS01, KMS02], 2, 0),
    ([KMS01, KMS02, ("kms02.corp.example", 1688, 20, 0)], 3, 2),
    ([KMS01], 0, 0),
])
def test_min_hosts_counts_distinct_hosts(dnsmasq, srv, min_hosts, code):
    dns = dnsmasq({"domain": D, "srv": srv, "hosts": HOSTS})
    res = dns_run(dns.server, "--min-hosts", str(min_hosts), "--port", "1688")
    hosts = len({t.lower() for t, *_ in srv})
    assert res.perf["records"]["value"] == len(srv)
    if code == 2:
        assert res.code == 2, res
        assert "only %d KMS host%s" % (hosts, "" if hosts == 1 else "s") in res.first, res
        assert res.long[0] == "[CRITICAL] %d KMS host%s published for corp.example, --min-hosts %d" % (
            hosts, "" if hosts == 1 else "s", min_hosts), res
    else:
        assert res.code == 0, res
        assert res.first == "KMS DNS OK - %d KMS host%s published for corp.example" % (
            hosts, "" if hosts == 1 else "s"), res


def _option_text_help(opt):
    import subprocess
    out = subprocess.run([harness.plugin("check_kms_dns"), "--help"], capture_output=True,
                         text=True, timeout=30).stdout
    lines = out.split("\n")
    start = next(i for i, l in enumerate(lines) if l.strip().startswith(opt))
    body = []
    for l in lines[start + 1:]:
        if not l.startswith("    ") or not l.strip():
            break
        body.append(l.strip())
    return " ".join(body)


def _option_text_man(opt):
    import os
    import re
    with open(os.path.join(harness.ROOT, "packaging", "man", "check_kms_dns.1"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith(".BI") and opt.replace("-", "\\-") in l)
    body = []
    for l in lines[start + 1:]:
        if l.startswith("."):
            break
        body.append(l)
    text = " ".join(body).replace("\\-", "-").replace('\\(dq', '"')
    return re.sub(r"\\f[BIR]", "", text)


def test_min_hosts_help_and_man_page_say_the_same():
    h, m = _option_text_help("--min-hosts"), _option_text_man("--min-hosts")
    assert h == m, (h, m)
    assert "distinct" in h and '"."' in h, h


# ---- line 1: at most 100 characters in every state --------------------------
# The rule: the sentences if they fit; else short forms after the domain;
# else without it; else the first problems and "+N more problems"; else the
# first host name cut with "...". Line 1 always keeps the state, the first
# object (whole, or its beginning before "...") and the count ("+N more").

def long_name(kind, i, length, domain=D):
    """A valid host name of exactly `length` bytes under domain, sorting by i."""
    head = "%s%02d" % (kind, i)
    fill = length - len(head) - len(domain) - 1
    while True:
        assert fill >= 0, (kind, length, domain)
        rest = head + "x" * fill
        labels = [rest[k:k + 60] for k in range(0, len(rest), 60)]
        name = ".".join(labels + [domain])
        if len(name) <= length:
            break
        fill -= 1   # a label boundary costs a "."
    assert len(name) in (length, length - 1), name
    assert all(0 < len(l) <= 63 for l in name.split(".")), name
    return name


def assert_line1(res, state, first, count):
    assert len(res.first) <= 100, (len(res.first), res)
    assert res.state == state, res
    s = res.summary
    if first not in s:
        # cut: its beginning (at least a few bytes) and "..."
        cut = s.split("...")[0]
        k = max(i for i in range(len(first) + 1) if cut.endswith(first[:i]))
        assert k >= 8, (first, res)
    if count > 1:
        assert "+%d more" % (count - 1) in s, res


SCENARIOS = ["rogue+missing", "no-address", "port", "cname"]


@pytest.mark.parametrize("count", [1, 2, 5, 20])
@pytest.mark.parametrize("length", [20, 45, 90, 250])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_line1_fits_with_many_long_host_names(dnsmasq, scenario, count, length):
    names = [long_name("kms", i, length) for i in range(count)]
    spec = {"domain": D, "srv": [(n, 1688, 0, 100) for n in names],
            "hosts": {n: ["10.0.1.%d" % (i + 1)] for i, n in enumerate(names)}}
    args = []
    if scenario == "rogue+missing":
        missing = [long_name("exp", i, length) for i in range(count)]
        args = ["-e", ",".join(missing)]
        state, first = "CRITICAL", names[0]
    elif scenario == "no-address":
        spec["hosts"] = {}
        state, first = "WARNING", names[0]
    elif scenario == "port":
        spec["srv"] = [(n, 1689, 0, 100) for n in names]
        state, first = "WARNING", names[0]
    else:
        spec["cnames"] = {n: "real.corp.example" for n in names}
        spec["hosts"] = {"real.corp.example": ["10.0.0.9"]}
        state, first = "WARNING", names[0]
    dns = dnsmasq(spec)
    res = dns_run(dns.server, *args)
    assert res.code == {"WARNING": 1, "CRITICAL": 2}[state], res
    assert_line1(res, state, first, count)
    assert res.perf["records"]["value"] == count
    if scenario == "rogue+missing":
        assert res.perf["rogue"]["value"] == count
        # the second problem: named, or counted
        assert ("missing " in res.summary or "not published" in res.summary
                or "+1 more problem" in res.summary), res


@pytest.mark.parametrize("count", [1, 2, 5, 20])
def test_line1_every_problem_at_once(dnsmasq, count):
    """rogue, missing, CNAME, no address and port together: the worst
    first, the rest as many as fit, then counted."""
    rogue = [long_name("rogue", i, 40) for i in range(count)]
    alias = [long_name("alias", i, 40) for i in range(count)]
    spec = {"domain": D, "srv": [(n, 1689, 0, 100) for n in rogue + alias],
            "cnames": {n: "ghost.corp.example" for n in alias}}
    dns = dnsmasq(spec)
    res = dns_run(dns.server, "-e", ",".join(alias + [long_name("exp", i, 40) for i in range(count)]))
    assert res.code == 2, res
    assert_line1(res, "CRITICAL", rogue[0], count)
    assert res.summary.startswith(("rogue", "corp.example: rogue")), res


@pytest.mark.parametrize("length", [13, 60, 120, 240])
def test_line1_ok_with_a_long_domain(dnsmasq, length):
    domain = long_name("dom", 0, length, domain="example")
    host = long_name("kms", 1, min(253, length + 10), domain=domain) if length < 240 else domain
    dns = dnsmasq({"domain": domain, "srv": [(host, 1688, 0, 100)], "hosts": {host: ["10.0.0.11"]}})
    res = run("check_kms_dns", "-D", domain, "-s", dns.server, "-e", host)
    assert res.code == 0, res
    assert len(res.first) <= 100, res
    assert res.summary.startswith("1 KMS host published"), res
    assert res.summary.endswith(", all 1 expected"), res


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
@pytest.mark.parametrize("length", [12, 60, 200])
def test_line1_timeout_with_ignored_answers(dns_hostile, length):
    domain = long_name("dom", 0, length, domain="example") if length > 12 else D
    h = dns_hostile("wrong_id")
    res = run("check_kms_dns", "-D", domain, "-s", h.server, "-t", "2")
    assert res.code == 2, res
    assert res.first == ("KMS DNS CRITICAL - no answer from DNS server %s within 2 s; "
                         "2 unusable answers ignored" % h.server), res
    assert len(res.first) <= 100
    # the long output keeps the query and the reason
    assert res.long == ["[CRITICAL] SRV query for _vlmcs._tcp.%s: no answer from DNS server %s "
                        "within 2 s; 2 unusable answers ignored (wrong ID or question)"
                        % (domain, h.server)], res


@pytest.mark.parametrize("mode", ["servfail", "refused", "nxdomain"])
@pytest.mark.parametrize("length", [60, 200])
def test_line1_lookup_failures_with_a_long_domain(dns_hostile, mode, length):
    domain = long_name("dom", 0, length, domain="example")
    h = dns_hostile(mode)
    res = run("check_kms_dns", "-D", domain, "-s", h.server, "-t", "3")
    assert res.code == 2, res
    assert len(res.first) <= 100, res
    want = {"servfail": "DNS server %s answered SERVFAIL" % h.server,
            "refused": "DNS server %s answered REFUSED" % h.server,
            "nxdomain": "no _vlmcs._tcp SRV record: clients cannot find a KMS host"}[mode]
    assert res.summary.endswith(want), res


# ---- "... and N more" counts the records left out ---------------------------

@pytest.mark.parametrize("n_records,length,n_missing", [(60, 120, 0), (120, 90, 10), (40, 250, 5)])
def test_long_output_cap_counts_records_left_out(dnsmasq, n_records, length, n_missing):
    names = [long_name("kms", i, length) for i in range(n_records)]
    missing = [long_name("exp", i, 60) for i in range(n_missing)]
    dns = dnsmasq({"domain": D, "srv": [(n, 1688, 0, 100) for n in names],
                   "hosts": {n: ["10.0.2.%d" % (i % 250 + 1)] for i, n in enumerate(names)}})
    args = ["-e", ",".join(names[:10] + missing)] if n_missing else []
    res = dns_run(dns.server, "-t", "20", *args)
    assert len(res.stdout.encode()) <= 8000, len(res.stdout)
    assert res.long[-1].startswith("... and "), res.long[-1]
    left_out = int(res.long[-1].split()[2])
    shown = res.long[:-1]
    # every line shown is one object: a record or an expected host missing
    shown_records = [l for l in shown if ":1688 -> " in l]
    shown_missing = [l for l in shown if l.endswith(" is expected but not published")]
    assert len(shown_records) + len(shown_missing) == len(shown), shown
    assert len(shown) + left_out == n_records + n_missing, (len(shown), left_out)
    assert len(res.first) <= 100, res


# ---- the three output formats: text, json, mp-test-json (issue 16) ----------
# harness.run_formats runs a check as text, json and mp-test-json and asserts
# that the three agree. What is measured anew by each run (the SRV query's
# time, a probe's round trip) is set to 0 in all three before they are
# compared, by steady_formats below; everything else must be identical.

_IN_TIME = re.compile(r"\bin \d+(?:\.\d+)? (?:ms|us|s)\b")
_PERF_TIME = re.compile(r"(^|\s)time=\d+(?:\.\d+)?s")


def _steady(res):
    out = res.stdout
    if out.startswith("{"):
        doc = json.loads(out)
        doc["summary"] = _IN_TIME.sub("in T", doc["summary"])
        for sc in harness.walk_checks(doc["checks"]):
            sc["output"] = _IN_TIME.sub("in T", sc["output"])
            for pd in sc.get("perfdata", []):
                if pd["label"] == "time":
                    pd["value"] = 0
        out = json.dumps(doc) + "\n"
    else:
        out = _IN_TIME.sub("in T", _PERF_TIME.sub(r"\1time=0s", out))
    proc = types.SimpleNamespace(returncode=res.code, stdout=out, stderr=res.stderr)
    return harness.Result(res.args, proc, res.elapsed)


@pytest.fixture
def steady_formats():
    """formats(server, *args): harness.run_formats of check_kms_dns -D
    corp.example -s server, the measured times set to 0."""
    return lambda server, *args: harness.run_formats("check_kms_dns", "-D", D, "-s", server, *args,
                                                     canon=_steady)


def _checks(doc):
    """The tree without perfdata: (output, state, children) per subcheck."""
    return [(sc["output"], sc["state"], _checks(sc.get("checks", []))) for sc in doc]


def _perf(sc):
    return {pd["label"]: pd for pd in sc.get("perfdata", [])}


ANSWER = "_vlmcs._tcp.corp.example: %d SRV record%s, %d KMS host%s"


def answer(records, hosts):
    return ANSWER % (records, "" if records == 1 else "s", hosts, "" if hosts == 1 else "s")


def rec(target, port, prio, weight, addr, problems=""):
    return "%s:%d%s%s (prio %d, weight %d, ttl 3600)" % (
        target, port, " -> " + addr if addr else "", ": " + problems if problems else "", prio, weight)


# Each state the plugin reaches from a real DNS answer: (name, dnsmasq spec
# beyond the domain, arguments, state, line 1's summary or None).
FORMAT_CASES = [
    ("ok, all expected", {"srv": [KMS01, KMS02], "hosts": HOSTS}, ["-e", EXPECT], "OK",
     "2 KMS hosts published for corp.example, all 2 expected"),
    ("ok, without -e", {"srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS}, [], "OK",
     "3 KMS hosts published for corp.example"),
    ("ok, rogue under --rogue-state ok", {"srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS},
     ["-e", EXPECT, "--rogue-state", "ok"], "OK", "3 KMS hosts published for corp.example, all 2 expected"),
    ("ok, --min-hosts 0", {"srv": [KMS01], "hosts": HOSTS}, ["--min-hosts", "0"], "OK",
     "1 KMS host published for corp.example"),
    ("warning, expected host missing", {"srv": [KMS01], "hosts": HOSTS}, ["-e", EXPECT], "WARNING",
     "expected KMS host not published for corp.example: kms02.corp.example"),
    ("warning, rogue under --rogue-state warning", {"srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS},
     ["-e", EXPECT, "--rogue-state", "warning"], "WARNING",
     "rogue KMS host published for corp.example: testvm7.corp.example"),
    ("warning, other port", {"srv": [KMS01, ("kms02.corp.example", 1689, 10, 100)], "hosts": HOSTS},
     ["-e", EXPECT], "WARNING", "KMS host published on a port other than 1688: kms02.corp.example"),
    ("warning, no address", {"srv": [KMS01, ("kms03.corp.example", 1688, 0, 50)],
                             "hosts": {"kms01.corp.example": ["10.0.0.11"]}}, [], "WARNING",
     "published KMS host without an address: kms03.corp.example"),
    ("warning, CNAME", {"srv": [KMS01], "cnames": {"kms01.corp.example": "real01.corp.example"},
                        "hosts": {"real01.corp.example": ["10.0.0.11"]}}, ["-e", "kms01.corp.example"],
     "WARNING", "SRV target is a CNAME, not a host name (RFC 2782): kms01.corp.example"),
    ("warning, CNAME to nowhere", {"srv": [KMS01], "cnames": {"kms01.corp.example": "ghost.corp.example"}},
     [], "WARNING", "corp.example: CNAME kms01.corp.example; no address: kms01.corp.example"),
    ("warning, target . beside a host", {"srv": [ROOT_TARGET, KMS01], "hosts": HOSTS}, [], "WARNING",
     'corp.example: SRV target "." beside 1 host'),
    ("unknown, rogue under --rogue-state unknown", {"srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS},
     ["-e", EXPECT, "--rogue-state", "unknown"], "UNKNOWN",
     "rogue KMS host published for corp.example: testvm7.corp.example"),
    ("critical, rogue", {"srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS}, ["-e", EXPECT], "CRITICAL",
     "rogue KMS host published for corp.example: testvm7.corp.example"),
    ("critical, no record", {"srv": [], "hosts": HOSTS}, ["-e", EXPECT], "CRITICAL",
     "no _vlmcs._tcp SRV record for corp.example: clients cannot find a KMS host"),
    ("critical, --min-hosts", {"srv": [KMS01], "hosts": HOSTS}, ["--min-hosts", "2"], "CRITICAL",
     "only 1 KMS host published for corp.example (at least 2 needed)"),
    ("critical, only target .", {"srv": [ROOT_TARGET], "hosts": HOSTS}, [], "CRITICAL",
     'corp.example: no KMS host, only SRV target "." (service not available)'),
    ("critical, --min-hosts beside rogue, missing and port",
     {"srv": [KMS01, ("kms02.corp.example", 1689, 10, 100), ROGUE], "hosts": HOSTS},
     ["-e", "kms01.corp.example,kms03.corp.example", "--min-hosts", "4"], "CRITICAL",
     "only 3 KMS hosts, 4 needed; rogue testvm7.corp.example +1 more; +2 more problems"),
    ("critical, target . and --min-hosts", {"srv": [ROOT_TARGET, KMS01], "hosts": HOSTS},
     ["--min-hosts", "2", "-e", "kms01.corp.example"], "CRITICAL",
     'corp.example: only 1 KMS host, 2 needed; SRV target "." beside 1 host'),
]


@pytest.mark.parametrize("name,spec,args,state,summary", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_formats_agree(dnsmasq, steady_formats, name, spec, args, state, summary):
    dns = dnsmasq(dict(spec, domain=D))
    text, doc = steady_formats(dns.server, *args)
    assert text.state == state, text
    if summary is not None:
        assert doc["summary"] == summary, doc
    # the answer (or the failed query) graphs the records and the query's
    # time; expected_found and rogue come with -e and an answer
    with_e = "-e" in args and spec["srv"] != []
    assert harness.json_labels(doc) == (["records", "expected_found", "rogue", "time"] if with_e
                                        else ["records", "time"]), doc


@pytest.mark.parametrize("count,length", [(2, 45), (5, 90), (20, 250)])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_formats_agree_with_long_host_names(dnsmasq, steady_formats, scenario, count, length):
    """Line 1 shortened (short forms, "+N more problems", a name cut): the
    json summary is still exactly text's."""
    names = [long_name("kms", i, length) for i in range(count)]
    spec = {"domain": D, "srv": [(n, 1688, 0, 100) for n in names],
            "hosts": {n: ["10.0.1.%d" % (i + 1)] for i, n in enumerate(names)}}
    args = []
    if scenario == "rogue+missing":
        args = ["-e", ",".join(long_name("exp", i, length) for i in range(count))]
    elif scenario == "no-address":
        spec["hosts"] = {}
    elif scenario == "port":
        spec["srv"] = [(n, 1689, 0, 100) for n in names]
    else:
        spec["cnames"] = {n: "real.corp.example" for n in names}
        spec["hosts"] = {"real.corp.example": ["10.0.0.9"]}
    dns = dnsmasq(spec)
    text, doc = steady_formats(dns.server, *args)
    assert doc["state"] == ("CRITICAL" if scenario == "rogue+missing" else "WARNING"), doc
    assert "+%d more" % (count - 1) in doc["summary"], doc


@pytest.mark.parametrize("rogue_state,n_rogue,state,warn,crit", [
    ("critical", 0, "OK", None, {"start": 0, "end": 0, "alert_on_inside": False}),
    ("critical", 1, "CRITICAL", None, {"start": 0, "end": 0, "alert_on_inside": False}),
    ("critical", 2, "CRITICAL", None, {"start": 0, "end": 0, "alert_on_inside": False}),
    ("warning", 0, "OK", {"start": 0, "end": 0, "alert_on_inside": False}, None),
    ("warning", 1, "WARNING", {"start": 0, "end": 0, "alert_on_inside": False}, None),
    ("unknown", 1, "UNKNOWN", None, None),
    ("ok", 1, "OK", None, None),
])
def test_rogue_metric_judges_the_answer(dnsmasq, steady_formats, rogue_state, n_rogue, state, warn, crit):
    """The rogue count carries the --rogue-state threshold and judges the
    subcheck it sits on, the answer: the value judged is the value graphed.
    A range cannot say UNKNOWN or OK: then the rogue records speak."""
    rogues = [("rogue%d.corp.example" % i, 1688, 5, 100) for i in range(n_rogue)]
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02] + rogues,
                   "hosts": dict(HOSTS, **{r[0]: ["10.0.0.%d" % (80 + i)] for i, r in enumerate(rogues)})})
    text, doc = steady_formats(dns.server, "-e", EXPECT, "--rogue-state", rogue_state)
    assert doc["state"] == state, doc
    (ans,) = doc["checks"]
    assert ans["output"] == answer(2 + n_rogue, 2 + n_rogue)
    assert ans["state"] == state
    rogue = _perf(ans)["rogue"]
    assert rogue["value"] == n_rogue and rogue["min"] == 0
    assert rogue.get("warn") == warn and rogue.get("crit") == crit, rogue
    want = "rogue=%d;%s;%s;0" % (n_rogue, "0" if warn else "", "0" if crit else "")
    assert text.perf["rogue"]["raw"] == want, text.perf_text
    # each rogue record says so on its own line, in the --rogue-state
    for sc in ans["checks"]:
        if sc["output"].startswith("rogue"):
            assert sc["state"] == state and ": published but not expected" in sc["output"], sc


def test_formats_tree_rogue(dnsmasq, steady_formats):
    dns = dnsmasq({"domain": D, "srv": [KMS01, KMS02, ROGUE], "hosts": HOSTS})
    text, doc = steady_formats(dns.server, "-e", EXPECT)
    crit = {"start": 0, "end": 0, "alert_on_inside": False}
    assert doc == {
        "state": "CRITICAL",
        "summary": "rogue KMS host published for corp.example: testvm7.corp.example",
        "checks": [{
            "output": answer(3, 3), "state": "CRITICAL",
            "perfdata": [
                {"label": "records", "value": 3, "uom": "", "min": 0},
                {"label": "expected_found", "value": 2, "uom": "", "min": 0},
                {"label": "rogue", "value": 1, "uom": "", "crit": crit, "min": 0},
                {"label": "time", "value": 0, "uom": "s"},
            ],
            "checks": [
                {"output": rec("kms01.corp.example", 1688, 0, 100, "10.0.0.11"), "state": "OK"},
                {"output": rec("testvm7.corp.example", 1688, 0, 100, "10.0.0.77",
                               "published but not expected"), "state": "CRITICAL"},
                {"output": rec("kms02.corp.example", 1688, 10, 100, "10.0.0.12"), "state": "OK"},
            ],
        }],
    }, doc


def test_formats_tree_min_hosts_and_missing(dnsmasq, steady_formats):
    """--min-hosts is a top-level subcheck of its own, first: line 1 names
    it before the answer's phrases, worst first. The -e hosts not published
    are children of the answer, under one subcheck."""
    dns = dnsmasq({"domain": D, "srv": [KMS01, ("kms02.corp.example", 1689, 10, 100)], "hosts": HOSTS})
    text, doc = steady_formats(dns.server, "-e", "kms01.corp.example,kms02.corp.example,kms03.corp.example",
                               "--min-hosts", "3")
    assert doc["state"] == "CRITICAL"
    assert doc["summary"] == ("only 2 KMS hosts, 3 needed; missing kms03.corp.example; "
                              "+1 more problem"), doc
    assert _checks(doc["checks"]) == [
        ("2 KMS hosts published for corp.example, --min-hosts 3", "CRITICAL", []),
        (answer(2, 2), "WARNING", [
            (rec("kms01.corp.example", 1688, 0, 100, "10.0.0.11"), "OK", []),
            (rec("kms02.corp.example", 1689, 10, 100, "10.0.0.12", "port 1689, not 1688"), "WARNING", []),
            ("1 of 3 expected KMS hosts not published for corp.example", "WARNING", [
                ("kms03.corp.example is expected but not published", "WARNING", []),
            ]),
        ]),
    ]
    assert "perfdata" not in doc["checks"][0]
    assert [pd["label"] for pd in doc["checks"][1]["perfdata"]] == ["records", "expected_found", "rogue", "time"]
    # the text shows the leaves, worst first
    assert text.long == [
        "[CRITICAL] 2 KMS hosts published for corp.example, --min-hosts 3",
        "[WARNING] " + rec("kms02.corp.example", 1689, 10, 100, "10.0.0.12", "port 1689, not 1688"),
        "[WARNING] kms03.corp.example is expected but not published",
        "[OK] " + rec("kms01.corp.example", 1688, 0, 100, "10.0.0.11"),
    ], text


def test_formats_tree_only_root_target(dnsmasq, steady_formats):
    dns = dnsmasq({"domain": D, "srv": [ROOT_TARGET], "hosts": HOSTS})
    text, doc = steady_formats(dns.server)
    assert _checks(doc["checks"]) == [
        (answer(1, 0), "CRITICAL", [
            (ROOT_LINE, "WARNING", []),
            ('no KMS host published for corp.example: only SRV target "." (service not available)',
             "CRITICAL", []),
        ]),
    ]


@pytest.mark.parametrize("mode", sorted(HOSTILE))
def test_formats_lookup_failures(dns_hostile, steady_formats, mode):
    """A failed SRV query is one subcheck: the query, with its time (and
    records 0 when the name has none)."""
    h = dns_hostile(mode)
    text, doc = steady_formats(h.server, "-t", "3")
    assert doc["state"] == "CRITICAL"
    assert doc["summary"] == HOSTILE[mode].format(s=h.server)
    (sc,) = doc["checks"]
    assert sc["state"] == "CRITICAL" and "checks" not in sc
    assert text.long == ["[CRITICAL] " + sc["output"]]
    assert [pd["label"] for pd in sc["perfdata"]] == (["records", "time"] if mode == "nxdomain" else ["time"])


def test_formats_tree_nxdomain(dnsmasq, steady_formats):
    dns = dnsmasq({"domain": D, "srv": [], "hosts": HOSTS})
    text, doc = steady_formats(dns.server)
    assert doc == {
        "state": "CRITICAL",
        "summary": "no _vlmcs._tcp SRV record for corp.example: clients cannot find a KMS host",
        "checks": [{
            "output": "DNS server %s: _vlmcs._tcp.corp.example does not exist (NXDOMAIN)" % dns.server,
            "state": "CRITICAL",
            "perfdata": [{"label": "records", "value": 0, "uom": "", "min": 0},
                         {"label": "time", "value": 0, "uom": "s"}],
        }],
    }, doc


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
@pytest.mark.parametrize("t,state", [("1", "CRITICAL"), ("1:WARNING", "WARNING"), ("1:UNKNOWN", "UNKNOWN"),
                                     ("1:OK", "OK")])
def test_formats_timeout_state(dns_hostile, steady_formats, t, state):
    """No answer within -t: the -t state judges the query; no time is
    graphed (there is none)."""
    h = dns_hostile("silence")
    text, doc = steady_formats(h.server, "-t", t)
    assert doc["state"] == state, doc
    assert doc["summary"] == "corp.example: no answer from DNS server %s within 1 s" % h.server, doc
    (sc,) = doc["checks"]
    assert sc["state"] == state and "perfdata" not in sc


# --probe: the answer's children are published.h's host verdicts

def test_formats_probe_ok(dnsmasq, kms_rpc_server, steady_formats):
    port = kms_rpc_server.port
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    text, doc = steady_formats(dns.server, "-e", "kms01.corp.example", "--port", str(port), "--probe", "-t", "5")
    assert doc["summary"] == "1 KMS host published for corp.example, all 1 expected, it answers KMS RPC"
    assert _checks(doc["checks"]) == [
        (answer(1, 1), "OK", [
            ("kms01.corp.example:%d (127.0.0.1): answers KMS RPC in T (prio 0, weight 100, ttl 3600)" % port,
             "OK", []),
        ]),
    ]
    assert [pd["label"] for pd in doc["checks"][0]["perfdata"]] == ["records", "expected_found", "rogue", "time"]


def test_formats_probe_degraded_warning(dnsmasq, kms_rpc_server, steady_formats):
    port = kms_rpc_server.port
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1", "127.0.0.2"]}})
    text, doc = steady_formats(dns.server, "--port", str(port), "--probe", "-t", "5")
    assert doc["state"] == "WARNING"
    assert doc["summary"] == "127.0.0.2 of kms01.corp.example does not answer", doc
    assert _checks(doc["checks"]) == [
        (answer(1, 1), "WARNING", [
            ("kms01.corp.example:%d: 1 of 2 addresses does not answer: 127.0.0.2 connection refused; "
             "127.0.0.1 answers KMS RPC in T (prio 0, weight 100, ttl 3600)" % port, "WARNING", []),
        ]),
    ]


def test_formats_probe_refused_critical(dnsmasq, steady_formats):
    port = harness.free_port()
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", port, 0, 100), KMS02],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"], "kms02.corp.example": ["127.0.0.2"]}})
    text, doc = steady_formats(dns.server, "--port", str(port), "--probe", "-t", "3")
    assert doc["state"] == "CRITICAL"
    # kms02 is on 1688, not --port: its line says both, line 1 counts it
    assert doc["summary"] == "no KMS RPC answer from kms01.corp.example +1 more; +1 more problem", doc
    (ans,) = doc["checks"]
    assert [sc["state"] for sc in ans["checks"]] == ["CRITICAL", "CRITICAL"]
    assert ans["checks"][1]["output"] == ("kms02.corp.example:1688 (127.0.0.2): connection refused; "
                                          "port 1688, not %d (prio 10, weight 100, ttl 3600)" % port)


def test_formats_probe_other_interface(dnsmasq, kms_rpc_server, other_rpc_server, steady_formats):
    kport, oport = kms_rpc_server.port, other_rpc_server.port
    dns = dnsmasq({"domain": D, "srv": [("kms01.corp.example", kport, 0, 100),
                                        ("kms02.corp.example", oport, 10, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"], "kms02.corp.example": ["127.0.0.1"]}})
    text, doc = steady_formats(dns.server, "-e", "kms01.corp.example,kms02.corp.example",
                               "--port", str(kport), "--probe", "-t", "5")
    assert doc["state"] == "CRITICAL"
    assert doc["summary"] == ("no KMS RPC answer from kms02.corp.example; "
                              "port not %d: kms02.corp.example" % kport), doc
    assert [sc["state"] for sc in doc["checks"][0]["checks"]] == ["OK", "CRITICAL"]


# The cap: at most 16 addresses per name are kept (common/dns_srv.h), the
# rest counted and said, WARNING, by a top-level subcheck of their own --
# not probed with --probe, not listed without. dnsmasq --no-round-robin
# answers the addresses in the order configured: the first 16 are kept.

CAP_ADDRS = ["127.0.0.%d" % i for i in range(1, 21)]


def cap_spec(port, addrs):
    return {"domain": D, "srv": [("kms01.corp.example", port, 0, 100)],
            "hosts": {"kms01.corp.example": addrs}, "args": ["--no-round-robin"]}


def test_formats_probe_addresses_beyond_16(dnsmasq, kms_rpc_server, steady_formats):
    port = kms_rpc_server.port
    dns = dnsmasq(cap_spec(port, CAP_ADDRS))
    text, doc = steady_formats(dns.server, "--port", str(port), "--probe", "-t", "5")
    assert text.code == 1, text
    assert text.first == ("KMS DNS WARNING - 15 of 16 addresses of kms01.corp.example do not "
                          "answer; 4 addresses not probed"), text
    dead = "; ".join("%s connection refused" % a for a in CAP_ADDRS[1:16])
    assert _checks(doc["checks"]) == [
        (answer(1, 1), "WARNING", [
            ("kms01.corp.example:%d: 15 of 16 addresses do not answer: %s; 127.0.0.1 answers "
             "KMS RPC in T; 4 more addresses not probed (at most 16 per name) "
             "(prio 0, weight 100, ttl 3600)" % (port, dead), "WARNING", []),
        ]),
        ("4 addresses beyond 16 per name not probed: kms01.corp.example:%d (4)" % port,
         "WARNING", []),
    ], doc
    # the cap graphs nothing: the answer's metrics as before
    assert harness.json_labels(doc) == ["records", "time"], doc


def test_formats_addresses_beyond_16_not_listed(dnsmasq, steady_formats):
    """Without --probe the addresses are only resolved and listed: the four
    left out are not listed, and line 1 says so."""
    dns = dnsmasq(cap_spec(1688, CAP_ADDRS))
    text, doc = steady_formats(dns.server)
    assert text.code == 1, text
    assert text.first == "KMS DNS WARNING - 4 addresses beyond 16 per name not listed", text
    assert doc == {
        "state": "WARNING",
        "summary": "4 addresses beyond 16 per name not listed",
        "checks": [{
            "output": answer(1, 1), "state": "OK",
            "perfdata": [{"label": "records", "value": 1, "uom": "", "min": 0},
                         {"label": "time", "value": 0, "uom": "s"}],
            "checks": [{"output": rec("kms01.corp.example", 1688, 0, 100,
                                      ", ".join(CAP_ADDRS[:16]) +
                                      ", 4 more not listed (at most 16 per name)"),
                        "state": "OK"}],
        }, {
            "output": "4 addresses beyond 16 per name not listed: kms01.corp.example (4)",
            "state": "WARNING",
        }],
    }, doc


def test_formats_addresses_beyond_16_of_one_target_on_two_ports(dnsmasq, steady_formats):
    """Listed: one target's addresses are left out once, whatever its
    records. Probed: each record's host misses its four."""
    dns = dnsmasq(dict(cap_spec(1688, CAP_ADDRS),
                       srv=[("kms01.corp.example", 1688, 0, 100), ("kms01.corp.example", 1689, 0, 100)]))
    text, doc = steady_formats(dns.server)
    # (the record on 1689 is on another port than --port: its own phrase)
    assert doc["summary"] == "corp.example: port not 1688: kms01.corp.example; 4 addresses not listed", doc
    assert doc["checks"][1]["output"] == ("4 addresses beyond 16 per name not listed: "
                                          "kms01.corp.example (4)"), doc
    text, doc = steady_formats(dns.server, "--probe", "-t", "3")
    assert doc["checks"][1]["output"] == ("8 addresses beyond 16 per name not probed: "
                                          "kms01.corp.example:1688 (4), kms01.corp.example:1689 (4)"), doc


def test_formats_probe_addresses_beyond_16_all_kept_answer(dnsmasq, kms_rpc_server, rpc_relay,
                                                            steady_formats):
    """The 16 kept all answer (relayed to one impacket server): the cap alone
    makes the record WARNING; the answer's headline is then the good news of
    what was probed, the cap's follows."""
    port = kms_rpc_server.port
    rpc_relay(CAP_ADDRS[1:16], port)
    dns = dnsmasq(cap_spec(port, CAP_ADDRS))
    text, doc = steady_formats(dns.server, "--port", str(port), "--probe", "-t", "5")
    assert text.code == 1, text
    assert doc["summary"] == ("corp.example: 1 KMS host published, it answers KMS RPC; "
                              "4 addresses not probed"), doc
    assert [(sc["state"], [k["state"] for k in sc.get("checks", [])]) for sc in doc["checks"]] == \
        [("WARNING", ["WARNING"]), ("WARNING", [])], doc


def test_formats_exactly_16_addresses_nothing_left_out(dnsmasq, kms_rpc_server, steady_formats):
    port = kms_rpc_server.port
    dns = dnsmasq(cap_spec(port, CAP_ADDRS[:16]))
    text, doc = steady_formats(dns.server, "--port", str(port))
    assert text.code == 0 and doc["summary"] == "1 KMS host published for corp.example", doc
    assert _checks(doc["checks"]) == [
        (answer(1, 1), "OK", [(rec("kms01.corp.example", port, 0, 100, ", ".join(CAP_ADDRS[:16])),
                               "OK", [])]),
    ], doc
    text, doc = steady_formats(dns.server, "--port", str(port), "--probe", "-t", "5")
    assert text.code == 1, text
    assert doc["summary"] == "15 of 16 addresses of kms01.corp.example do not answer", doc
    assert len(doc["checks"]) == 1 and "not probed" not in json.dumps(doc), doc


def test_bad_input_in_json_is_unknown():
    """What the plugin refuses once the options are read (here -D, checked
    after -D parsed) is UNKNOWN in every format, with no subcheck."""
    text, doc = harness.run_formats("check_kms_dns", "-D", "bad..name", "-s", "127.0.0.1")
    assert doc == {"state": "UNKNOWN",
                   "summary": '-D: "bad..name" is not a valid domain name (empty label)',
                   "checks": []}, doc


def test_output_format_yaml_unknown():
    res = run("check_kms_dns", "--output-format", "yaml", "-D", D, "-s", "127.0.0.1")
    assert res.code == 3, res
    assert res.first == "KMS DNS UNKNOWN - unknown --output-format 'yaml' (text, json or mp-test-json)"
