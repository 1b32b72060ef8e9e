"""Integration tests of check_kms_count (issue 4): the current count of every
KMS host product against the activation thresholds, the forecast from the
client inventory, and the document errors, from files and through nginx.

Owns: small documents written per test, generated inventories
(packaging/samples/generate.py) and the exact output a user would see."""
import json
import os
import re
import subprocess

import pytest

import harness
from harness import run, SAMPLES

PLUGIN = "check_kms_count"
WIN = "55c92734-d682-4d71-983e-d6ec3f16059f"
O2013 = "0ff1ce15-a989-479d-af46-f275c6370663"
O2010 = "59a52881-a989-479d-af46-f275c6370663"
WIN_NAME = "Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel"
NOW = harness.SAMPLE_NOW
GENERATE = os.path.join(SAMPLES, "generate.py")


def product(app, count, name=None):
    p = {"name": name or {WIN: WIN_NAME, O2013: "Office 16 KMS host",
                          O2010: "Office 14 KMS host"}.get(app, "Other"),
         "application_id": app, "license_status": 1}
    if count is not None:
        p["current_count"] = count
    return p


def write_doc(tmp_path, products, clients=None, generated_at="2026-11-25T13:55:00Z",
              name="doc.json", raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_text(raw)
        return str(path)
    doc = {"format": "kms-status", "version": 1, "generated_at": generated_at,
           "host": {"name": "kms01.corp.example", "renewal_interval_minutes": 10080},
           "products": products}
    if clients is not None:
        doc["clients"] = clients
    path.write_text(json.dumps(doc))
    return str(path)


def generate(tmp_path, *args):
    out = tmp_path / "gen.json"
    subprocess.run(["/usr/bin/python3", GENERATE, "--now", NOW, "--out", str(out)]
                   + [str(a) for a in args], check=True, timeout=120)
    return str(out)


def perf_raw(res):
    return {k: v["raw"] for k, v in res.perf.items()}


# ---- the sample documents ---------------------------------------------------

SAMPLE_CASES = [
    ("healthy.json", "OK", "Windows 31 OK; Office 2013+ 10 OK"),
    ("dns-failure.json", "OK", "Windows 31 OK; Office 2013+ 10 OK"),
    # line 1 of a check that is not OK names only what is not OK
    ("below-threshold.json", "CRITICAL", "Windows 18/25 (clients cannot activate)"),
    ("expiring.json", "CRITICAL", "Windows 22/25 (clients cannot activate)"),
    ("not-kms.json", "CRITICAL",
     "Windows not enabled as a KMS host or no request received yet"),
]


@pytest.mark.parametrize("sample,state,summary", SAMPLE_CASES)
def test_samples(sample, state, summary):
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, sample))
    assert res.state == state, res
    assert res.first == "KMS COUNT %s - %s" % (state, summary), res


def test_below_threshold_sample_long_output_and_perfdata():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "below-threshold.json"))
    assert res.code == 2, res
    # each product's count, then its forecast (a subcheck with a state of
    # its own), worst first
    assert res.long == [
        "[CRITICAL] Windows: count 18, critical below 25, warning below 30, cap 50: "
        "servers can activate, client OSes cannot",
        "[OK] Forecast Windows: 14 active, 4 lapsing (all out of the count by 2026-12-02); "
        "count already critical",
        "[OK] Office 2013+: count 8, critical below 5, warning below 7, cap 10: "
        "Office can activate",
        "[OK] Forecast Office 2013+: 8 active, none lapsing; count stays at 5 or more",
    ], res
    assert res.perf_text == (
        "Windows=18;30:;25:;0;50 'Windows active'=14;;;0 'Windows lapsing'=4;;;0 "
        "'Office 2013+'=8;7:;5:;0;10 'Office 2013+ active'=8;;;0 "
        "'Office 2013+ lapsing'=0;;;0"), res


def test_not_kms_sample_has_no_count_perfdata():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "not-kms.json"))
    assert res.long[0] == ("[CRITICAL] Windows: not enabled as a KMS host or no request "
                           "received yet (no current count)"), res
    assert "Windows" not in res.perf, res


def test_verbose_names_the_full_product():
    res = run(PLUGIN, "-v", "-u", os.path.join(SAMPLES, "healthy.json"))
    assert res.first == "KMS COUNT OK - Windows 31 OK; Office 2013+ 10 OK", res
    assert res.long[0].startswith(
        "[OK] Windows (%s, %s): count 31, critical below 25" % (WIN_NAME, WIN)), res


# ---- default thresholds at their boundaries ---------------------------------

@pytest.mark.parametrize("count,state,summary", [
    (24, "CRITICAL", "Windows 24/25 (clients cannot activate)"),
    (25, "WARNING", "Windows 25/30 (close to 25)"),
    (29, "WARNING", "Windows 29/30 (close to 25)"),
    (30, "OK", "Windows 30 OK"),
    (4, "CRITICAL", "Windows 4/25 (nothing can activate)"),
])
def test_windows_boundaries(tmp_path, count, state, summary):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, count)]))
    assert res.first == "KMS COUNT %s - %s" % (state, summary), res
    assert res.perf_text == "Windows=%d;30:;25:;0;50" % count, res
    # no inventory: said once, state unaffected, no active/lapsing perfdata
    assert res.long[-1] == "Forecast: no client inventory in the document", res


@pytest.mark.parametrize("app,label", [(O2013, "Office 2013+"), (O2010, "Office 2010")])
@pytest.mark.parametrize("count,state,why", [
    (4, "CRITICAL", "/5 (nothing can activate)"),
    (5, "WARNING", "/7 (close to 5)"),
    (6, "WARNING", "/7 (close to 5)"),
    (7, "OK", " OK"),
])
def test_office_boundaries(tmp_path, app, label, count, state, why):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(app, count)]))
    assert res.first == "KMS COUNT %s - %s %d%s" % (state, label, count, why), res
    assert res.perf_text == "'%s'=%d;7:;5:;0;10" % (label, count), res


def test_current_count_absent_or_minus_one(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, None), product(O2013, -1)]))
    # the second product is in the long output; line 1 counts it
    assert res.first == ("KMS COUNT CRITICAL - Windows not enabled as a KMS host or no "
                         "request received yet; +1 more"), res
    assert res.perf == {}, res


# ---- -w / -c ranges replace the defaults ------------------------------------

