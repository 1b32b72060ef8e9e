"""Integration tests of check_kms_service over a KMS fleet (issue 17): -u
given once per KMS host, every document served over https by the nginx
peer. Each host is judged on its own by the one-document findings (its
lines start with its name, line 1 names the worst host and its finding),
idle is judged for the fleet unless --idle-per-host, and a host whose
document cannot be used is UNKNOWN, named on line 1.

Owns: the fleets built per test from the bundled samples (fleetdocs.py),
the exact line 1, long output and perfdata of a fleet, and the equivalence
of a host's findings in a fleet with the same document checked alone."""
import json
import os
import re

import pytest

from fleetdocs import fleet_doc, serve_fleet, url_args
from harness import run, run_formats, SAMPLES

PLUGIN = "check_kms_service"
WEEK_AGO = "2026-11-18T14:00:00Z"  # harness.SAMPLE_NOW less 7 days

# healthy.json's perfdata, as one host of a fleet shows it: its idle is
# graphed, not judged (the fleet's idle is)
HOST_PERF = [
    ("idle", "840s;;;0"),
    ("failing", "0;0.14;0.7;0;7"),
    ("Windows requests total", "5120c;;;0"),
    ("Windows requests failed", "0c;;;0"),
    ("Windows requests unlicensed", "2c;;;0"),
    ("Windows requests licensed", "5012c;;;0"),
    ("Windows requests oob_grace", "98c;;;0"),
    ("Windows requests oot_grace", "0c;;;0"),
    ("Windows requests non_genuine_grace", "0c;;;0"),
    ("Windows requests notification", "8c;;;0"),
    ("Office 2013+ requests total", "1930c;;;0"),
    ("Office 2013+ requests failed", "0c;;;0"),
    ("Office 2013+ requests unlicensed", "0c;;;0"),
    ("Office 2013+ requests licensed", "1904c;;;0"),
    ("Office 2013+ requests oob_grace", "26c;;;0"),
    ("Office 2013+ requests oot_grace", "0c;;;0"),
    ("Office 2013+ requests non_genuine_grace", "0c;;;0"),
    ("Office 2013+ requests notification", "0c;;;0"),
]


def host_perf(name, idle="840s;;;0"):
    """{label: raw} of a healthy.json host called name in a fleet."""
    out = {}
    for what, rest in HOST_PERF:
        if what == "idle":
            rest = idle
        label = "%s %s" % (name, what)
        out[label] = "'%s'=%s" % (label, rest)
    return out


def healthy_long(name, idle_line=None):
    """The long output of a healthy.json host called name in a fleet."""
    return [
        "[OK] %s: status document generated 2026-11-25 13:55 UTC (5 min ago)" % name,
        "[OK] %s: KMS enabled on %s.corp.example, port 1688" % (name, name),
        "[OK] %s: KMS service running" % name,
        "[OK] %s: host key Windows: licensed" % name,
        "[OK] %s: host key Office 2013+: licensed" % name,
        "[OK] %s: DNS publishing OK: 12294 at 2026-11-25 06:12 UTC" % name,
        "[OK] %s: no start or renewal-timer failure (12291/12292) within 1 d" % name,
        idle_line or ("[OK] %s: last activation request 2026-11-25 13:46 UTC, 14 min ago "
                      "(idle judged for the fleet)" % name),
        "[OK] %s: failed requests: none of 7 clients heard from within 1 d failed "
        "(-w 2%%, -c 10%%)" % name,
    ]


def names(n):
    return ["kms%02d" % (i + 1) for i in range(n)]


def healthy_fleet(n):
    return {name: fleet_doc("healthy.json", name + ".corp.example") for name in names(n)}


def standby(doc):
    """doc as a standby host's: no request reached it for a week, its last
    DNS registration as old."""
    for c in doc["clients"]:
        c["last_request_at"] = WEEK_AGO
        c["last_success_at"] = WEEK_AGO
        c["last_result"] = "0x0"
    for e in doc["events"]:
        e["at"] = "2026-11-18T06:12:40Z"
    return doc


@pytest.fixture
def folder(request):
    """A served folder of its own for each test."""
    return "fleet-service/" + re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)


def check(nginx, folder, docs, *args):
    urls = serve_fleet(nginx, folder, docs)
    return run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca, *args)


def perf_raw(res):
    return {k: v["raw"] for k, v in res.perf.items()}


# ---- healthy fleets ----------------------------------------------------------------

