#!/usr/bin/python3
"""Write the seed corpora fuzz/corpus/<target>/ from the sample documents,
the unit test vectors (quoted strings of tests/unit/test_*.c for the text
parsers) and hand-made messages (DCE/RPC bind_ack/bind_nak, DNS answers).
Run from the top of the checkout: /usr/bin/python3 fuzz/make_seeds.py.
Files are named by content hash, so re-running adds and never duplicates."""
import glob
import hashlib
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "peers"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if target == "fuzz_doc":
        # fuzz_doc_scan: 8 bytes of chunk sizes, then the document
        for pre in (bytes(range(8)), bytes([255] * 8), bytes([3, 0, 31, 2, 200, 1, 1, 9])):
            put("fuzz_doc_scan", pre + data)
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def c_strings(path):
    text = open(path, encoding="utf-8").read()
    return [bytes(m, "utf-8").decode("unicode_escape")
            for m in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text)]


def docs():
    for p in sorted(glob.glob(os.path.join(ROOT, "packaging", "samples", "*.json"))):
        data = open(p, "rb").read()
        if len(data) > 64 * 1024:   # keep seeds small: the head of a big one
            continue
        put("fuzz_doc", data)
    small = ('{"format":"kms-status","version":1,"generated_at":"2026-11-25T14:00:00Z",'
             '"host":{"name":"kms01"},"products":[{"name":"W","application_id":'
             '"55c92734-d682-4d71-983e-d6ec3f16059f","current_count":31,"license_status":1,'
             '"requests":{"total":5,"failed":1}}],"clients_complete_since":"2026-05-01T00:00:00Z",'
             '"clients":[{"name":"pc1","cmid":"c","last_result":"0xC004F038",'
             '"last_success_at":null,"license_state":2,"state_expires_in_minutes":10,'
             '"last_request_at":"2026-11-20T08:15:00.25+01:00"},'
             '{"name":"pc\\u00e9","virtual":true,"required_count":25}],'
             '"events":[{"id":12293,"at":"2026-11-25T13:02:11Z","hresult":"0x8007232A","message":"m"}]}')
    put("fuzz_doc", small)
    put("fuzz_doc", small.replace('"version":1', '"version":2'))
    put("fuzz_doc", small.replace('"name":"pc1"', '"name":"!refused"'))


def texts():
    unit = os.path.join(ROOT, "tests", "unit")
    for s in c_strings(os.path.join(unit, "test_timeutil.c")):
        if re.match(r"^[0-9+]", s) or s == "":
            put("fuzz_rfc3339", s)
    for s in c_strings(os.path.join(unit, "test_range.c")):
        if len(s) < 40 and re.match(r"^[-@~:0-9.%a-z ]*$", s):
            put("fuzz_range", b"\0" + s.encode())
            put("fuzz_range", b"\1" + s.encode())
    put("fuzz_range", b"\x0180%:\n90%:")
    put("fuzz_range", b"\x00~:10\n@10:20")
    for s in c_strings(os.path.join(unit, "test_hresult.c")) + ["0x0", "C004F038", "0xC004F074", "0xffffffff"]:
        if len(s) < 20:
            put("fuzz_hresult", s)
    for s in ["90", "90s", "15m", "15min", "2h", "1d", "1.5h", ".5", "0", "3650000d", "-1", "1e3"]:
        put("fuzz_duration", s)
    for s in c_strings(os.path.join(unit, "test_options.c")):
        if "[" in s and len(s) < 400:
            put("fuzz_extra_opts", s)
    put("fuzz_extra_opts", "# comment\n[check_kms_count]\nurl=https://kms01/doc.json\n"
        "  warning = 30: \n; c\nverbose\n[other]\nx=1\n")
    put("fuzz_extra_opts", "@@mysection\n[mysection]\ntimeout=5:UNKNOWN\nmax-age=2h\n")
    put("fuzz_extra_opts", "[check_kms_count\nx=1\n")
    put("fuzz_extra_opts", "x=1\n[check_kms_count]\n")


def rpc():
    import hostile_server as hs
    for pdu in (hs.ACCEPT, hs.REJECT, hs.bind_nak(4), hs.bind_nak(0),
                hs.bind_ack([(0, 0, hs.NDR)], vers=(4, 0)),
                hs.bind_ack([(0, 0, hs.NDR)], call_id=7),
                hs.bind_ack([(0, 0, hs.NDR)], sec_addr=b""),
                hs.bind_ack([(2, 2, bytes(20))] * 3),
                hs.ACCEPT[:40], b"HTTP/1.1 400 Bad Request\r\n\r\n"):
        put("fuzz_rpc_bind", pdu)
    huge = bytearray(hs.ACCEPT)
    struct.pack_into("<H", huge, 8, 65000)
    put("fuzz_rpc_bind", bytes(huge[:60]))
    be = bytearray(hs.ACCEPT)   # big-endian data representation
    be[4] = 0x00
    put("fuzz_rpc_bind", bytes(be))


def dns():
    import dnsmasq as dm
    query = dm.build_query("_vlmcs._tcp.corp.example", 33)
    for mode in ("good", "truncated", "loop", "ancount", "rdlength", "servfail",
                 "nxdomain", "refused", "tc"):
        put("fuzz_dns_srv", dm.hostile_answer(mode, query))
    # two records, no additional section
    question = query[12:]
    ans = b""
    for prio, name in ((10, "kms02.corp.example"), (0, "kms01.corp.example")):
        rdata = struct.pack(">HHH", prio, 50, 1688) + dm.encode_name(name)
        ans += b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 600, len(rdata)) + rdata
    put("fuzz_dns_srv", query[:2] + struct.pack(">HHHHH", 0x8580, 1, 2, 0, 0) + question + ans)


if __name__ == "__main__":
    docs()
    texts()
    rpc()
    dns()
    for d in sorted(glob.glob(os.path.join(ROOT, "fuzz", "corpus", "*"))):
        print("%-40s %d" % (os.path.relpath(d, ROOT), len(os.listdir(d))))