@pytest.mark.parametrize("opt,state", [("-c", "CRITICAL"), ("-w", "WARNING")])
@pytest.mark.parametrize("rng,count,alerts,frag", [
    ("10", 10, False, None), ("10", 11, True, "Windows 11 (%s range 10)"),
    ("10:", 10, False, None), ("10:", 9, True, "Windows 9/10 (clients cannot activate)"),
    ("~:10", 10, False, None), ("~:10", 11, True, "Windows 11 (%s range ~:10)"),
    ("10:20", 9, True, "Windows 9 (%s range 10:20)"), ("10:20", 10, False, None),
    ("10:20", 20, False, None), ("10:20", 21, True, "Windows 21 (%s range 10:20)"),
    ("@10:20", 9, False, None), ("@10:20", 10, True, "Windows 10 (%s range @10:20)"),
    ("@10:20", 20, True, "Windows 20 (%s range @10:20)"), ("@10:20", 21, False, None),
])
def test_range_forms(tmp_path, opt, state, rng, count, alerts, frag):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, count)]), opt, rng)
    if alerts:
        word = state.lower()
        expect = frag % word if "%s" in frag else frag
        assert res.first == "KMS COUNT %s - %s" % (state, expect), res
    else:
        assert res.first == "KMS COUNT OK - Windows %d OK" % count, res
    # the other default is gone: only the given range is in the perfdata
    warn, crit = (rng, "") if opt == "-w" else ("", rng)
    assert res.perf_text == "Windows=%d;%s;%s;0;50" % (count, warn, crit), res


def test_user_ranges_apply_to_every_product(tmp_path):
    doc = write_doc(tmp_path, [product(WIN, 31), product(O2013, 12)])
    res = run(PLUGIN, "-u", doc, "-w", "35:", "-c", "20:")
    assert res.first == ("KMS COUNT CRITICAL - Office 2013+ 12/20 (critical); "
                         "Windows 31/35 (close to 20)"), res
    assert res.perf_text == "Windows=31;35:;20:;0;50 'Office 2013+'=12;35:;20:;0;10", res


@pytest.mark.parametrize("args,message", [
    (("-c", "2:1"), 'invalid range for -c: "2:1" (start is greater than end)'),
    (("-w", "abc"), 'invalid range for -w: "abc" (not a number)'),
])
def test_invalid_range(tmp_path, args, message):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31)]), *args)
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - " + message, res


@pytest.mark.parametrize("value,message", [
    ("x", 'invalid --forecast-days "x": not a whole number'),
    ("31", 'invalid --forecast-days "31": must be 0 to 30'),
])
def test_invalid_forecast_days(tmp_path, value, message):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31)]), "--forecast-days", value)
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - " + message, res


UNCLASSIFIED = "neither application_id nor name tells Windows from Office"


def test_repeated_and_unknown_products(tmp_path):
    other = "12345678-1234-1234-1234-123456789abc"
    doc = write_doc(tmp_path, [product(WIN, 40, "Win A"), product(WIN, 41, "Win B"),
                               product(other, 3, "Visio KMS")])
    res = run(PLUGIN, "-u", doc)
    # an unknown id and a name of neither family: UNKNOWN, never Office's 5/7
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - $.products[2]: %s" % UNCLASSIFIED, res
    assert res.long[0] == ('[UNKNOWN] $.products[2] (name "Visio KMS", application_id %s): '
                           "neither says whether it is Windows or Office, so no threshold "
                           "applies" % other), res
    # unique labels; no perfdata for the product no threshold applies to
    assert res.perf_text == "Windows=40;30:;25:;0;50 'Windows #2'=41;30:;25:;0;50", res
    res = run(PLUGIN, "-u", doc, "--product", other)
    assert res.first == "KMS COUNT UNKNOWN - $.products[2]: " + UNCLASSIFIED, res
    assert res.perf == {}, res
    # selecting Windows by its id leaves it out
    res = run(PLUGIN, "-u", doc, "--product", WIN)
    assert res.first == "KMS COUNT OK - Windows 40 OK; Windows #2 41 OK", res


def test_product_without_application_id_judged_by_name(tmp_path):
    """A document without application ids: a Windows product is still held
    to the client threshold (25, cap 50), an Office one to 5 (cap 10), and
    named by its family."""
    win = {"name": WIN_NAME, "license_status": 1, "current_count": 18}
    off = {"name": "Office 16, Office16ProPlusKMSHostVL_KMS_Host edition",
           "license_status": 1, "current_count": 6}
    doc = write_doc(tmp_path, [win, off])
    res = run(PLUGIN, "-u", doc)
    assert res.code == 2, res
    assert res.first == ("KMS COUNT CRITICAL - Windows 18/25 (clients cannot activate); "
                         "Office 6/7 (close to 5)"), res
    assert res.perf_text == "Windows=18;30:;25:;0;50 Office=6;7:;5:;0;10", res
    res = run(PLUGIN, "-u", doc, "--product", "windows")
    assert res.first == "KMS COUNT CRITICAL - Windows 18/25 (clients cannot activate)", res
    res = run(PLUGIN, "-u", doc, "--product", "office")
    assert res.first == "KMS COUNT WARNING - Office 6/7 (close to 5)", res
    res = run(PLUGIN, "-v", "-u", doc, "--product", "windows")
    assert res.long[0].startswith("[CRITICAL] Windows (%s, no application id): count 18"
                                  % WIN_NAME), res


# ---- issue 14 item 1: a Windows product is never judged as Office -----------

@pytest.mark.parametrize("spelling", [
    WIN.upper(), "{%s}" % WIN, "{%s}" % WIN.upper(), " %s " % WIN, "\t{%s}\n" % WIN.upper(),
    "{ %s }" % WIN, "{55C92734-d682-4D71-983e-D6EC3F16059F}",
])
@pytest.mark.parametrize("count,state,frag", [
    (12, "CRITICAL", "Windows 12/25 (clients cannot activate)"),
    (27, "WARNING", "Windows 27/30 (close to 25)"),
    (40, "OK", "Windows 40 OK"),
])
def test_windows_guid_spellings_get_windows_thresholds(tmp_path, spelling, count, state, frag):
    clients = [{"name": "pc%d" % i, "application_id": s, "last_request_at": "2026-11-25T10:00:00Z"}
               for i, s in enumerate([spelling, WIN, WIN.upper(), "{%s}" % WIN])]
    doc = write_doc(tmp_path, [dict(product(WIN, count), application_id=spelling)], clients)
    res = run(PLUGIN, "-u", doc)
    assert res.first == "KMS COUNT %s - %s" % (state, frag), res
    # every client spelling lands on the product
    assert res.perf_text == ("Windows=%d;30:;25:;0;50 'Windows active'=4;;;0 "
                             "'Windows lapsing'=0;;;0" % count), res
    for sel in ("windows", WIN, "{%s}" % WIN.upper()):
        assert run(PLUGIN, "-u", doc, "--product", sel).first == res.first


