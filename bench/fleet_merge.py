#!/usr/bin/python3
"""Benchmark of check_kms_renewal's fleet merge (issue 17): the CPU of two
100k-client documents merged against one 100k-client document (target: at
most 2.2x), and the peak RSS of merging two 1M-client documents (target:
under 100 MiB), both with distinct inventories (different --seed) and with
mostly overlapping ones (the same clients on both hosts, 10 % of them having
moved to kms02 and renewed there, 5 % known to one host only).

    make BUILD=build all build/bench/spawn
    /usr/bin/python3 bench/fleet_merge.py          # writes bench/fleet-merge.md

Every command runs under bench/spawn (a small launcher: the peak RSS is the
plugin's own, not a forked interpreter's), local files (no network in the
figures), variants alternating, medians of CPU (user + sys). For reference
the same documents are also read by check_kms_count, whose fleet path only
loads (common/doc.c and fleet.c): the loader's own cost, which the merge
cannot go below. Documents go to $BENCH_DATA (default /tmp/kms-fleet-bench,
about 1.8 GB for the 1M ones; BENCH_QUICK=1 skips them)."""
import os
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "packaging", "samples"))

import generate  # noqa: E402

BUILD = os.environ.get("KMS_BUILD", os.path.join(ROOT, "build"))
SPAWN = os.path.join(BUILD, "bench", "spawn")
DATA = os.environ.get("BENCH_DATA", "/tmp/kms-fleet-bench")
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "fleet-merge.md"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPS = int(os.environ.get("BENCH_REPS", "9"))
NOW = "2026-11-25T14:00:00Z"
ENV = dict(os.environ, KMS_PLUGINS_NOW=NOW, LC_ALL="C")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write_doc(path, n, seed, host, overlap_of=None):
    """generate.py's document of n clients for host; with overlap_of (a
    seed), the clients of that seed's document, 10 % of them renewed on
    this host 1 day after the other's record, 5 % left out, and 5 % new."""
    if os.path.exists(path):
        return path
    log("writing %s" % path)
    now = generate.parse_time(NOW)
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        if overlap_of is None:
            generate.write_document(out, n, seed, now)
        else:
            write_overlap(out, n, overlap_of, seed, now)
    # generate.py always names its host kms01.corp.example
    with open(tmp, "rb") as f, open(path, "wb") as out:
        head = f.readline() + f.readline()
        out.write(head.replace(b"kms01.corp.example", host.encode(), 1))
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
    os.unlink(tmp)
    return path


def write_overlap(out, n, base_seed, seed, now):
    fleet = generate.Fleet(base_seed, now, "mixed")
    rng = random.Random(seed)
    out.write(('{"format":"kms-status","version":1,"generated_at":"%s",\n'
               '"host":{"name":"kms01.corp.example"},\n'
               '"clients_complete_since":"%s",\n"products":[],\n"clients":[\n'
               % (generate.iso(now - 5 * 60), generate.iso(fleet.complete_since))).encode())
    buf, first = [], True
    for i in range(1, n + 1):
        c = fleet.client(i)
        r = rng.random()
        if r < 0.05:
            continue                       # known to the other host only
        if r < 0.10:
            c = dict(c, cmid=generate.guid(rng), name="new%06d.corp.example" % i)
        elif r < 0.20:                     # moved here, renewed a day later
            t = min(now - 60, c["last_request_at"] + generate.DAY)
            c = dict(c, last_request_at=t, last_success_at=t, license_state=1,
                     last_result="0x0")
        buf.append(generate.client_json(c))
        if len(buf) >= 4096:
            out.write(((",\n" if not first else "") + ",\n".join(buf)).encode())
            buf, first = [], False
    if buf:
        out.write(((",\n" if not first else "") + ",\n".join(buf)).encode())
    out.write(b"\n]\n}\n")


def run_once(cmd):
    """(cpu s, maxrss KiB, exit code) of cmd under bench/spawn."""
    r, w = os.pipe()
    p = subprocess.Popen([SPAWN, str(w)] + cmd, env=ENV, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         pass_fds=(w,))
    os.close(w)
    with os.fdopen(r, "rb") as f:
        line = f.read().decode()
    p.wait()
    if p.returncode != 0 or not line:
        raise SystemExit("bench/spawn failed on %r" % cmd)
    code, _wall, utime, stime, rss = (int(x) for x in line.split())
    if code > 2:
        raise SystemExit("%r exited %d: not a judgement" % (cmd, code))
    return (utime + stime) / 1e6, rss, code