FLEET_IDLE_OK = ("[OK] fleet: last activation request 2026-11-25 13:46 UTC to kms01, "
                 "14 min ago (idle limit 12 h)")
# idle per product, judged for the fleet: the newest request of each product
FLEET_PRODUCTS_OK = [
    "[OK] fleet Windows: last activation request 2026-11-25 13:46 UTC to kms01, 14 min ago "
    "(product idle limit 2 d)",
    "[OK] fleet Office 2013+: last activation request 2026-11-25 13:13 UTC to kms01, "
    "47 min ago (product idle limit 2 d)",
]
FLEET_PRODUCTS_PERF = {
    "Windows idle": "'Windows idle'=840s;172800;;0",
    "Office 2013+ idle": "'Office 2013+ idle'=2820s;172800;;0",
}


@pytest.mark.parametrize("n", [2, 3])
def test_healthy_fleet(nginx, folder, n):
    res = check(nginx, folder, healthy_fleet(n))
    assert res.code == 0, res
    assert res.first == ("KMS SERVICE OK - %d KMS hosts OK: running, keys licensed, "
                         "published in DNS, last request 14 min ago" % n), res
    want_long = [FLEET_IDLE_OK] + FLEET_PRODUCTS_OK
    want_perf = {"idle": "idle=840s;43200;;0", **FLEET_PRODUCTS_PERF}
    for name in names(n):
        want_long += healthy_long(name)
        want_perf.update(host_perf(name))
    assert res.long == want_long, res
    assert perf_raw(res) == want_perf, res
    # the fleet's idle first, then every host's metrics, host by host
    assert list(res.perf) == list(want_perf), res


def test_newest_request_of_any_host_counts(nginx, folder):
    docs = healthy_fleet(3)
    for name in ("kms01", "kms03"):
        standby(docs[name])
    res = check(nginx, folder, docs)
    assert res.code == 0, res
    assert res.long[0] == ("[OK] fleet: last activation request 2026-11-25 13:46 UTC to "
                           "kms02, 14 min ago (idle limit 12 h)"), res


# ---- idle: the fleet's by default, per host with --idle-per-host ------------------

@pytest.mark.parametrize("quiet", [0, 1])
def test_standby_host_is_ok_for_the_fleet(nginx, folder, quiet):
    docs = healthy_fleet(2)
    name = names(2)[quiet]
    standby(docs[name])
    res = check(nginx, folder, docs)
    assert res.code == 0, res
    assert res.first == ("KMS SERVICE OK - 2 KMS hosts OK: running, keys licensed, "
                         "published in DNS, last request 14 min ago"), res
    assert ("[OK] %s: last activation request 2026-11-18 14:00 UTC, 7 d ago "
            "(idle judged for the fleet)" % name) in res.long, res
    assert res.perf["idle"]["raw"] == "idle=840s;43200;;0", res
    # the standby's idle is graphed, not judged
    assert res.perf[name + " idle"]["raw"] == "'%s idle'=604800s;;;0" % name, res


@pytest.mark.parametrize("quiet", [0, 1, 2])
def test_standby_host_warns_with_idle_per_host(nginx, folder, quiet):
    docs = healthy_fleet(3)
    name = names(3)[quiet]
    standby(docs[name])
    res = check(nginx, folder, docs, "--idle-per-host")
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - %s: idle 7 d: no activation request since "
                         "2026-11-18 14:00 UTC (limit 12 h)" % name), res
    assert res.long[0] == ("[WARNING] %s: idle: no activation request since 2026-11-18 "
                           "14:00 UTC, 7 d ago (limit 12 h)" % name), res
    # every host's idle judged against its own limit; no fleet idle
    for other in names(3):
        want = "604800s;43200;;0" if other == name else "840s;43200;;0"
        assert res.perf[other + " idle"]["raw"] == "'%s idle'=%s" % (other, want), res
    assert "idle" not in res.perf, res
    assert not any(line.startswith("[OK] fleet") for line in res.long), res