@pytest.mark.parametrize("app", ["12345678-1234-1234-1234-123456789abc",
                                 "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}", None])
@pytest.mark.parametrize("name,count,first,perf", [
    (WIN_NAME, 12, "CRITICAL - Windows 12/25 (clients cannot activate)", "Windows=12;30:;25:;0;50"),
    ("Windows(R), ServerDatacenter edition", 27, "WARNING - Windows 27/30 (close to 25)",
     "Windows=27;30:;25:;0;50"),
    ("Microsoft Windows Server 2022 KMS host", 50, "OK - Windows 50 OK", "Windows=50;30:;25:;0;50"),
    ("Office 16, Office16ProPlusKMSHostVL_KMS_Host edition", 6, "WARNING - Office 6/7 (close to 5)",
     "Office=6;7:;5:;0;10"),
    ("office 15, OfficeKMSHostVL_KMS_Host edition", 4, "CRITICAL - Office 4/5 (nothing can activate)",
     "Office=4;7:;5:;0;10"),
    ("Office 14 KMS host", 12, "OK - Office 12 OK",
     "Office=12;7:;5:;0;10"),
])
def test_unknown_or_absent_id_classified_by_name(tmp_path, app, name, count, first, perf):
    p = {"name": name, "license_status": 1, "current_count": count}
    if app is not None:
        p["application_id"] = app
    res = run(PLUGIN, "-u", write_doc(tmp_path, [p]))
    assert res.first == "KMS COUNT " + first, res
    assert res.perf_text == perf, res


@pytest.mark.parametrize("p", [
    {"name": "Visio KMS", "application_id": "12345678-1234-1234-1234-123456789abc"},
    {"name": "BackOffice Server", "application_id": "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"},
    {"name": "Project 2016 host"},
    {"application_id": "12345678-1234-1234-1234-123456789abc"},
    {"name": None, "application_id": None},
    {},
])
@pytest.mark.parametrize("args", [[], ["--product", "windows"], ["--product", "office"],
                                  ["-w", "30:", "-c", "25:"], ["--servers-only"]])
def test_unclassifiable_product_is_unknown(tmp_path, p, args):
    p = dict(p, license_status=1, current_count=12)
    res = run(PLUGIN, "-u", write_doc(tmp_path, [p]), *args)
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - $.products[0]: " + UNCLASSIFIED, res
    assert res.perf == {}, res
    # beside a Windows product: that one is still judged, this one UNKNOWN
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 12), p]), *args)
    if args == ["--product", "office"]:
        assert res.first == "KMS COUNT UNKNOWN - $.products[1]: " + UNCLASSIFIED, res
        assert res.perf == {}, res
    elif args == ["--servers-only"]:
        # Windows 12 is OK with --servers-only: line 1 names only the unknown
        assert res.first == "KMS COUNT UNKNOWN - $.products[1]: " + UNCLASSIFIED, res
        assert list(res.perf) == ["Windows"], res
    else:
        assert res.code == 2, res
        assert res.first == "KMS COUNT CRITICAL - Windows 12/25 (clients cannot activate); +1 more", res
        assert list(res.perf) == ["Windows"], res
    assert any(ln.startswith("[UNKNOWN] $.products[1]") for ln in res.long), res


@pytest.mark.parametrize("value", ["Windows", "", "55c92734", "{55c92734-d682-4d71-983e-d6ec3f16059f",
                                   "55c92734d6824d71983ed6ec3f16059f"])
@pytest.mark.parametrize("where", ["product", "client"])
def test_application_id_that_is_no_guid(tmp_path, value, where):
    if where == "product":
        path = write_doc(tmp_path, [dict(product(WIN, 31), application_id=value)])
        at = "$.products[0].application_id"
    else:
        path = write_doc(tmp_path, [product(WIN, 31)],
                         [{"name": "a", "application_id": WIN}, {"name": "b", "application_id": value}])
        at = "$.clients[1].application_id"
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == ('KMS COUNT UNKNOWN - status document %s: %s: not a GUID: "%s"'
                         % (path, at, value)), res


# ---- --servers-only ---------------------------------------------------------

@pytest.mark.parametrize("count,state,summary", [
    (4, "CRITICAL", "Windows 4/5 (nothing can activate)"),
    (5, "WARNING", "Windows 5/7 (close to 5)"),
    (6, "WARNING", "Windows 6/7 (close to 5)"),
    (7, "OK", "Windows 7 OK"),
])
def test_servers_only(tmp_path, count, state, summary):
    res = run(PLUGIN, "--servers-only", "-u", write_doc(tmp_path, [product(WIN, count)]))
    assert res.first == "KMS COUNT %s - %s" % (state, summary), res
    assert res.perf_text == "Windows=%d;7:;5:;0;10" % count, res
    assert ", cap 10: " in res.long[0], res


# ---- --product --------------------------------------------------------------

@pytest.mark.parametrize("selectors,summary,labels", [
    (["windows"], "Windows 31 OK", ["Windows"]),
    (["office"], "Office 2013+ 10 OK", ["Office 2013+"]),
    (["0FF1CE15-A989-479D-AF46-F275C6370663"], "Office 2013+ 10 OK", ["Office 2013+"]),
    (["windows", "office"], "Windows 31 OK; Office 2013+ 10 OK",
     ["Windows", "Office 2013+"]),
])
def test_product_selects(selectors, summary, labels):
    args = []
    for s in selectors:
        args += ["--product", s]
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"), *args)
    assert res.first == "KMS COUNT OK - " + summary, res
    assert list(res.perf) == [l + s for l in labels for s in ("", " active", " lapsing")], res


def test_product_without_match_lists_the_document(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31)]), "--product", "office")
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - no product matches --product office: the "
                         "status document holds Windows (%s)" % WIN), res


def test_product_invalid_selector(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31)]), "--product", "linux")
    assert res.first == ('KMS COUNT UNKNOWN - invalid --product "linux": expected windows, '
                         'office or an application id (GUID)'), res


def test_no_products(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, []))
    assert res.first == ("KMS COUNT UNKNOWN - the status document lists no KMS host "
                         "product (host kms01.corp.example)"), res


# ---- forecast ---------------------------------------------------------------

