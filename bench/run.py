#!/usr/bin/python3
"""Cost of a check, side by side with what admins use instead (issue 10).

Driven by `make bench` (which builds the plugins first); writes
bench/results.md. Every figure is the median over N runs after a warm-up,
whole process: wall clock, CPU (user + sys from os.wait4's rusage) and peak
RSS (ru_maxrss). The variants of a comparison run alternately in the same
loop, so a noisy neighbour hits them alike; ratios are ours / theirs.

Only loopback peers, started here and stopped at the end: impacket's
DCE/RPC server (tests/integration/peers/rpc_server.py), dnsmasq, nginx.

Environment: KMS_BUILD (build directory, default build/), BENCH_QUICK=1
(fewer repetitions, for a smoke run), BENCH_OUT (report path).
"""
import datetime
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "peers"))

import harness  # noqa: E402  (free_port, Peer, wait_tcp)
from dnsmasq import Dnsmasq  # noqa: E402
from nginx import NginxPeer  # noqa: E402

BUILD = os.environ.get("KMS_BUILD", os.path.join(ROOT, "build"))
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "results.md"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
NOW = "2026-11-25T14:00:00Z"
NOW_EPOCH = "1795615200"
SPAWN = os.path.join(BUILD, "bench", "spawn")
PY = "/usr/bin/python3"
CHECK_TCP = "/usr/lib/nagios/plugins/check_tcp"
SAMPLES = os.path.join(ROOT, "packaging", "samples")
DATA = os.path.join(HERE, "data")
KMS_IFACE = "51c82175-844e-4750-b0d8-ec255555bc06"
SIZES = [1000, 10000, 100000, 1000000]
PY_RSS_LIMIT = 3 * 1024 ** 3
PY_TIME_LIMIT = 120.0

ENV = dict(os.environ, KMS_PLUGINS_NOW=NOW, LC_ALL="C")
report = []
targets = []      # (target, measured, met: bool)
profiles = []     # (title, command) to profile when a target is missed


def plugin(name):
    return os.path.join(BUILD, name)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- measuring ----------------------------------------------------------------

def run_once(cmd, capture=False):
    """Run cmd once under bench/spawn (see spawn.c: a small launcher, so the
    peak RSS is the command's own and not the forked interpreter's); return
    (exit code, wall s, cpu s, maxrss KiB, stdout+stderr when capture)."""
    r, w = os.pipe()
    try:
        p = subprocess.Popen([SPAWN, str(w)] + cmd, env=ENV, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                             stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
                             pass_fds=(w,))
        os.close(w)
        w = -1
        out = p.stdout.read() if capture else b""
        if capture:
            p.stdout.close()
        with os.fdopen(r, "rb") as f:
            r = -1
            line = f.read().decode()
        p.wait()
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)
    if p.returncode != 0 or not line:
        raise SystemExit("bench/spawn failed (%s) on %r" % (p.returncode, cmd))
    code, wall, utime, stime, rss = (int(x) for x in line.split())
    return code, wall / 1e9, (utime + stime) / 1e6, rss, out


class Variant:
    def __init__(self, label, cmd):
        self.label, self.cmd = label, cmd
        self.wall, self.cpu, self.rss, self.codes = [], [], [], set()

    def med(self, what):
        return statistics.median(getattr(self, what))


def compare(variants, reps, warmup=2):
    """Warm up, then run the variants alternately (the order rotates every
    round) reps times. Returns the variants with their samples."""
    for v in variants:
        for _ in range(warmup):
            run_once(v.cmd)
    for i in range(reps):
        k = i % len(variants)
        for v in variants[k:] + variants[:k]:
            code, wall, cpu, rss, _ = run_once(v.cmd)
            v.wall.append(wall)
            v.cpu.append(cpu)
            v.rss.append(rss)
            v.codes.add(code)
    return variants


def ms(x):
    return "%.2f" % (x * 1000) if x < 0.1 else "%.0f" % (x * 1000)


def mib(kib):
    return "%.1f" % (kib / 1024)


def ratio(a, b):
    return "%.2f" % (a / b) if b > 0 else "-"