def measure(variants, reps):
    """{label: (median cpu s, max rss KiB)}, the variants alternating."""
    cpu = {label: [] for label, _ in variants}
    rss = {label: 0 for label, _ in variants}
    for _ in range(1):
        for _label, cmd in variants:
            run_once(cmd)  # warm the page cache
    for k in range(reps):
        order = variants[k % len(variants):] + variants[:k % len(variants)]
        for label, cmd in order:
            c, m, _ = run_once(cmd)
            cpu[label].append(c)
            rss[label] = max(rss[label], m)
    return {label: (statistics.median(cpu[label]), rss[label]) for label, _ in variants}


def plugin(name, *docs):
    cmd = [os.path.join(BUILD, name)]
    for d in docs:
        cmd += ["-u", d]
    return cmd + ["--max-size", "1G"]


def main():
    if not os.path.exists(SPAWN):
        raise SystemExit("build bench/spawn first: make BUILD=build build/bench/spawn")
    os.makedirs(DATA, exist_ok=True)
    lines = ["# check_kms_renewal: merging a fleet's inventories (bench/fleet_merge.py)", "",
             "Local files, medians of %d alternating runs (CPU = user + sys), peak RSS "
             "the largest seen; written by bench/fleet_merge.py on a shared 2-core "
             "machine. check_kms_count reads the same documents and only loads them: "
             "the loader's own cost." % REPS, ""]

    a = write_doc(os.path.join(DATA, "a-100k.json"), 100000, 1, "kms01.corp.example")
    b = write_doc(os.path.join(DATA, "b-100k.json"), 100000, 2, "kms02.corp.example")
    o = write_doc(os.path.join(DATA, "o-100k.json"), 100000, 3, "kms02.corp.example",
                  overlap_of=1)
    res = measure([("renewal 1 x 100k", plugin("check_kms_renewal", a)),
                   ("renewal 2 x 100k distinct", plugin("check_kms_renewal", a, b)),
                   ("renewal 2 x 100k overlapping", plugin("check_kms_renewal", a, o)),
                   ("count 1 x 100k (loader only)", plugin("check_kms_count", a)),
                   ("count 2 x 100k (loader only)", plugin("check_kms_count", a, b))], REPS)
    base = res["renewal 1 x 100k"][0]
    lines += ["## CPU: 2 x 100k clients merged against one 100k document", "",
              "| command | CPU (median) | x one document | peak RSS |",
              "|---|---|---|---|"]
    for label, (c, m) in res.items():
        lines.append("| %s | %.0f ms | %.2fx | %.1f MiB |" % (label, c * 1000, c / base, m / 1024))
    worst = max(res["renewal 2 x 100k distinct"][0], res["renewal 2 x 100k overlapping"][0])
    lines += ["", "Target: 2 x 100k merged within 2.2x one 100k document: **%.2fx, %s**."
              % (worst / base, "met" if worst / base <= 2.2 else "missed"),
              "Loading two documents alone (check_kms_count) costs %.2fx."
              % (res["count 2 x 100k (loader only)"][0] / res["count 1 x 100k (loader only)"][0]),
              ""]

    if not QUICK:
        a1 = write_doc(os.path.join(DATA, "a-1m.json"), 1000000, 1, "kms01.corp.example")
        b1 = write_doc(os.path.join(DATA, "b-1m.json"), 1000000, 2, "kms02.corp.example")
        o1 = write_doc(os.path.join(DATA, "o-1m.json"), 1000000, 3, "kms02.corp.example",
                       overlap_of=1)
        res = measure([("renewal 1 x 1M", plugin("check_kms_renewal", a1)),
                       ("renewal 2 x 1M distinct", plugin("check_kms_renewal", a1, b1)),
                       ("renewal 2 x 1M overlapping", plugin("check_kms_renewal", a1, o1)),
                       ("count 2 x 1M (loader only)", plugin("check_kms_count", a1, b1))],
                      max(3, REPS // 3))
        lines += ["## Peak RSS: 2 x 1M clients", "",
                  "| command | CPU (median) | peak RSS |", "|---|---|---|"]
        for label, (c, m) in res.items():
            lines.append("| %s | %.2f s | %.1f MiB |" % (label, c, m / 1024))
        worst = max(res["renewal 2 x 1M distinct"][1], res["renewal 2 x 1M overlapping"][1])
        lines += ["", "Target: under 100 MiB: **%.1f MiB, %s**." %
                  (worst / 1024, "met" if worst < 100 * 1024 else "missed"), ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    log("\n".join(lines))
    log("written to %s" % OUT)


if __name__ == "__main__":
    main()