def test_forecast_warns_within_horizon(tmp_path):
    # 9 of 31 clients stopped renewing and leave the count on day 3
    doc = generate(tmp_path, "--clients", 31, "--lapsing", 9, "--lapse-day", 3)
    res = run(PLUGIN, "-u", doc, "--forecast-days", 7)
    assert res.first == ("KMS COUNT WARNING - Windows count 31 forecast to fall below 25 on "
                         "2026-11-28 (in 3 days): 9 clients stopped renewing"), res
    # the forecast warns, the count itself (31, above 30) is OK
    assert res.long == [
        "[WARNING] Forecast Windows: 22 active, 9 lapsing (all out of the count by "
        "2026-11-28); forecast to fall below 25 on 2026-11-28 (in 3 days, count 22)",
        "[OK] Windows: count 31, critical below 25, warning below 30, cap 50: servers "
        "and clients can activate",
    ], res
    assert res.perf_text == ("Windows=31;30:;25:;0;50 'Windows active'=22;;;0 "
                             "'Windows lapsing'=9;;;0"), res
    # the default horizon is 7 days
    assert run(PLUGIN, "-u", doc).first == res.first


@pytest.mark.parametrize("days,state", [(2, "OK"), (3, "WARNING")])
def test_forecast_beyond_horizon(tmp_path, days, state):
    doc = generate(tmp_path, "--clients", 31, "--lapsing", 9, "--lapse-day", 3)
    res = run(PLUGIN, "-u", doc, "--forecast-days", days)
    assert res.state == state, res
    if state == "OK":
        assert res.first == "KMS COUNT OK - Windows 31 OK", res
        # still told in the long output
        assert res.long[-1].endswith("forecast to fall below 25 on 2026-11-28 "
                                     "(in 3 days, count 22)"), res


def test_forecast_not_crossing(tmp_path):
    # 5 lapsing of 31: 26 stay, above 25
    doc = generate(tmp_path, "--clients", 31, "--lapsing", 5, "--lapse-day", 3)
    res = run(PLUGIN, "-u", doc)
    assert res.first == "KMS COUNT OK - Windows 31 OK", res
    assert res.long[-1] == ("[OK] Forecast Windows: 26 active, 5 lapsing (all out of the "
                            "count by 2026-11-28); count stays at 25 or more"), res


def test_forecast_counts_clients_above_the_cap_first(tmp_path):
    # 60 clients, count capped at 50: 20 lapsing leave, 40 remain >= 25
    doc = generate(tmp_path, "--clients", 60, "--lapsing", 20, "--lapse-day", 2)
    res = run(PLUGIN, "-u", doc)
    assert res.first == "KMS COUNT OK - Windows 50 OK", res
    assert res.perf_text == ("Windows=50;30:;25:;0;50 'Windows active'=40;;;0 "
                             "'Windows lapsing'=20;;;0"), res


def test_forecast_renewal_interval_from_host(tmp_path):
    clients = []
    # 26 renewed 8 days ago: active with the default 7-day interval + 2 days,
    # lapsing with a 1-day interval (1 + 2 = 3 days), leaving on day 22
    for i in range(26):
        clients.append({"name": "pc%02d" % i, "application_id": WIN,
                        "last_request_at": "2026-11-17T14:00:00Z"})
    doc = write_doc(tmp_path, [product(WIN, 26)], clients)
    data = json.loads(open(doc).read())
    data["host"]["renewal_interval_minutes"] = 1440
    open(doc, "w").write(json.dumps(data))
    res = run(PLUGIN, "-u", doc, "--forecast-days", 30)
    # 8 + 22 = 30 days after the last request
    assert res.first == ("KMS COUNT WARNING - Windows count 26 forecast to fall below 25 on "
                         "2026-12-17 (in 22 days): 26 clients stopped renewing"), res
    assert res.perf["Windows active"]["value"] == 0, res
    # not within the default 7 days: the count's own warning shows
    res = run(PLUGIN, "-u", doc)
    assert res.first == "KMS COUNT WARNING - Windows 26/30 (close to 25)", res
    data["host"]["renewal_interval_minutes"] = 10080
    open(doc, "w").write(json.dumps(data))
    res = run(PLUGIN, "-u", doc, "--forecast-days", 30)
    assert res.first == "KMS COUNT WARNING - Windows 26/30 (close to 25)", res
    assert res.perf["Windows active"]["value"] == 26, res


def test_forecast_ignores_clients_out_of_the_count_and_other_products(tmp_path):
    clients = [
        {"name": "old", "application_id": WIN, "last_request_at": "2026-10-01T00:00:00Z"},
        {"name": "office", "application_id": O2013, "last_request_at": "2026-11-01T00:00:00Z"},
        {"name": "new", "application_id": WIN.upper(), "last_request_at": "2026-11-25T10:00:00Z"},
        {"name": "never", "application_id": WIN},
    ]
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31)], clients))
    assert res.perf_text == ("Windows=31;30:;25:;0;50 'Windows active'=1;;;0 "
                             "'Windows lapsing'=0;;;0"), res


def test_renewal_interval_absent_defaults_to_seven_days(tmp_path):
    clients = [{"name": "c", "application_id": WIN, "last_request_at": "2026-11-17T14:00:00Z"}]
    path = write_doc(tmp_path, [product(WIN, 31)], clients)
    data = json.loads(open(path).read())
    del data["host"]["renewal_interval_minutes"]
    open(path, "w").write(json.dumps(data))
    res = run(PLUGIN, "-u", path)
    assert res.perf["Windows active"]["value"] == 1, res


# ---- document errors --------------------------------------------------------

def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.json")
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - cannot open %s: No such "
                         "file or directory" % path), res


def test_bad_json(tmp_path):
    path = write_doc(tmp_path, None, raw='{"format": "kms-status", "version": 1,\n  "x": ]}')
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first.startswith("KMS COUNT UNKNOWN - status document %s: " % path), res
    assert "line 2" in res.first, res


def test_wrong_type_names_the_path(tmp_path):
    path = write_doc(tmp_path, [dict(product(WIN, 31), current_count="31")])
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - status document %s: $.products[0]."
                         "current_count: expected integer, got string" % path), res


def test_stale_document(tmp_path):
    path = write_doc(tmp_path, [product(WIN, 31)], generated_at="2026-11-25T10:50:00Z")
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - status document is 3 h 10 min old (generated "
                         "2026-11-25 10:50 UTC, max 1 h): is the exporter's scheduled "
                         "task running?"), res
    # --max-age accepts it
    assert run(PLUGIN, "-u", path, "--max-age", "4h").first == "KMS COUNT OK - Windows 31 OK"


# ---- over https (nginx) -----------------------------------------------------