def test_whole_fleet_idle_warns_by_default(nginx, folder):
    docs = healthy_fleet(3)
    for doc in docs.values():
        standby(doc)
    res = check(nginx, folder, docs)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - idle 7 d: no request to any KMS host since "
                         "2026-11-18 14:00 UTC (limit 12 h)"), res
    assert res.long[0] == ("[WARNING] fleet idle: no activation request to any KMS host "
                           "since 2026-11-18 14:00 UTC (the last to kms01), 7 d ago "
                           "(limit 12 h)"), res
    assert res.perf["idle"]["raw"] == "idle=604800s;43200;;0", res
    assert res.perf["kms02 idle"]["raw"] == "'kms02 idle'=604800s;;;0", res
    # one finding for the fleet, not one per host
    assert [line for line in res.long if line.startswith("[WARNING]")] == [res.long[0]], res


def test_whole_fleet_idle_per_host_names_the_first(nginx, folder):
    docs = healthy_fleet(2)
    for doc in docs.values():
        standby(doc)
    res = check(nginx, folder, docs, "--idle-per-host")
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - kms01: idle 7 d: no activation request since "
                         "2026-11-18 14:00 UTC (limit 12 h); +1 more"), res
    assert [line for line in res.long if line.startswith("[WARNING]")] == [
        "[WARNING] %s: idle: no activation request since 2026-11-18 14:00 UTC, 7 d ago "
        "(limit 12 h)" % name for name in names(2)], res


def test_no_request_recorded_anywhere(nginx, folder):
    docs = healthy_fleet(2)
    for doc in docs.values():
        for c in doc["clients"]:
            c["last_request_at"] = None
    res = check(nginx, folder, docs)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - idle: no activation request recorded on any "
                         "KMS host"), res
    assert res.long[0] == ("[WARNING] fleet idle: no activation request recorded in the client "
                           "inventories of 2 KMS hosts (86 clients, limit 12 h)"), res
    assert ("[OK] kms01: no activation request recorded in the client inventory (43 clients; "
            "idle judged for the fleet)") in res.long, res


def test_idle_off_is_noted_once(nginx, folder):
    docs = healthy_fleet(2)
    for doc in docs.values():
        standby(doc)
    for extra in ([], ["--idle-per-host"]):
        res = check(nginx, folder, docs, "--idle", "0", "--product-idle", "0", *extra)
        assert res.code == 0, res
        assert [line for line in res.long if "idle check off" in line] == \
            ["idle check off (--idle 0)"], res
        assert [line for line in res.long if "idle per product off" in line] == \
            ["idle per product off (--product-idle 0)"], res
        assert not any(k.endswith("idle") for k in res.perf), res


def test_idle_per_host_with_one_document_changes_nothing():
    for sample in sorted(os.listdir(SAMPLES)):
        if not sample.endswith(".json"):
            continue
        path = os.path.join(SAMPLES, sample)
        for extra in ([], ["--idle", "1"]):
            plain = run(PLUGIN, "-u", path, *extra)
            per_host = run(PLUGIN, "-u", path, "--idle-per-host", *extra)
            assert (per_host.code, per_host.stdout) == (plain.code, plain.stdout), sample


# ---- one host not healthy, first or last ------------------------------------------

def break_dns(doc):
    doc["host"]["dns_publishing"] = False


def stop_service(doc):
    doc["host"]["service_state"] = "stopped"


def disable_kms(doc):
    doc["host"]["kms_enabled"] = False


BROKEN = [
    # (change, extra options, state, line 1 after "kms0N: ", long-output line after it)
    (break_dns, ["--require-dns-publishing"], 1, "DNS publishing is off",
     "DNS publishing is off on {fqdn}: clients find it only when pointed at it (slmgr /skms)"),
    (stop_service, [], 2, "KMS service stopped",
     "KMS service is stopped, not running: clients find no KMS (0xC004F074)"),
    (disable_kms, [], 2, "KMS is not enabled on {fqdn} (clients get 0xC004F039)",
     "KMS is not enabled on {fqdn} (clients get 0xC004F039)"),
]


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("position", ["first", "last"])
@pytest.mark.parametrize("change,extra,code,headline,line", BROKEN,
                         ids=["dns-off", "stopped", "not-enabled"])
def test_one_host_broken(nginx, folder, n, position, change, extra, code, headline, line):
    docs = healthy_fleet(n)
    name = names(n)[0 if position == "first" else -1]
    fqdn = name + ".corp.example"
    change(docs[name])
    res = check(nginx, folder, docs, *extra)
    state = {1: "WARNING", 2: "CRITICAL"}[code]
    assert res.code == code, res
    assert res.first == "KMS SERVICE %s - %s: %s" % (state, name, headline.format(fqdn=fqdn)), res
    assert res.long[0] == "[%s] %s: %s" % (state, name, line.format(fqdn=fqdn)), res
    # the healthy hosts are judged as before, each on its own
    for other in names(n):
        if other != name:
            assert all(line in res.long for line in healthy_long(other)), res