def table(title, variants, reps, note=""):
    base = variants[0]
    report.append("### %s\n" % title)
    if note:
        report.append(note + "\n")
    report.append("%d runs each after a warm-up, alternating; ratios are this row / the first row.\n" % reps)
    report.append("| command | exit | median wall ms | median CPU ms | peak RSS MiB | wall ratio | CPU ratio | RSS ratio |")
    report.append("|---|---|---|---|---|---|---|---|")
    for v in variants:
        report.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            v.label, ",".join(str(c) for c in sorted(v.codes)),
            ms(v.med("wall")), ms(v.med("cpu")), mib(v.med("rss")),
            ratio(v.med("wall"), base.med("wall")), ratio(v.med("cpu"), base.med("cpu")),
            ratio(v.med("rss"), base.med("rss"))))
    report.append("")


def same_verdict(cmds):
    """Assert every command gives the same exit code; return it."""
    codes = {}
    for label, cmd in cmds:
        code, _, _, _, out = run_once(cmd, capture=True)
        codes[label] = (code, out.decode(errors="replace").split("\n")[0][:120])
    if len({c for c, _ in codes.values()}) != 1:
        raise SystemExit("verdicts differ: %r" % codes)
    return codes


# --- machine facts -------------------------------------------------------------

def sh(cmd):
    try:
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().split("\n")[0]
    except (OSError, subprocess.SubprocessError):
        return "?"


def facts():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rows = [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu),
        ("kernel", platform.release()),
        ("Debian", sh("cat /etc/debian_version")),
        ("kms-plugins", sh(plugin("check_kms_count") + " -V")),
        ("check_tcp", sh(CHECK_TCP + " -V")),
        ("python3", sh(PY + " --version")),
        ("python3-nagiosplugin", sh("dpkg-query -W -f='${Version}' python3-nagiosplugin")),
        ("jq", sh("jq --version")),
        ("libjansson4", sh("dpkg-query -W -f='${Version}' libjansson4")),
        ("libcurl4", sh("dpkg-query -W -f='${Version}' libcurl4")),
        ("curl", sh("curl --version")),
        ("nginx", sh("nginx -v")),
        ("dnsmasq", sh("/usr/sbin/dnsmasq --version")),
        ("impacket", sh("dpkg-query -W -f='${Version}' python3-impacket")),
    ]
    report.append("## Machine\n")
    report.append("| fact | value |\n|---|---|")
    for k, v in rows:
        report.append("| %s | %s |" % (k, v.replace("|", "/")))
    report.append("")


# --- the comparisons -----------------------------------------------------------

def bench_network(tmp):
    reps = 30 if QUICK else 200
    port = harness.free_port()
    rpc = harness.Peer([PY, os.path.join(ROOT, "tests", "integration", "peers", "rpc_server.py"),
                        "127.0.0.1", str(port), KMS_IFACE, os.path.join(tmp, "rpc.jsonl")],
                       lambda: harness.wait_tcp("127.0.0.1", port, 0.2), "impacket rpc server",
                       log=os.path.join(tmp, "rpc.out"))
    dns = Dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    rpc.start()
    dns.start()
    try:
        tcp = [CHECK_TCP, "-H", "127.0.0.1", "-p", str(port)]
        host = [plugin("check_kms_host"), "-H", "127.0.0.1", "-p", str(port)]
        dnscheck = [plugin("check_kms_dns"), "-D", "corp.example", "-s", dns.server,
                    "--port", str(port)]
        dnsprobe = dnscheck + ["--probe"]
        codes = same_verdict([("check_tcp", tcp), ("check_kms_host", host),
                              ("check_kms_dns", dnscheck)])
        log("network: %r" % codes)
        vs = compare([Variant("check_tcp -H 127.0.0.1 -p PORT", tcp),
                      Variant("check_kms_host -H 127.0.0.1 -p PORT", host),
                      Variant("check_kms_dns -D corp.example -s 127.0.0.1:PORT --port PORT", dnscheck),
                      Variant("check_kms_dns ... --probe (SRV + bind to the target)", dnsprobe)],
                     reps)
        table("check_kms_host and check_kms_dns vs check_tcp (loopback)", vs, reps,
              "Peer: impacket's DCE/RPC server registering the KMS interface on 127.0.0.1 "
              "(the same port for all rows); dnsmasq on 127.0.0.1 publishing "
              "`_vlmcs._tcp.corp.example` -> kms01.corp.example:PORT. check_tcp only connects; "
              "check_kms_host connects and completes a DCE/RPC bind. Wall time includes the "
              "Python peer's answer.")
        base = vs[0].med("cpu")
        for v, name in ((vs[1], "check_kms_host"), (vs[2], "check_kms_dns")):
            r = v.med("cpu") / base
            targets.append(("%s CPU <= 1.5x check_tcp" % name,
                            "%s ms vs %s ms = %.2fx" % (ms(v.med("cpu")), ms(base), r), r <= 1.5))
            if r > 1.5:
                profiles.append((name, v.cmd))
    finally:
        dns.stop()
        rpc.stop()


