"""Integration tests of check_kms_count over a fleet (issue 17): -u once per
KMS host, every document served over https by nginx, every host's products
judged on their own (counts never summed: a client that reaches a host below
its threshold is refused by it and does not try another).

Owns: the exact state, line 1, long output and perfdata a user sees for a
fleet; the single-document output is test_count.py's (unchanged with one
-u)."""
import re

import pytest

import harness
from fleetdocs import fleet_doc, product, serve_fleet, url_args, STALE_CASES, STALE_IDS, STALE_WHY
from harness import run

PLUGIN = "check_kms_count"
WIN = "55c92734-d682-4d71-983e-d6ec3f16059f"

# healthy.json's inventory, as the forecast of each host sees it
WIN_ACTIVE, OFFICE_ACTIVE = 31, 12


def host_name(i):
    return "kms%02d.corp.example" % (i + 1)


def fleet(counts):
    """{host.name: document} from healthy.json, one per (windows, office)
    current count, hosts kms01, kms02, ..."""
    out = {}
    for i, (win, office) in enumerate(counts):
        d = fleet_doc("healthy.json", host_name(i))
        product(d, "windows")["current_count"] = win
        product(d, "office")["current_count"] = office
        out[host_name(i)] = d
    return out


def check(nginx, folder, docs, *args, extra_urls=()):
    urls = list(serve_fleet(nginx, folder, docs).values()) + list(extra_urls)
    return run(PLUGIN, *url_args(urls), "--cacert", nginx.ca, *args)


def host_perf(name, win, office, win_active=WIN_ACTIVE, win_lapsing=0):
    """One host's perfdata as printed: each count with the thresholds that
    judge it, the forecast's active and lapsing clients graphed only."""
    return ["'%s Windows'=%d;30:;25:;0;50" % (name, win),
            "'%s Windows active'=%d;;;0" % (name, win_active),
            "'%s Windows lapsing'=%d;;;0" % (name, win_lapsing),
            "'%s Office 2013+'=%d;7:;5:;0;10" % (name, office),
            "'%s Office 2013+ active'=%d;;;0" % (name, OFFICE_ACTIVE),
            "'%s Office 2013+ lapsing'=0;;;0" % name]


def fleet_perf(counts):
    out = []
    for i, (win, office) in enumerate(counts):
        out += host_perf("kms%02d" % (i + 1), win, office)
    return " ".join(out)


def ok_lines(name, win, office):
    """The long output of a host whose products are all OK."""
    return ["[OK] %s Windows: count %d, critical below 25, warning below 30, cap 50: "
            "servers and clients can activate" % (name, win),
            "[OK] %s Forecast Windows: %d active, none lapsing; count stays at 25 or more"
            % (name, WIN_ACTIVE),
            "[OK] %s Office 2013+: count %d, critical below 5, warning below 7, cap 10: "
            "Office can activate" % (name, office),
            "[OK] %s Forecast Office 2013+: %d active, none lapsing; count stays at 5 or more"
            % (name, OFFICE_ACTIVE)]


# ---- every host OK ----------------------------------------------------------

OK_CASES = [
    ("two", [(40, 10), (31, 9)],
     "2 KMS hosts OK; lowest: Windows 31 (kms02), Office 2013+ 9 (kms02)"),
    ("three", [(40, 10), (31, 10), (35, 8)],
     "3 KMS hosts OK; lowest: Windows 31 (kms02), Office 2013+ 8 (kms03)"),
    # the lowest is named where it is first found, in the order of -u
    ("three-tie", [(33, 10), (35, 10), (33, 10)],
     "3 KMS hosts OK; lowest: Windows 33 (kms01), Office 2013+ 10 (kms01)"),
    ("sixteen", [(31 + i, 10) for i in range(16)],
     "16 KMS hosts OK; lowest: Windows 31 (kms01), Office 2013+ 10 (kms01)"),
]


@pytest.mark.parametrize("case,counts,summary", OK_CASES, ids=[c[0] for c in OK_CASES])
def test_all_hosts_ok(nginx, case, counts, summary):
    res = check(nginx, "fc/ok-" + case, fleet(counts))
    assert res.code == 0, res
    assert res.first == "KMS COUNT OK - " + summary, res
    assert res.perf_text == fleet_perf(counts), res
    expect = []
    for i, (win, office) in enumerate(counts):
        expect += ok_lines("kms%02d" % (i + 1), win, office)
    if case == "sixteen":
        # the text stays under Nagios' 8 KB by whole long-output lines; every
        # perfdata item stays (above)
        kept = len(res.long) - 1
        assert res.long == expect[:kept] + ["... and %d more" % (len(expect) - kept)], res
    else:
        assert res.long == expect, res