def test_served_over_https(nginx):
    nginx.put_sample("below-threshold.json", "count/below-threshold.json")
    url = nginx.https_url("/count/below-threshold.json")
    res = run(PLUGIN, "-u", url, "--cacert", nginx.ca)
    from_file = run(PLUGIN, "-u", os.path.join(SAMPLES, "below-threshold.json"))
    assert res.first == "KMS COUNT CRITICAL - Windows 18/25 (clients cannot activate)", res
    assert res.stdout == from_file.stdout, res


def test_https_forecast(nginx, tmp_path):
    doc = generate(tmp_path, "--clients", 31, "--lapsing", 9, "--lapse-day", 3)
    with open(doc, "rb") as f:
        nginx.put("count/lapsing.json", f.read())
    res = run(PLUGIN, "-u", nginx.https_url("/count/lapsing.json"), "--cacert", nginx.ca)
    assert res.first == ("KMS COUNT WARNING - Windows count 31 forecast to fall below 25 on "
                         "2026-11-28 (in 3 days): 9 clients stopped renewing"), res


def test_https_wrong_ca_and_404(nginx):
    nginx.put_sample("healthy.json", "count/healthy.json")
    res = run(PLUGIN, "-u", nginx.https_url("/count/healthy.json"), "--cacert", nginx.wrong_ca)
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - TLS: unknown CA for %s"
                         % nginx.https_url("/count/healthy.json")), res
    res = run(PLUGIN, "-u", nginx.https_url("/count/missing.json"), "--cacert", nginx.ca)
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - HTTP 404 Not Found from %s"
                         % nginx.https_url("/count/missing.json")), res


# ---- issue 15: clients classified by sku_id, keyed by (CMID, product) --------

SKU_ENT = "73111121-5638-40f6-bc11-f1d7b0d64300"     # Windows 10/11 Enterprise
SKU_SRV22 = "ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03"   # Windows Server 2022 Datacenter
SKU_PP24 = "8d368fc1-9470-4be2-8d66-90e836cbb051"    # Office LTSC Professional Plus 2024
SKU_PP10 = "6f327760-8c5c-417c-9b61-836a98287e0c"    # Office Professional Plus 2010
SKU_SYN = "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01"     # in no table
RECENT = "2026-11-24T10:00:00Z"


def cmid(i):
    return "0d6b5c2e-0000-4000-8000-%012d" % i


def cl(i, **kw):
    c = {"name": "m%02d.corp.example" % i, "cmid": cmid(i), "last_request_at": RECENT}
    c.update(kw)
    return c


def test_machine_with_windows_and_office_counts_once_in_each(tmp_path):
    """Ten machines each hold a Windows and an Office record (same CMID, as
    Office 2013+ sends it): each forecast counts ten, not twenty, not zero;
    the records carry only the sku_id the 12290 event gives."""
    clients = []
    for i in range(10):
        clients.append(cl(i, sku_id=SKU_ENT.upper(), required_count=25))
        clients.append(cl(i, sku_id="{%s}" % SKU_PP24, required_count=5))
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31), product(O2013, 10)], clients))
    assert res.first == "KMS COUNT OK - Windows 31 OK; Office 2013+ 10 OK", res
    assert res.perf_text == ("Windows=31;30:;25:;0;50 'Windows active'=10;;;0 "
                             "'Windows lapsing'=0;;;0 'Office 2013+'=10;7:;5:;0;10 "
                             "'Office 2013+ active'=10;;;0 'Office 2013+ lapsing'=0;;;0"), res


@pytest.mark.parametrize("fields,win,office,o2010", [
    # by the table, whatever application_id says
    ({"sku_id": SKU_ENT}, 1, 0, 0),
    ({"sku_id": SKU_SRV22, "required_count": 5}, 1, 0, 0),
    ({"sku_id": SKU_PP24, "application_id": WIN}, 0, 1, 0),
    ({"sku_id": SKU_PP10}, 0, 0, 1),
    # an unknown SKU asking for 25 is a Windows client OS
    ({"sku_id": SKU_SYN, "required_count": 25}, 1, 0, 0),
    ({"required_count": 25, "application_id": O2013}, 1, 0, 0),
    # 5 leaves it to application_id
    ({"sku_id": SKU_SYN, "required_count": 5, "application_id": O2013}, 0, 1, 0),
    ({"required_count": 5, "application_id": WIN}, 1, 0, 0),
])
def test_clients_classified_by_sku_then_count_then_application(tmp_path, fields, win,
                                                                office, o2010):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31), product(O2013, 10),
                                                 product(O2010, 10)], [cl(1, **fields)]))
    assert res.code == 0, res
    assert res.perf["Windows active"]["value"] == win, res
    assert res.perf["Office 2013+ active"]["value"] == office, res
    assert res.perf["Office 2010 active"]["value"] == o2010, res
    assert not [ln for ln in res.long if "left out" in ln], res


@pytest.mark.parametrize("fields,note", [
    ({"required_count": 5},
     "Forecast: 1 client seen within 30 days left out: server OS or Office, ambiguous "
     "(required_count 5, SKU not in the table, no application_id)"),
    ({"sku_id": SKU_SYN, "required_count": 5},
     "Forecast: 1 client seen within 30 days left out: server OS or Office, ambiguous "
     "(required_count 5, SKU not in the table, no application_id)"),
    ({},
     "Forecast: 1 client seen within 30 days left out: unknown product (neither sku_id, "
     "required_count nor application_id tells)"),
    ({"sku_id": SKU_SYN, "required_count": 50},
     "Forecast: 1 client seen within 30 days left out: unknown product (neither sku_id, "
     "required_count nor application_id tells)"),
])
def test_unsettled_clients_are_never_windows_or_office(tmp_path, fields, note):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [product(WIN, 31), product(O2013, 10)],
                                      [cl(1, **fields), cl(2, **fields)]))
    assert res.first == "KMS COUNT OK - Windows 31 OK; Office 2013+ 10 OK", res
    assert res.perf["Windows active"]["value"] == 0, res
    assert res.perf["Office 2013+ active"]["value"] == 0, res
    assert note.replace("1 client ", "2 clients ") in res.long, res