def doc_variants(kind, path, with_jq=True, max_size=None, c_label=None):
    c = [plugin("check_kms_" + kind), "-u", path]
    if max_size:
        c += ["--max-size", max_size, "-t", "300"]
    out = [Variant(c_label or "check_kms_%s -u FILE" % kind, c),
           Variant("Python nagiosplugin bench/check_kms_%s.py" % kind,
                   [PY, os.path.join(HERE, "check_kms_%s.py" % kind), "-u", path])]
    if with_jq:
        out.append(Variant("jq -f bench/%s.jq" % kind,
                           ["jq", "-r", "--argjson", "now", NOW_EPOCH,
                            "-f", os.path.join(HERE, kind + ".jq"), path]))
    return out


def bench_documents():
    reps = 20 if QUICK else 100
    for sample in ("healthy.json", "expiring.json"):
        path = os.path.join(SAMPLES, sample)
        for kind in ("count", "renewal"):
            vs = doc_variants(kind, path)
            codes = same_verdict([(v.label, v.cmd) for v in vs])
            log("%s %s: %r" % (kind, sample, codes))
            compare(vs, reps)
            table("check_kms_%s on packaging/samples/%s (%d bytes)"
                  % (kind, sample, os.path.getsize(path)), vs, reps,
                  "Same verdict asserted before timing: exit %d for all three."
                  % next(iter(codes.values()))[0])
            c, p = vs[0].med("cpu"), vs[1].med("cpu")
            targets.append(("check_kms_%s %s: CPU < 2 ms" % (kind, sample),
                            "%s ms" % ms(c), c < 0.002))
            targets.append(("check_kms_%s %s: >= 20x less CPU than Python" % (kind, sample),
                            "%s ms vs %s ms = %.1fx less" % (ms(c), ms(p), p / c), p / c >= 20))
            if c >= 0.002 or p / c < 20:
                profiles.append(("check_kms_%s %s" % (kind, sample), vs[0].cmd))