def test_ok_summary_fits_line1(nginx):
    """More products than line 1 can name: the rest counted, nothing cut."""
    docs = fleet([(31, 10), (31, 10)])
    for d in docs.values():
        win = product(d, "windows")
        d["products"] = [dict(win, current_count=30 + i) for i in range(7)]
    res = check(nginx, "fc/ok-many", docs)
    assert res.first == ("KMS COUNT OK - 2 KMS hosts OK; lowest: Windows 30 (kms01), "
                         "Windows #2 31 (kms01), +5 more"), res
    assert not res.cut, res
    assert len(res.perf) == 2 * 7 * 3, res


# ---- one host in trouble, first or last -------------------------------------

TROUBLE = [
    ("CRITICAL", 23, "Windows 23/25 (clients cannot activate)",
     "[CRITICAL] %s Windows: count 23, critical below 25, warning below 30, cap 50: "
     "servers can activate, client OSes cannot"),
    ("WARNING", 27, "Windows 27/30 (close to 25)",
     "[WARNING] %s Windows: count 27, critical below 25, warning below 30, cap 50: "
     "servers and clients can activate"),
]


@pytest.mark.parametrize("where", [0, 2], ids=["first", "last"])
@pytest.mark.parametrize("state,count,headline,line", TROUBLE, ids=[t[0] for t in TROUBLE])
def test_one_host_below_threshold(nginx, where, state, count, headline, line):
    counts = [(40, 10), (40, 10), (40, 10)]
    counts[where] = (count, 10)
    res = check(nginx, "fc/one-%s-%d" % (state, where), fleet(counts))
    bad = "kms%02d" % (where + 1)
    assert res.state == state, res
    assert res.first == "KMS COUNT %s - %s: %s" % (state, bad, headline), res
    assert res.perf_text == fleet_perf(counts), res
    # the host's finding first, then every other line in the order of -u
    assert res.long[0] == line % bad, res
    assert len(res.long) == 12, res


def test_counts_never_summed(nginx):
    """20 + 20 is above 25, but each host refuses its clients on its own."""
    counts = [(20, 10), (20, 10)]
    res = check(nginx, "fc/unsummed", fleet(counts))
    assert res.state == "CRITICAL", res
    assert res.first == ("KMS COUNT CRITICAL - kms01: Windows 20/25 (clients cannot "
                         "activate); +1 more"), res
    assert res.long[:2] == [
        "[CRITICAL] kms%s Windows: count 20, critical below 25, warning below 30, cap 50: "
        "servers can activate, client OSes cannot" % n for n in ("01", "02")], res
    assert res.perf_text == fleet_perf(counts), res


@pytest.mark.parametrize("order", ["warning-first", "critical-first"])
def test_hosts_in_different_trouble_worst_first(nginx, order):
    warn, crit = (27, 10), (31, 3)
    counts = [warn, crit] if order == "warning-first" else [crit, warn]
    wname, cname = ("kms01", "kms02") if order == "warning-first" else ("kms02", "kms01")
    res = check(nginx, "fc/trouble-" + order, fleet(counts))
    assert res.state == "CRITICAL", res
    # the WARNING host's headline does not fit beside it (100 characters)
    assert res.first == ("KMS COUNT CRITICAL - %s: Office 2013+ 3/5 (nothing can activate); "
                         "+1 more" % cname), res
    assert res.long[:2] == [
        "[CRITICAL] %s Office 2013+: count 3, critical below 5, warning below 7, cap 10: "
        "nothing can activate" % cname,
        "[WARNING] %s Windows: count 27, critical below 25, warning below 30, cap 50: "
        "servers and clients can activate" % wname], res
    assert res.perf_text == fleet_perf(counts), res


def test_two_products_of_one_host(nginx):
    """Line 1 names the host once, with its worst product."""
    counts = [(40, 10), (27, 3)]
    res = check(nginx, "fc/two-products", fleet(counts))
    assert res.first == "KMS COUNT CRITICAL - kms02: Office 2013+ 3/5 (nothing can activate)", res
    assert [l.split(":")[0] for l in res.long[:2]] == [
        "[CRITICAL] kms02 Office 2013+", "[WARNING] kms02 Windows"], res


# ---- the forecast per host ---------------------------------------------------