@pytest.mark.parametrize("a,b,prod", [
    ({"sku_id": SKU_ENT}, {"sku_id": SKU_ENT}, "Windows"),
    ({"sku_id": SKU_ENT}, {"sku_id": SKU_SYN, "required_count": 25}, "Windows"),
    ({"sku_id": SKU_PP24}, {"required_count": 5, "application_id": O2013.upper()},
     "Office 2013+"),
])
def test_duplicate_cmid_and_product_is_unknown(tmp_path, a, b, prod):
    clients = [cl(0, sku_id=SKU_ENT), cl(1, sku_id=SKU_PP24), cl(7, **a), cl(8), cl(7, **b)]
    path = write_doc(tmp_path, [product(WIN, 31)], clients)
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    # line 1 is cut to 100 characters; the whole text follows on line 2
    assert res.first == ("KMS COUNT UNKNOWN - status document %s: $.clients[4]: CMID %s and "
                         "product %s already at $.clients[2]" % (path, cmid(7), prod)), res
    assert len(res.line1) <= 100 and res.line1.endswith("..."), res


# ---- issue 16: one result in three formats ------------------------------------
#
# The tree: one top-level subcheck per product, its output the product's
# line-1 phrase. A product with a count has a count child (the count metric,
# judged by exactly its own thresholds) and, with an inventory, a forecast
# child (explicit OK or WARNING; active/lapsing only graph). A product not
# enabled (CRITICAL) or unclassifiable (UNKNOWN) is a leaf with an explicit
# state and no metric.

ALL_SAMPLES = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".json"))
RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}
VARIATIONS = [[], ["-v"], ["--servers-only"], ["-w", "35:", "-c", "20:"], ["-c", "25:"],
              ["-w", "30:"], ["-c", "10:20"], ["-w", "@10:20"], ["-c", "~:10"],
              ["--forecast-days", "0"], ["--forecast-days", "30"], ["--product", "windows"]]


def worst(states):
    return max(states, key=RANK.__getitem__, default="OK")


def assert_count_tree(text, doc):
    """The shape above, for any input: what judges each subcheck, and that
    line 1 is the products' phrases."""
    for p in doc["checks"]:
        assert "perfdata" not in p, p
        kids = p.get("checks", [])
        if not kids:
            assert p["state"] in ("CRITICAL", "UNKNOWN"), p
            continue
        assert len(kids) in (1, 2), p
        count = kids[0]
        assert "checks" not in count and len(count["perfdata"]) == 1, count
        pd = count["perfdata"][0]
        assert pd["min"] == 0 and pd["max"] in (10, 50), pd
        # judged by exactly the metric it graphs, nothing else
        assert count["state"] == harness.metric_verdict(pd), count
        if len(kids) == 2:
            fc = kids[1]
            assert fc["output"].startswith("Forecast %s: " % pd["label"]), fc
            assert [m["label"] for m in fc["perfdata"]] == [pd["label"] + " active",
                                                            pd["label"] + " lapsing"], fc
            assert all("warn" not in m and "crit" not in m for m in fc["perfdata"]), fc
            assert fc["state"] in ("OK", "WARNING"), fc
        assert p["state"] == worst(k["state"] for k in kids), p
    counted = re.search(r"; \+\d+ more$", text.summary or "")
    if doc["state"] == "OK" and not counted:
        assert text.summary == "; ".join(p["output"] for p in doc["checks"]), (text, doc)
    elif doc["state"] != "OK":
        # every product that is not OK speaks on line 1 (or is counted)
        for p in doc["checks"]:
            if p["state"] != "OK" and p.get("checks") and not counted:
                assert p["output"] in text.summary, (p, text)
        for p in doc["checks"]:
            if p["state"] == "OK":
                assert p["output"] not in text.summary, (p, text)


@pytest.mark.parametrize("args", VARIATIONS, ids=" ".join)
@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_formats_every_sample(sample, args):
    text, doc = harness.run_formats(PLUGIN, "-u", os.path.join(SAMPLES, sample), *args)
    assert_count_tree(text, doc)


def default_state(count, clients):
    """The defaults as the man page states them: 25/30 for client OSes,
    5/7 for servers and Office."""
    crit, warn = (25, 30) if clients else (5, 7)
    return "CRITICAL" if count < crit else "WARNING" if count < warn else "OK"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """generate.py documents, written once per parameter set."""
    made = {}

    def make(*args):
        key = tuple(str(a) for a in args)
        if key not in made:
            out = tmp_path_factory.mktemp("gen") / "doc.json"
            subprocess.run(["/usr/bin/python3", GENERATE, "--now", NOW, "--out", str(out)]
                           + list(key), check=True, timeout=120)
            made[key] = str(out)
        return made[key]
    return make


# the realistic mix: Windows and Office counts below, at and above 25/30 and
# 5/7, no client lapsing (every client in the count renewed within a week)
@pytest.mark.parametrize("args", [[], ["--servers-only"], ["-w", "40:", "-c", "20:"]],
                         ids=" ".join)
@pytest.mark.parametrize("profile,clients", [
    ("mixed", 10), ("mixed", 20), ("mixed", 30), ("mixed", 40), ("mixed", 60), ("mixed", 200),
    ("windows-only", 20), ("windows-only", 30), ("windows-only", 40),
    ("servers-only", 4), ("servers-only", 10), ("servers-only", 30),
])
def test_formats_generated_mix(generated, profile, clients, args):
    path = generated("--clients", clients, "--profile", profile)
    with open(path) as f:
        products = json.load(f)["products"]
    text, doc = harness.run_formats(PLUGIN, "-u", path, *args)
    assert_count_tree(text, doc)
    want = []
    for p in products:
        count, win = p["current_count"], p["application_id"] == WIN
        if args[:1] == ["-w"]:
            want.append("CRITICAL" if count < 20 else "WARNING" if count < 40 else "OK")
        else:
            want.append(default_state(count, win and "--servers-only" not in args))
    assert [p["state"] for p in doc["checks"]] == want, (products, doc)
    assert doc["state"] == worst(want), doc
    assert all(text.perf[lab]["value"] == 0 for lab in text.perf if lab.endswith(" lapsing")), text