def bench_https(tmp):
    reps = 20 if QUICK else 100
    ng = NginxPeer(os.path.join(tmp, "nginx"))
    os.makedirs(ng.tmp)
    ng.start()
    try:
        with open(os.path.join(SAMPLES, "healthy.json"), "rb") as f:
            ng.put("healthy.json", f.read())
        https = ng.https_url("/healthy.json")
        http = ng.http_url("/healthy.json")
        vs = [Variant("check_kms_count -u https://127.0.0.1/healthy.json --cacert CA",
                      [plugin("check_kms_count"), "-u", https, "--cacert", ng.ca]),
              Variant("check_kms_count -u http://127.0.0.1/healthy.json",
                      [plugin("check_kms_count"), "-u", http]),
              Variant("check_kms_count -u FILE (same document)",
                      [plugin("check_kms_count"), "-u", os.path.join(SAMPLES, "healthy.json")]),
              Variant("curl -s --cacert CA https://... -o /dev/null (fetch only)",
                      ["curl", "-s", "--cacert", ng.ca, https, "-o", "/dev/null"]),
              Variant("curl -s --cacert CA https://... / jq -f bench/count.jq (sh -c)",
                      ["sh", "-c", "curl -s --cacert '%s' '%s' | jq -r --argjson now %s -f '%s'"
                       % (ng.ca, https, NOW_EPOCH, os.path.join(HERE, "count.jq"))])]
        codes = same_verdict([(v.label, v.cmd) for v in vs[:3]])
        log("https: %r" % codes)
        compare(vs, reps)
        table("check_kms_count over https and http (nginx on loopback, TLS 1.3, test CA)", vs, reps,
              "libcurl is dlopen()ed only for http(s) URLs; the file row is the same check "
              "without it. curl/jq rows: what a shell pipeline costs (whole pipeline for the last row).")
        c = vs[0].med("cpu")
        dl = os.path.join(BUILD, "bench", "dlopen")
        ds = [Variant("bench/dlopen (nothing: process start)", [dl]),
              Variant("bench/dlopen libcurl.so.4 (what an http(s) URL costs before any I/O)",
                      [dl, "libcurl.so.4"]),
              Variant("bench/dlopen libssl.so.3 (OpenSSL alone, without libcurl's other ~25 libraries)",
                      [dl, "libssl.so.3"])]
        compare(ds, reps)
        table("What loading the TLS stack costs a process start", ds, reps,
              "A C program that only dlopen()s the libraries named (RTLD_LAZY, as common/fetch.c).")
        targets.append(("check_kms_count over https: CPU < 10 ms", "%s ms" % ms(c), c < 0.010))
        if c >= 0.010:
            profiles.append(("check_kms_count https", vs[0].cmd))
    finally:
        ng.stop()


def gen_doc(n):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, "clients-%d.json" % n)
    if not os.path.exists(path):
        log("generating %s" % path)
        subprocess.run([PY, os.path.join(SAMPLES, "generate.py"), "--clients", str(n),
                        "--seed", "1", "--now", NOW, "--out", path + ".tmp"], check=True)
        os.rename(path + ".tmp", path)
    return path