def test_not_enabled_host_is_left_out_of_fleet_idle(nginx, folder):
    docs = healthy_fleet(2)
    standby(docs["kms01"])
    disable_kms(docs["kms02"])
    res = check(nginx, folder, docs)
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - kms02: KMS is not enabled on "
                         "kms02.corp.example (clients get 0xC004F039); +1 more"), res
    # kms02's requests of today count for nothing: it is not a KMS
    assert ("[WARNING] fleet idle: no activation request to any KMS host since "
            "2026-11-18 14:00 UTC (the last to kms01), 7 d ago (limit 12 h)") in res.long, res
    assert "kms02: idle time and failed requests not judged: KMS is not enabled" in res.long, res


def test_worst_host_named_first_on_line_1(nginx, folder):
    docs = healthy_fleet(3)
    break_dns(docs["kms01"])
    stop_service(docs["kms03"])
    res = check(nginx, folder, docs, "--require-dns-publishing")
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - kms03: KMS service stopped; kms01: DNS "
                         "publishing is off"), res


def test_several_findings_of_a_host_name_its_worst(nginx, folder):
    docs = healthy_fleet(2)
    break_dns(docs["kms02"])
    stop_service(docs["kms02"])
    res = check(nginx, folder, docs, "--require-dns-publishing")
    assert res.code == 2, res
    assert res.first == "KMS SERVICE CRITICAL - kms02: KMS service stopped", res
    assert res.long[:2] == [
        "[CRITICAL] kms02: KMS service is stopped, not running: clients find no KMS "
        "(0xC004F074)",
        "[WARNING] kms02: DNS publishing is off on kms02.corp.example: clients find it only "
        "when pointed at it (slmgr /skms)"], res


# ---- a host in a fleet is judged as if alone --------------------------------------

SAMPLE_NAMES = ["healthy", "below-threshold", "expiring", "not-kms", "dns-failure"]


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
@pytest.mark.parametrize("position", [0, 1])
def test_host_judged_as_alone(nginx, folder, sample, position):
    """A sample as kms02 beside a healthy kms01: its findings, notes and
    metrics are those it gets alone, named by the host; line 1 names its
    worst finding (with --idle-per-host idle is judged alike)."""
    doc = fleet_doc(sample + ".json", "kms02.corp.example")
    order = ["kms01", "kms02"] if position == 0 else ["kms02", "kms01"]
    docs = {n: (doc if n == "kms02" else fleet_doc("healthy.json", "kms01.corp.example"))
            for n in order}
    urls = serve_fleet(nginx, folder, docs)
    alone = run(PLUGIN, "-u", urls["kms02"], "--cacert", nginx.ca)
    res = run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca, "--idle-per-host")
    assert res.code == alone.code, (res, alone)
    if alone.code:
        worst = alone.summary.split("; ")[0]
        assert res.summary == "kms02: " + worst, (res, alone)
    for line in alone.long:
        m = re.match(r"^\[(OK|WARNING|CRITICAL|UNKNOWN)\] (.*)$", line)
        want = "[%s] kms02: %s" % m.groups() if m else "kms02: " + line
        assert want in res.long, (want, res)
    fields = ("value", "uom", "warn", "crit", "min", "max")
    for label, item in alone.perf.items():
        got = res.perf["kms02 " + label]
        assert [got[f] for f in fields] == [item[f] for f in fields], (label, res)


# ---- hosts whose document cannot be used ------------------------------------------

@pytest.mark.parametrize("position", [0, 1])
def test_document_404_is_unknown_named(nginx, folder, position):
    docs = healthy_fleet(2)
    urls = serve_fleet(nginx, folder, docs)
    missing = nginx.https_url("/%s/kms09.json" % folder)
    order = [urls["kms01"], missing] if position == 0 else [missing, urls["kms01"]]
    res = run(PLUGIN, *url_args(order), "--cacert", nginx.ca)
    assert res.code == 3, res
    host = "127.0.0.1:%d" % nginx.https_port
    assert res.first == ("KMS SERVICE UNKNOWN - %s: HTTP 404 Not Found from %s"
                         % (host, missing)), res
    assert res.long[0] == "[UNKNOWN] %s: HTTP 404 Not Found from %s" % (host, missing), res
    # the usable host is judged all the same
    assert all(line in res.long for line in healthy_long("kms01")), res
    assert res.perf["idle"]["raw"] == "idle=840s;43200;;0", res