@pytest.mark.parametrize("source", [0, 1], ids=["from-kms01", "from-kms02"])
def test_moved_clients_forecast_per_host(nginx, source):
    """9 Windows clients moved to the other host 25 days ago: they still
    renew there (its copy of the sample has them recent), and lapse out of
    the source's count in 5 days, below 25 within --forecast-days 7."""
    docs = fleet([(31, 10), (31, 10)])
    src = docs[host_name(source)]
    moved = [c for c in src["clients"] if c.get("required_count") == 25][:9]
    for c in moved:
        c["last_request_at"] = "2026-10-31T12:00:00Z"
    res = check(nginx, "fc/moved-%d" % source, docs)
    name = "kms%02d" % (source + 1)
    assert res.state == "WARNING", res
    assert res.first == ("KMS COUNT WARNING - %s: Windows count 31 forecast to fall below 25 "
                         "on 2026-11-30 (in 5 days): 9 clients stopped renewing" % name), res
    assert res.long[0] == (
        "[WARNING] %s Forecast Windows: 22 active, 9 lapsing (all out of the count by "
        "2026-11-30); forecast to fall below 25 on 2026-11-30 (in 5 days, count 22)" % name), res
    perf = []
    for i in range(2):
        if i == source:
            perf += host_perf("kms%02d" % (i + 1), 31, 10, win_active=22, win_lapsing=9)
        else:
            perf += host_perf("kms%02d" % (i + 1), 31, 10)
    assert res.perf_text == " ".join(perf), res


# ---- a host that is not usable ------------------------------------------------

def port_of(nginx):
    return "127.0.0.1:%d" % nginx.https_port


@pytest.mark.parametrize("where", [0, 1], ids=["first", "last"])
def test_document_404(nginx, where):
    """A document that never loaded is named by its URL's host and port (an
    address is never cut to a first label); the other host is judged."""
    docs = fleet([(31, 10)])
    served = list(serve_fleet(nginx, "fc/404-%d" % where, docs).values())
    missing = nginx.https_url("/fc/404-%d/kms02.corp.example.json" % where)
    urls = served + [missing] if where == 1 else [missing] + served
    res = run(PLUGIN, *url_args(urls), "--cacert", nginx.ca)
    why = "%s: HTTP 404 Not Found from %s" % (port_of(nginx), missing)
    assert res.state == "UNKNOWN", res
    assert res.first == "KMS COUNT UNKNOWN - " + why, res
    assert res.cut, res  # too long for line 1: cut there, whole on line 2
    assert res.long == ["[UNKNOWN] " + why] + ok_lines("kms01", 31, 10), res
    assert res.perf_text == fleet_perf([(31, 10)]), res


def test_document_404_beside_critical_host(nginx):
    docs = fleet([(23, 10)])
    missing = nginx.https_url("/fc/404-crit/kms02.corp.example.json")
    res = check(nginx, "fc/404-crit", docs, extra_urls=[missing])
    assert res.state == "CRITICAL", res
    assert res.first == ("KMS COUNT CRITICAL - kms01: Windows 23/25 (clients cannot activate); "
                         "+1 more"), res
    assert res.long[1] == "[UNKNOWN] %s: HTTP 404 Not Found from %s" % (port_of(nginx), missing), res


@pytest.mark.parametrize("args,state", STALE_CASES, ids=STALE_IDS)
def test_stale_document(nginx, args, state):
    docs = fleet([(31, 10), (40, 10)])
    docs[host_name(1)]["generated_at"] = "2026-11-25T11:00:00Z"
    res = check(nginx, "fc/stale-" + state, docs, *args)
    assert res.state == state, res
    assert res.first == "KMS COUNT %s - %s" % (state, STALE_WHY), res
    # the stale host is not judged: only kms01 is graphed
    assert res.long == ["[%s] %s" % (state, STALE_WHY)] + ok_lines("kms01", 31, 10), res
    assert res.perf_text == fleet_perf([(31, 10)]), res


def test_stale_document_state_ok_is_judged(nginx):
    docs = fleet([(31, 10), (23, 10)])
    docs[host_name(1)]["generated_at"] = "2026-11-25T11:00:00Z"
    res = check(nginx, "fc/stale-ok", docs, "--stale-state", "OK")
    assert res.first == "KMS COUNT CRITICAL - kms02: Windows 23/25 (clients cannot activate)", res
    assert res.perf_text == fleet_perf([(31, 10), (23, 10)]), res


