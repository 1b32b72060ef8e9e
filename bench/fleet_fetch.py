#!/usr/bin/python3
"""CPU of fetching two status documents over https at once against one
(issue 17: "2 documents over https cost at most 1.3x one document's CPU").

What is measured is common/fetch.c's fetch_streams() through the
tests/tools/kms_fetch tool: `kms_fetch -u URL` against `kms_fetch -u URL1
-u URL2` (both on one libcurl multi handle). Two documents on two https
servers of nginx (two origins, as two KMS hosts are; one CA file holding
both test CAs), and for comparison on one server. Every figure is the
median over N whole-process runs after a warm-up, the variants alternating
in one loop, measured by bench/spawn (os.wait4 rusage: user + sys); the
helpers are bench/run.py's, imported.

Run: `make BUILD=build -j2 all build/bench/spawn`, then
`/usr/bin/python3 bench/fleet_fetch.py`. Environment as bench/run.py
(KMS_BUILD, BENCH_QUICK=1); BENCH_OUT defaults to bench/fleet-fetch.md.
KMS_FETCH_BASE=PATH adds a row for another build's kms_fetch fetching one
document (to see that the single-URL path did not get dearer), named in the
table by KMS_FETCH_BASE_LABEL (default: the path).
Exit 1 when the target is missed.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("BENCH_OUT", os.path.join(HERE, "fleet-fetch.md"))

import run as bench  # noqa: E402  (run_once, Variant, compare, table, facts, gen_doc)

TARGET = 1.3
KMS_FETCH = os.path.join(bench.BUILD, "tests", "kms_fetch")
KMS_FETCH_BASE = os.environ.get("KMS_FETCH_BASE")
KMS_FETCH_BASE_LABEL = os.environ.get("KMS_FETCH_BASE_LABEL", KMS_FETCH_BASE)


def fetch_cmd(ca, *urls, tool=KMS_FETCH):
    cmd = [tool, "--cacert", ca]
    for url in urls:
        cmd += ["-u", url]
    return cmd


def check_ok(variants):
    """Every variant fetches every document (exit 0) before it is timed."""
    for v in variants:
        code, _, _, _, out = bench.run_once(v.cmd, capture=True)
        if code != 0 or ("kms_fetch" in v.cmd[0] and not out.startswith(b"KMS FETCH OK")):
            raise SystemExit("%s: exit %d: %s" % (v.label, code, out.decode(errors="replace")))


def main():
    for path in (KMS_FETCH, bench.SPAWN, bench.plugin("check_kms_count")):
        if not os.access(path, os.X_OK):
            raise SystemExit("%s not built: make BUILD=build -j2 all build/bench/spawn" % path)
    reps = 30 if bench.QUICK else 200
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="kms-fleet-fetch-")
    os.chmod(tmp, 0o755)
    ng = bench.NginxPeer(os.path.join(tmp, "nginx"))
    os.makedirs(ng.tmp)
    ng.start()
    rows = []
    try:
        ca = os.path.join(tmp, "cas.pem")
        with open(ca, "w") as out:
            for part in (ng.ca, ng.other_ca):
                with open(part) as f:
                    out.write(f.read())
        bench.DATA = tmp  # generated documents go to the scratch directory
        docs = [("packaging/samples/healthy.json", os.path.join(bench.SAMPLES, "healthy.json")),
                ("10000 clients (generate.py --seed 1)", bench.gen_doc(10000))]
        bench.report.append("# Fetching two documents at once: results of bench/fleet_fetch.py\n")
        bench.report.append(
            "Method: `kms_fetch -u URL` (one document) against `kms_fetch -u URL1 -u URL2` "
            "(two documents, fetch_streams(): one libcurl multi handle, no thread). "
            "kms_fetch streams each body through an FNV-1a checksum and prints it, so the "
            "figures are the fetch path alone (process start, dlopen of libcurl, TLS, HTTP), "
            "not a plugin's parsing. nginx on loopback (TLS 1.3, P-256 test certificates, "
            "`--cacert` of a file holding both test CAs). Whole process, median of the runs: "
            "CPU = user + sys from os.wait4's rusage (bench/spawn), wall clock beside it. "
            "The variants alternate in one loop. The machine is shared (2 cores, other "
            "jobs running): read the ratios, not the absolute figures.%s\n"
            % (" **BENCH_QUICK=1: few runs.**" if bench.QUICK else ""))
        bench.facts()
        bench.report.append("## Figures\n")
        for title, path in docs:
            with open(path, "rb") as f:
                data = f.read()
            ng.put("kms01.json", data)
            ng.put("kms02.json", data)
            one = ng.https_url("/kms01.json")
            two_hosts = ng.other_url("/kms02.json")
            same_host = ng.https_url("/kms02.json")
            vs = [bench.Variant("1 document: -u https://A/kms01.json", fetch_cmd(ca, one)),
                  bench.Variant("2 documents, 2 servers: -u https://A/kms01.json -u https://B/kms02.json",
                                fetch_cmd(ca, one, two_hosts)),
                  bench.Variant("2 documents, 1 server: -u https://A/kms01.json -u https://A/kms02.json",
                                fetch_cmd(ca, one, same_host)),
                  # the floor for the bytes: curl fetching the same, without a checksum
                  bench.Variant("curl -s --compressed --cacert CA https://A/kms01.json -o /dev/null",
                                ["curl", "-s", "--compressed", "--cacert", ca, one,
                                 "-o", "/dev/null"]),
                  bench.Variant("curl -s --compressed --parallel ... A/kms01.json B/kms02.json",
                                ["curl", "-s", "--compressed", "--parallel", "--cacert", ca,
                                 one, "-o", "/dev/null", two_hosts, "-o", "/dev/null"])]
            if KMS_FETCH_BASE:
                vs.append(bench.Variant("1 document, %s" % KMS_FETCH_BASE_LABEL,
                                        fetch_cmd(ca, one, tool=KMS_FETCH_BASE)))
            check_ok(vs)
            bench.log("== %s" % title)
            bench.compare(vs, reps)
            bench.table("%s, %d bytes each" % (title, len(data)), vs, reps)
            rows.append((title, len(data), [v.med("cpu") for v in vs]))
    finally:
        ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    met_all = True
    bench.report.append("## Target (issue 17): 2 documents over https cost at most %.1fx one "
                        "document's CPU\n" % TARGET)
    bench.report.append("| documents | 1 document CPU ms | 2 servers CPU ms | ratio | "
                        "1 server CPU ms | ratio | |")
    bench.report.append("|---|---|---|---|---|---|---|")
    for title, _, cpu in rows:
        c1, c2, c2same = cpu[:3]
        met = c2 / c1 <= TARGET
        met_all = met_all and met
        bench.report.append("| %s | %s | %s | %.2f | %s | %.2f | %s |" % (
            title, bench.ms(c1), bench.ms(c2), c2 / c1, bench.ms(c2same), c2same / c1,
            "met" if met else "**missed**"))
    bench.report.append("")
    bench.report.append("## Reading the figures\n")
    bench.report.append(
        "A document's cost has a fixed part (process start, dlopen of libcurl and the "
        "libraries it pulls in, the CA file, which libcurl caches in the multi handle) that "
        "a second document shares, and a part that no fetcher can share: its own TLS "
        "handshake and, per byte, TLS decryption, gunzip and the sink (here kms_fetch's "
        "checksum; in a plugin, the parser). Two documents are twice the bytes.\n")
    for title, size, cpu in rows:
        c1, c2, _, curl1, curl2 = cpu[:5]
        bench.report.append(
            "- %s (%d bytes): the second document adds %s ms of CPU (%.2fx). curl "
            "--parallel fetching the same two documents without a checksum: %s ms against "
            "its own %s ms for one (%.2fx)." % (
                title, size, bench.ms(c2 - c1), c2 / c1, bench.ms(curl2), bench.ms(curl1),
                curl2 / curl1))
    bench.report.append("")
    if not met_all:
        bench.report.append(
            "**The %.1fx target is missed** where the per-byte part outweighs the fixed one: "
            "for documents of megabytes, a second document costs about as much again as the "
            "first one's bytes, whatever fetches it (curl --parallel's own ratio above). It "
            "is met for documents of the sample's size (tens of KB), where the fixed part "
            "(shared) dominates.\n" % TARGET)
    notes = os.path.join(HERE, "fleet-fetch-notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            bench.report.append(f.read())
    bench.report.append("_bench/fleet_fetch.py took %.0f s._\n" % (time.monotonic() - t0))
    with open(bench.OUT, "w") as f:
        f.write("\n".join(bench.report) + "\n")
    bench.log("wrote %s" % bench.OUT)
    return 0 if met_all else 1


if __name__ == "__main__":
    sys.exit(main())