def bench_scaling():
    report.append("### Scaling: generated documents (packaging/samples/generate.py --clients N --seed 1)\n")
    report.append("C plugins run with `--max-size 2G -t 300`. Python: bench/check_kms_*.py "
                  "(json.load of the whole document). Ratios: C / Python. "
                  "Runs alternate C and Python in the same loop.\n")
    report.append("| N clients | document MiB | check | runs | exit | C wall ms | C CPU ms | C RSS MiB "
                  "| Python wall ms | Python CPU ms | Python RSS MiB | wall ratio | RSS ratio |")
    report.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    py_at = {}
    sizes = SIZES[:3] if QUICK else SIZES
    for n in sizes:
        path = gen_doc(n)
        size = os.path.getsize(path)
        reps = {1000: 20, 10000: 10, 100000: 5, 1000000: 3}[n]
        if QUICK:
            reps = min(reps, 3)
        for kind in ("renewal", "count"):
            vs = doc_variants(kind, path, with_jq=False, max_size="2G")
            skip_py = ""
            prev = py_at.get((kind, n // 10))
            if prev:
                est_rss, est_wall = prev[0] * 10 * 1024 * 1.1, prev[1] * 10 * 1.1
                if est_rss > PY_RSS_LIMIT or est_wall > PY_TIME_LIMIT:
                    skip_py = "skipped: estimated %.1f GiB, %.0f s" % (est_rss / 1024 ** 3, est_wall)
            if skip_py:
                vs = vs[:1]
                warm = 1
            else:
                same_verdict([(v.label, v.cmd) for v in vs])
                warm = 1 if n >= 100000 else 2
                if n >= 1000000:
                    reps = 2
            log("scaling %s %d: %d runs" % (kind, n, reps))
            compare(vs, reps, warmup=warm)
            c = vs[0]
            if skip_py:
                pyc = ["-", "-", skip_py, "-", "-"]
            else:
                p = vs[1]
                py_at[(kind, n)] = (p.med("rss"), p.med("wall"))
                pyc = [ms(p.med("wall")), ms(p.med("cpu")), mib(p.med("rss")),
                       ratio(c.med("wall"), p.med("wall")), ratio(c.med("rss"), p.med("rss"))]
            report.append("| %d | %.1f | check_kms_%s | %d | %s | %s | %s | %s | %s |" % (
                n, size / 1024 ** 2, kind, reps, ",".join(str(x) for x in sorted(c.codes)),
                ms(c.med("wall")), ms(c.med("cpu")), mib(c.med("rss")), " | ".join(pyc)))
            if n == 100000 and not skip_py:
                p = vs[1]
                targets.append(("100k clients check_kms_%s: no slower than Python (wall)" % kind,
                                "%s ms vs %s ms" % (ms(c.med("wall")), ms(p.med("wall"))),
                                c.med("wall") <= p.med("wall")))
                targets.append(("100k clients check_kms_%s: <= half Python's RSS" % kind,
                                "%s MiB vs %s MiB" % (mib(c.med("rss")), mib(p.med("rss"))),
                                c.med("rss") <= p.med("rss") / 2))
                if c.med("wall") > p.med("wall"):
                    profiles.append(("check_kms_%s 100k clients" % kind, c.cmd))
            if n == 1000000:
                targets.append(("1M clients check_kms_%s: < 100 MiB RSS" % kind,
                                "%s MiB" % mib(c.med("rss")), c.med("rss") < 100 * 1024))
    report.append("")


# --- profiles of missed targets --------------------------------------------------

def profile(title, cmd):
    tmp = tempfile.mkdtemp(prefix="kms-callgrind-")
    out = os.path.join(tmp, "cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd,
                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", out],
                         capture_output=True, text=True).stdout
    lines = [l for l in ann.split("\n") if "*" in l or l.strip().startswith(tuple("0123456789"))]
    total = [l for l in ann.split("\n") if "PROGRAM TOTALS" in l]
    body = [l.strip() for l in lines if "PROGRAM TOTALS" not in l and ":" in l][:15]
    shutil.rmtree(tmp, ignore_errors=True)
    report.append("#### callgrind: %s\n" % title)
    report.append("`%s` (self cost, instructions, top 15)\n" % " ".join(
        os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in cmd))
    report.append("```")
    report.extend(total + body)
    report.append("```\n")


def main():
    for p in ("check_kms_host", "check_kms_dns", "check_kms_count", "check_kms_renewal",
              "bench/spawn", "bench/dlopen"):
        if not os.access(plugin(p), os.X_OK):
            raise SystemExit("%s not built (make bench builds it)" % plugin(p))
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="kms-bench-")
    os.chmod(tmp, 0o755)
    report.append("# Cost of a check: results of `make bench`\n")
    report.append("Written by bench/run.py. Whole process per invocation: median wall clock, "
                  "median CPU (user + sys, wait4 rusage), median peak RSS (ru_maxrss), measured by "
                  "bench/spawn.c, a small static launcher (a child forked from Python would "
                  "inherit the interpreter's ~30 MiB peak RSS through execve). "
                  "KMS_PLUGINS_NOW=%s for every run. The machine is shared: read the ratios, "
                  "not the absolute figures.%s\n" % (NOW, " **BENCH_QUICK=1: few runs.**" if QUICK else ""))
    facts()
    report.append("## Comparisons\n")
    try:
        log("== network")
        bench_network(tmp)
        log("== documents")
        bench_documents()
        log("== https")
        bench_https(tmp)
        log("== scaling")
        bench_scaling()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = ["## Targets (issue 10)\n", "| target | measured | |", "|---|---|---|"]
    for t, m, ok in targets:
        summary.append("| %s | %s | %s |" % (t, m, "met" if ok else "**missed**"))
    summary.append("")
    idx = report.index("## Comparisons\n")
    report[idx:idx] = summary
    if profiles:
        report.append("## Profiles of the missed targets\n")
        report.append("valgrind --tool=callgrind, one run each; self cost by function "
                      "(instructions, not time: system calls and page faults do not show).\n")
        for title, cmd in profiles:
            log("== profile %s" % title)
            profile(title, cmd)
    notes = os.path.join(HERE, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            report.append(f.read())
    report.append("_bench/run.py took %.0f s._\n" % (time.monotonic() - t0))
    with open(OUT, "w") as f:
        f.write("\n".join(report) + "\n")
    log("wrote %s" % OUT)


if __name__ == "__main__":
    main()