@pytest.mark.parametrize("where", [1, 2], ids=["second", "third"])
def test_same_host_name_twice(nginx, where):
    """Two documents of one host.name: the later -u is UNKNOWN, the first is
    judged (its perfdata only once)."""
    docs = fleet([(31, 10), (40, 10), (35, 10)])
    docs[host_name(where)]["host"]["name"] = host_name(0)
    folder = "fc/dup-%d" % where
    urls = serve_fleet(nginx, folder, docs)
    res = run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca)
    why = "kms01: host.name also in -u %s: one document per KMS host" % urls[host_name(0)]
    assert res.state == "UNKNOWN", res
    assert res.first == "KMS COUNT UNKNOWN - " + why, res
    assert res.long[0] == "[UNKNOWN] " + why, res
    other = 3 - where  # the host that is neither kms01 nor the duplicate
    counts = {0: (31, 10), 1: (40, 10), 2: (35, 10)}
    perf = host_perf("kms01", 31, 10) + host_perf("kms%02d" % (other + 1), *counts[other])
    assert res.perf_text == " ".join(perf), res


def test_no_matching_product_on_one_host(nginx):
    """--product office where one host has no Office: that host is UNKNOWN,
    the other is judged."""
    docs = fleet([(31, 10), (31, 10)])
    d = docs[host_name(1)]
    d["products"] = [p for p in d["products"] if p.get("application_id") == WIN]
    res = check(nginx, "fc/no-office", docs, "--product", "office")
    why = ("kms02: no product matches --product office: the status document holds "
           "Windows (%s)" % WIN)
    assert res.state == "UNKNOWN", res
    assert res.first == "KMS COUNT UNKNOWN - " + why, res
    assert res.long[0] == "[UNKNOWN] " + why, res
    assert res.perf_text == ("'kms01 Office 2013+'=10;7:;5:;0;10 'kms01 Office 2013+ active'=12;;;0 "
                             "'kms01 Office 2013+ lapsing'=0;;;0"), res


# ---- refused at parse time ------------------------------------------------------

def test_same_url_twice(nginx):
    url = nginx.https_url("/fc/twice/kms01.corp.example.json")
    res = run(PLUGIN, "-u", url, "-u", nginx.https_url("/other.json"), "-u", url,
              "--cacert", nginx.ca)
    assert res.state == "UNKNOWN", res
    assert res.first == ("KMS COUNT UNKNOWN - -u %s is given twice: one document per KMS host"
                         % url), res
    assert res.perf_text == "" and res.long == [], res


def test_seventeen_urls(nginx):
    urls = [nginx.https_url("/fc/many/%d.json" % i) for i in range(17)]
    res = run(PLUGIN, *url_args(urls), "--cacert", nginx.ca)
    assert res.state == "UNKNOWN", res
    assert res.first == ("KMS COUNT UNKNOWN - more than 16 -u/--url: at most one status "
                         "document per KMS host, 16 hosts"), res
    assert res.lines == [res.first], res


# ---- JSON ------------------------------------------------------------------------

JSON_CASES = [
    ("ok", [(40, 10), (31, 9), (35, 10)], False, "OK"),
    ("critical", [(40, 10), (23, 10)], False, "CRITICAL"),
    ("404", [(40, 10), (31, 10)], True, "UNKNOWN"),
]


@pytest.mark.parametrize("case,counts,missing,state", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_fleet(nginx, case, counts, missing, state):
    """The fleet as JSON validates against check-output.schema.json, agrees
    with the text (run_formats) and has one top-level subcheck per host."""
    folder = "fc/json-" + case
    urls = list(serve_fleet(nginx, folder, fleet(counts)).values())
    if missing:
        urls.append(nginx.https_url("/%s/gone.json" % folder))
    text, doc = harness.run_formats(PLUGIN, *url_args(urls), "--cacert", nginx.ca)
    assert doc["state"] == state, doc
    hosts = ["kms%02d" % (i + 1) for i in range(len(counts))]
    outputs = [sc["output"] for sc in doc["checks"]]
    assert outputs[:len(hosts)] == hosts, doc
    for sc, name in zip(doc["checks"], hosts):
        assert [p["output"].split(" ")[:2] for p in sc["checks"]] == [
            [name, "Windows"], [name, "Office"]], sc
        for p in sc["checks"]:
            assert all(kid["output"].startswith(name + " ") for kid in p["checks"]), p
    if missing:
        assert doc["checks"][-1] == {
            "output": "%s: HTTP 404 Not Found from %s" % (port_of(nginx), urls[-1]),
            "state": "UNKNOWN"}, doc
    assert re.match(r"^KMS COUNT %s - " % state, text.line1), text