# exact counts (every client a Windows PC: N - L renewing, L leaving the
# count on day D), against the thresholds, the horizon and -w/-c
LAPSE_CASES = [
    # count below, at and above 25 and 30, forecast beyond the horizon
    ((4, 1, 20), [], "CRITICAL", "Windows 4/25 (nothing can activate)"),
    ((5, 1, 20), [], "CRITICAL", "Windows 5/25 (clients cannot activate)"),
    ((24, 1, 20), [], "CRITICAL", "Windows 24/25 (clients cannot activate)"),
    ((25, 1, 20), [], "WARNING", "Windows 25/30 (close to 25)"),
    ((29, 1, 20), [], "WARNING", "Windows 29/30 (close to 25)"),
    ((30, 1, 20), [], "OK", "Windows 30 OK"),
    ((50, 1, 20), [], "OK", "Windows 50 OK"),
    # the forecast within the horizon
    ((25, 1, 20), ["--forecast-days", 30], "WARNING",
     "Windows count 25 forecast to fall below 25 on 2026-12-15 (in 20 days): 1 client "
     "stopped renewing"),
    ((30, 6, 3), [], "WARNING",
     "Windows count 30 forecast to fall below 25 on 2026-11-28 (in 3 days): 6 clients "
     "stopped renewing"),
    ((30, 6, 3), ["--forecast-days", 3], "WARNING",
     "Windows count 30 forecast to fall below 25 on 2026-11-28 (in 3 days): 6 clients "
     "stopped renewing"),
    ((30, 6, 3), ["--forecast-days", 2], "OK", "Windows 30 OK"),
    ((30, 5, 3), [], "OK", "Windows 30 OK"),  # 25 stay: at the threshold
    # above the cap: the count shows 50 of 60
    ((60, 36, 1), [], "WARNING",
     "Windows count 50 forecast to fall below 25 on 2026-11-26 (in 1 day): 36 clients "
     "stopped renewing"),
    ((60, 35, 1), [], "OK", "Windows 50 OK"),
    # -w / -c
    ((30, 6, 3), ["-c", "20:"], "OK", "Windows 30 OK"),
    ((30, 6, 3), ["-w", "35:"], "WARNING", "Windows 30/35 (warning)"),
    ((30, 6, 3), ["-w", "35:", "-c", "25:"], "WARNING",
     "Windows count 30 forecast to fall below 25 on 2026-11-28 (in 3 days): 6 clients "
     "stopped renewing"),
    ((30, 6, 3), ["-c", "@20:24"], "WARNING",
     "Windows count 30 forecast to be critical (range @20:24) on 2026-11-28 (in 3 days): "
     "6 clients stopped renewing"),
    ((30, 6, 3), ["-c", "~:29"], "CRITICAL", "Windows 30 (critical range ~:29)"),
    # --servers-only: 5 and 7
    ((4, 1, 20), ["--servers-only"], "CRITICAL", "Windows 4/5 (nothing can activate)"),
    ((5, 1, 20), ["--servers-only"], "WARNING", "Windows 5/7 (close to 5)"),
    ((7, 1, 20), ["--servers-only"], "OK", "Windows 7 OK"),
    ((7, 3, 2), ["--servers-only"], "WARNING",
     "Windows count 7 forecast to fall below 5 on 2026-11-27 (in 2 days): 3 clients "
     "stopped renewing"),
]


@pytest.mark.parametrize("gen,args,state,summary", LAPSE_CASES)
def test_formats_generated_lapsing(generated, gen, args, state, summary):
    n, lapsing, day = gen
    path = generated("--clients", n, "--lapsing", lapsing, "--lapse-day", day)
    text, doc = harness.run_formats(PLUGIN, "-u", path, *args)
    assert_count_tree(text, doc)
    assert (text.state, text.first) == (state, "KMS COUNT %s - %s" % (state, summary)), text
    assert text.perf["Windows lapsing"]["value"] == lapsing, text
    count_sc, forecast_sc = doc["checks"][0]["checks"]
    # the forecast's own state: WARNING exactly when it speaks on line 1
    assert (forecast_sc["state"] == "WARNING") == ("forecast" in summary), doc
    assert count_sc["state"] == harness.metric_verdict(count_sc["perfdata"][0]), doc


STATE_CASES = [
    ("OK", "healthy", lambda t: ["-u", os.path.join(SAMPLES, "healthy.json")]),
    ("WARNING", "count in the warning range",
     lambda t: ["-u", write_doc(t, [product(WIN, 27), product(O2013, 10)])]),
    ("WARNING", "forecast",
     lambda t: ["-u", generate(t, "--clients", 31, "--lapsing", 9, "--lapse-day", 3)]),
    ("CRITICAL", "count in the critical range",
     lambda t: ["-u", os.path.join(SAMPLES, "below-threshold.json")]),
    ("CRITICAL", "not enabled", lambda t: ["-u", os.path.join(SAMPLES, "not-kms.json")]),
    ("CRITICAL", "not enabled beside an OK product",
     lambda t: ["-u", write_doc(t, [product(WIN, 40), product(O2013, None)])]),
    ("UNKNOWN", "unclassifiable product",
     lambda t: ["-u", write_doc(t, [{"name": "Visio KMS", "current_count": 3}])]),
    ("UNKNOWN", "stale document",
     lambda t: ["-u", write_doc(t, [product(WIN, 31)], generated_at="2026-11-25T10:50:00Z")]),
    ("UNKNOWN", "missing document", lambda t: ["-u", str(t / "nope.json")]),
    ("UNKNOWN", "bad range", lambda t: ["-u", write_doc(t, [product(WIN, 31)]), "-c", "2:1"]),
    ("UNKNOWN", "no product matches",
     lambda t: ["-u", write_doc(t, [product(WIN, 31)]), "--product", "office"]),
    ("UNKNOWN", "no product", lambda t: ["-u", write_doc(t, [])]),
]


@pytest.mark.parametrize("state,what,args", STATE_CASES, ids=[c[1] for c in STATE_CASES])
def test_formats_each_state(tmp_path, state, what, args):
    text, doc = harness.run_formats(PLUGIN, *args(tmp_path))
    assert text.state == doc["state"] == state, (what, text, doc)
    assert_count_tree(text, doc)


def test_json_tree_below_threshold():
    _, doc = harness.run_formats(PLUGIN, "-u", os.path.join(SAMPLES, "below-threshold.json"))
    floor = lambda n: {"start": n, "end": "inf", "alert_on_inside": False}  # noqa: E731
    graph = lambda label, v: {"label": label, "value": v, "uom": "", "min": 0}  # noqa: E731
    assert doc == {
        "state": "CRITICAL",
        "summary": "Windows 18/25 (clients cannot activate)",
        "checks": [
            {"output": "Windows 18/25 (clients cannot activate)", "state": "CRITICAL",
             "checks": [
                 {"output": "Windows: count 18, critical below 25, warning below 30, cap 50: "
                            "servers can activate, client OSes cannot",
                  "state": "CRITICAL",
                  "perfdata": [{"label": "Windows", "value": 18, "uom": "", "warn": floor(30),
                                "crit": floor(25), "min": 0, "max": 50}]},
                 {"output": "Forecast Windows: 14 active, 4 lapsing (all out of the count by "
                            "2026-12-02); count already critical",
                  "state": "OK",
                  "perfdata": [graph("Windows active", 14), graph("Windows lapsing", 4)]},
             ]},
            {"output": "Office 2013+ 8 OK", "state": "OK",
             "checks": [
                 {"output": "Office 2013+: count 8, critical below 5, warning below 7, cap 10: "
                            "Office can activate",
                  "state": "OK",
                  "perfdata": [{"label": "Office 2013+", "value": 8, "uom": "",
                                "warn": floor(7), "crit": floor(5), "min": 0, "max": 10}]},
                 {"output": "Forecast Office 2013+: 8 active, none lapsing; count stays at 5 "
                            "or more",
                  "state": "OK",
                  "perfdata": [graph("Office 2013+ active", 8),
                               graph("Office 2013+ lapsing", 0)]},
             ]},
        ],
    }, doc


