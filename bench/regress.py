#!/usr/bin/python3
"""Did a change make a plugin slower? (issue 16: "no plugin got slower by
more than 5 % CPU, rendering JSON included when asked for").

`make bench-regress` builds BENCH_BASE (a git revision, default the last
commit before the result model: a18c206) into build-base/ from `git
archive`, then runs every plugin of that build and of this tree alternately
in one loop (bench/run.py's compare()), as text and, for this tree, as
--output-format json: the document plugins on the samples and a generated
10k-client document, check_kms_host and check_kms_dns against loopback
impacket and dnsmasq. Writes bench/regress.md: median CPU per variant and
the ratio to the base; a ratio over 1.05 is marked MISSED.

Environment: KMS_BUILD (this tree's build, default build/), BENCH_BASE,
BENCH_QUICK=1 (fewer repetitions), BENCH_REGRESS_OUT."""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402  (run_once, compare, Variant, peers, ENV)

ROOT = bench.ROOT
BASE_REV = os.environ.get("BENCH_BASE", "a18c206")
BASE_BUILD = os.path.join(ROOT, "build-base")
OUT = os.environ.get("BENCH_REGRESS_OUT", os.path.join(HERE, "regress.md"))
LIMIT = 1.05


def build_base():
    src = os.path.join(BASE_BUILD, "src")
    stamp = os.path.join(BASE_BUILD, "rev")
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", BASE_REV], check=True,
                         capture_output=True, text=True).stdout.strip()
    if os.path.exists(stamp) and open(stamp).read().strip() == rev:
        return rev
    subprocess.run(["rm", "-rf", BASE_BUILD], check=True)
    os.makedirs(src)
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    subprocess.run(["make", "-C", src, "-j2", "-s", "BUILD=" + os.path.join(BASE_BUILD, "out"),
                    "all"], check=True)
    with open(stamp, "w") as f:
        f.write(rev + "\n")
    return rev


def instructions(cmd):
    """User-space instructions of one run, counted by cachegrind: the same
    number on every run, where CPU time on a shared 2-core VM wanders by
    +-5 % between runs of the same binary."""
    r = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                        "--cachegrind-out-file=/dev/null"] + cmd,
                       capture_output=True, text=True, env=bench.ENV)
    m = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
    return int(m.group(1).replace(",", "")) if m else None


def variants_for(title, base_cmd, new_cmd, json_ok=True):
    vs = [bench.Variant("%s (base)" % title, base_cmd), bench.Variant("%s (now)" % title, new_cmd)]
    if json_ok:
        vs.append(bench.Variant("%s (now, --output-format json)" % title,
                                [new_cmd[0], "--output-format", "json"] + new_cmd[1:]))
    return vs


def main():
    t0 = time.monotonic()
    rev = build_base()
    base = lambda name: os.path.join(BASE_BUILD, "out", name)  # noqa: E731
    now = bench.plugin
    reps = 30 if bench.QUICK else 150
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen10k.json")
        subprocess.run([bench.PY, os.path.join(bench.SAMPLES, "generate.py"), "--clients",
                        "10000", "--out", gen], check=True)
        docs = [("healthy sample", os.path.join(bench.SAMPLES, "healthy.json")),
                ("expiring sample", os.path.join(bench.SAMPLES, "expiring.json")),
                ("10k clients", gen)]
        for name in ("check_kms_count", "check_kms_renewal", "check_kms_service"):
            for title, path in docs:
                rows.append(variants_for("%s, %s" % (name, title), [base(name), "-u", path],
                                         [now(name), "-u", path]))
        port = bench.harness.free_port()
        rpc = bench.harness.Peer(
            [bench.PY, os.path.join(ROOT, "tests", "integration", "peers", "rpc_server.py"),
             "127.0.0.1", str(port), bench.KMS_IFACE, os.path.join(tmp, "rpc.jsonl")],
            lambda: bench.harness.wait_tcp("127.0.0.1", port, 0.2), "impacket rpc server",
            log=os.path.join(tmp, "rpc.out"))
        dns = bench.Dnsmasq({"domain": "corp.example",
                             "srv": [("kms01.corp.example", port, 0, 100)],
                             "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
        rpc.start()
        dns.start()
        try:
            host = ["-H", "127.0.0.1", "-p", str(port)]
            dnsargs = ["-D", "corp.example", "-s", dns.server, "--port", str(port)]
            rows.append(variants_for("check_kms_host", [base("check_kms_host")] + host,
                                     [now("check_kms_host")] + host))
            rows.append(variants_for("check_kms_dns --probe", [base("check_kms_dns")] + dnsargs +
                                     ["--probe"], [now("check_kms_dns")] + dnsargs + ["--probe"]))
            results = [bench.compare(vs, reps) for vs in rows]
            for vs in results:
                for v in vs:
                    v.instr = instructions(v.cmd)
        finally:
            dns.stop()
            rpc.stop()
    lines = ["# Before and after: CPU per check against %s" % rev[:12], "",
             "Median whole-process CPU (user + sys) over %d alternating runs after a "
             "warm-up; ratio = now / base; over %.2f is MISSED. The instructions "
             "columns (valgrind cachegrind, one run: the same count every run) tell "
             "a real change from the VM's noise of a few per cent in CPU time."
             % (reps, LIMIT), "",
             "| check | base ms | now ms | ratio | now json ms | ratio | instructions now/base "
             "| json | |", "|---|---|---|---|---|---|---|---|---|"]
    missed = 0
    for vs in results:
        b = vs[0].med("cpu")
        cells = [vs[0].label[:-len(" (base)")], bench.ms(b)]
        verdict = "met"
        for v in vs[1:]:
            r = v.med("cpu") / b
            cells += [bench.ms(v.med("cpu")), "%.2fx" % r]
            if r > LIMIT:
                verdict = "MISSED"
        if len(vs) == 2:
            cells += ["", ""]
        for v in vs[1:]:
            cells.append("%.3fx" % (v.instr / vs[0].instr) if v.instr and vs[0].instr else "?")
        if len(vs) == 2:
            cells.append("")
        missed += verdict == "MISSED"
        lines.append("| " + " | ".join(cells + [verdict]) + " |")
    lines += ["", "_%d of %d rows missed; bench/regress.py took %.0f s._" % (
        missed, len(results), time.monotonic() - t0), ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