def test_stale_document_is_unknown_named(nginx, folder):
    docs = healthy_fleet(3)
    docs["kms02"]["generated_at"] = "2026-11-25T11:50:00Z"
    res = check(nginx, folder, docs)
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - kms02: status document is 2 h 10 min old "
                         "(generated 2026-11-25 11:50 UTC, max 1 h): is the exporter's "
                         "scheduled task running?"), res
    # nothing of the stale host is judged or graphed
    assert not any(k.startswith("kms02 ") for k in res.perf), res
    assert not any(line.startswith("[OK] kms02") for line in res.long), res


def test_stale_state_ok_judges_the_stale_host(nginx, folder):
    docs = healthy_fleet(2)
    docs["kms02"]["generated_at"] = "2026-11-25T11:50:00Z"
    res = check(nginx, folder, docs, "--stale-state", "ok")
    assert res.code == 0, res
    assert ("[OK] kms02: status document generated 2026-11-25 11:50 UTC (2 h 10 min ago)"
            in res.long), res


def test_same_host_name_twice_is_unknown(nginx, folder):
    docs = {"a": fleet_doc("healthy.json", "kms01.corp.example"),
            "b": fleet_doc("healthy.json", "kms01.corp.example")}
    urls = serve_fleet(nginx, folder, docs)
    res = run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca)
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - kms01: host.name also in -u %s: one document "
                         "per KMS host" % urls["a"]), res
    # the first is judged, once
    assert all(line in res.long for line in healthy_long("kms01")), res


def test_invalid_document_is_unknown_named(nginx, folder):
    docs = healthy_fleet(2)
    docs["kms02"] = b'{"format": "kms-status", "version": 1'
    urls = serve_fleet(nginx, folder, docs)
    res = run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca)
    assert res.code == 3, res
    # a document that gives no host.name is named by its URL's host
    assert res.first == ("KMS SERVICE UNKNOWN - 127.0.0.1:%d: status document %s: invalid "
                         "JSON: document ends early (line 1, column 37)"
                         % (nginx.https_port, urls["kms02"])), res
    assert all(line in res.long for line in healthy_long("kms01")), res


def test_worse_host_outranks_unknown_host(nginx, folder):
    docs = healthy_fleet(3)
    docs["kms01"]["generated_at"] = "2026-11-25T11:50:00Z"
    stop_service(docs["kms03"])
    res = check(nginx, folder, docs)
    assert res.code == 2, res
    assert res.first == "KMS SERVICE CRITICAL - kms03: KMS service stopped; +1 more", res
    assert res.long[:2] == [
        "[CRITICAL] kms03: KMS service is stopped, not running: clients find no KMS "
        "(0xC004F074)",
        "[UNKNOWN] kms01: status document is 2 h 10 min old (generated 2026-11-25 11:50 UTC, "
        "max 1 h): is the exporter's scheduled task running?"], res


# ---- formats ------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["healthy", "standby", "idle-per-host", "broken", "404"])
def test_fleet_json_validates(nginx, folder, case):
    docs = healthy_fleet(3)
    extra = []
    if case in ("standby", "idle-per-host"):
        standby(docs["kms02"])
    if case == "idle-per-host":
        extra = ["--idle-per-host"]
    if case == "broken":
        stop_service(docs["kms01"])
    urls = list(serve_fleet(nginx, folder, docs).values())
    if case == "404":
        urls[1] = nginx.https_url("/%s/missing.json" % folder)
    text, doc = run_formats(PLUGIN, *url_args(urls), "--cacert", nginx.ca, *extra)
    # one top-level subcheck per host, its findings as its children
    hosts = [sc for sc in doc["checks"] if sc["output"] in names(3)]
    assert [sc["output"] for sc in hosts] == [n for i, n in enumerate(names(3))
                                               if not (case == "404" and i == 1)], doc
    for sc in hosts:
        assert sc["checks"] and all(ch["output"].startswith(sc["output"] + ": ")
                                    for ch in sc["checks"]), sc
    want = {"healthy": "OK", "standby": "OK", "idle-per-host": "WARNING",
            "broken": "CRITICAL", "404": "UNKNOWN"}[case]
    assert doc["state"] == want, doc