def test_json_tree_forecast_warns(tmp_path):
    doc_path = generate(tmp_path, "--clients", 31, "--lapsing", 9, "--lapse-day", 3)
    text, doc = harness.run_formats(PLUGIN, "-u", doc_path)
    # the count (31, above its warning 30:) is OK; the forecast says WARNING
    head = ("Windows count 31 forecast to fall below 25 on 2026-11-28 (in 3 days): 9 clients "
            "stopped renewing")
    assert doc["state"] == "WARNING" and doc["summary"] == text.line1[len("KMS COUNT WARNING - "):]
    assert text.first == "KMS COUNT WARNING - " + head, text
    (p,) = doc["checks"]
    assert (p["output"], p["state"]) == (head, "WARNING"), p
    assert [(k["state"], k["output"]) for k in p["checks"]] == [
        ("OK", "Windows: count 31, critical below 25, warning below 30, cap 50: servers and "
               "clients can activate"),
        ("WARNING", "Forecast Windows: 22 active, 9 lapsing (all out of the count by "
                    "2026-11-28); forecast to fall below 25 on 2026-11-28 (in 3 days, "
                    "count 22)"),
    ], p
    assert [m["label"] for k in p["checks"] for m in k["perfdata"]] == [
        "Windows", "Windows active", "Windows lapsing"], p


def test_json_tree_leaf_products(tmp_path):
    """Not enabled and unclassifiable: leaves with an explicit state, no
    metric; the notes follow; no inventory, so no forecast child."""
    path = write_doc(tmp_path, [product(WIN, None), {"name": "Visio KMS", "current_count": 3},
                                product(O2013, 9)])
    text, doc = harness.run_formats(PLUGIN, "-u", path)
    assert doc == {
        "state": "CRITICAL",
        "summary": "Windows not enabled as a KMS host or no request received yet; +1 more",
        "checks": [
            {"output": "Windows: not enabled as a KMS host or no request received yet (no "
                       "current count)", "state": "CRITICAL"},
            {"output": '$.products[1] (name "Visio KMS", application_id absent): neither says '
                       "whether it is Windows or Office, so no threshold applies",
             "state": "UNKNOWN"},
            {"output": "Office 2013+ 9 OK", "state": "OK",
             "checks": [{"output": "Office 2013+: count 9, critical below 5, warning below 7, "
                                   "cap 10: Office can activate", "state": "OK",
                         "perfdata": [{"label": "Office 2013+", "value": 9, "uom": "",
                                       "warn": {"start": 7, "end": "inf",
                                                "alert_on_inside": False},
                                       "crit": {"start": 5, "end": "inf",
                                                "alert_on_inside": False},
                                       "min": 0, "max": 10}]}]},
        ],
        "notes": ["Forecast: no client inventory in the document"],
    }, doc
    assert text.long == [
        "[CRITICAL] Windows: not enabled as a KMS host or no request received yet (no "
        "current count)",
        '[UNKNOWN] $.products[1] (name "Visio KMS", application_id absent): neither says '
        "whether it is Windows or Office, so no threshold applies",
        "[OK] Office 2013+: count 9, critical below 5, warning below 7, cap 10: Office can "
        "activate",
        "Forecast: no client inventory in the document",
    ], text


@pytest.mark.parametrize("fmt", ["yaml", "YAML", "xml", ""])
def test_unknown_output_format(fmt):
    res = run(PLUGIN, "--output-format", fmt, "-u", os.path.join(SAMPLES, "healthy.json"))
    assert res.code == 3, res
    assert res.first == ("KMS COUNT UNKNOWN - unknown --output-format '%s' (text, json or "
                         "mp-test-json)" % fmt), res


# ---- clones behind the count (issue 18) ----------------------------------------

def _cloned(tmp_path, renewal_minutes=None, count=None):
    """cloned.json with the host's renewal interval and the Windows count
    changed; its path."""
    from fleetdocs import fleet_doc, product
    doc = fleet_doc("cloned.json", "kms01.corp.example")
    if renewal_minutes is not None:
        doc["host"]["renewal_interval_minutes"] = renewal_minutes
    if count is not None:
        product(doc, "windows")["current_count"] = count
    path = tmp_path / "cloned.json"
    path.write_text(json.dumps(doc))
    return str(path)


# The window is the host's renewal interval + 2 days, as check_kms_clients'
# default: 12 VDI clones within 2 h, 5 kiosks one day apart (1 d .. 5 d old),
# a rename (old name 44 d ago) that never counts.
@pytest.mark.parametrize("renewal_minutes, note", [
    (None, "Windows: 17 machines share 2 CMIDs: see check_kms_clients"),     # 7 d + 2 d
    (2 * 1440, "Windows: 15 machines share 2 CMIDs: see check_kms_clients"),  # 4 d: 3 kiosks
    (0, "Windows: 12 machines share 1 CMID: see check_kms_clients"),          # 2 d: 1 kiosk
])
def test_clones_named_when_below_threshold(tmp_path, renewal_minutes, note):
    res = run(PLUGIN, "-u", _cloned(tmp_path, renewal_minutes))
    assert res.code == 2, res
    assert res.first == "KMS COUNT CRITICAL - Windows 21/25 (clients cannot activate)", res
    # the count's own line first, the clones' line last (a note), once
    assert res.long[0] == ("[CRITICAL] Windows: count 21, critical below 25, warning below "
                           "30, cap 50: servers can activate, client OSes cannot"), res
    assert res.long[-1] == note, res
    assert sum("CMID" in line for line in res.long) == 1, res


def test_clones_not_named_when_the_count_is_fine(tmp_path):
    res = run(PLUGIN, "-u", _cloned(tmp_path, count=40))
    assert res.code == 0, res
    assert "CMID" not in res.stdout, res
