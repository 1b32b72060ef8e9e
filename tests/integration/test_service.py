"""Integration tests of check_kms_service (issue 6): host-side health of a KMS
host from its status document, one failure mode per document, alone and
combined, the samples, the perfdata counters and the document errors; and
(issue 16) the three output formats agreeing over every sample, documents
from generate.py and every finding in each state it can take.

Owns: documents built per test in tmp_path from packaging/samples/healthy.json
(a healthy base that each test breaks in one place), the exact output a
user would see, the JSON trees chosen, and an oracle of the state a
generated document asks for."""
import copy
import datetime
import glob
import json
import math
import os
import subprocess

import pytest

from harness import run, run_formats, SAMPLES, SAMPLE_NOW

PLUGIN = "check_kms_service"
HOST = "kms01.corp.example"
F038 = "0xC004F038"

with open(os.path.join(SAMPLES, "healthy.json"), encoding="utf-8") as _f:
    HEALTHY = json.load(_f)

HEALTHY_PERF = {
    "idle": "idle=840s;43200;;0",
    "Windows idle": "'Windows idle'=840s;172800;;0",
    "Office 2013+ idle": "'Office 2013+ idle'=2820s;172800;;0",
    "failing": "failing=0;0.14;0.7;0;7",
    "Windows requests total": "'Windows requests total'=5120c;;;0",
    "Windows requests failed": "'Windows requests failed'=0c;;;0",
    "Windows requests unlicensed": "'Windows requests unlicensed'=2c;;;0",
    "Windows requests licensed": "'Windows requests licensed'=5012c;;;0",
    "Windows requests oob_grace": "'Windows requests oob_grace'=98c;;;0",
    "Windows requests oot_grace": "'Windows requests oot_grace'=0c;;;0",
    "Windows requests non_genuine_grace": "'Windows requests non_genuine_grace'=0c;;;0",
    "Windows requests notification": "'Windows requests notification'=8c;;;0",
    "Office 2013+ requests total": "'Office 2013+ requests total'=1930c;;;0",
    "Office 2013+ requests failed": "'Office 2013+ requests failed'=0c;;;0",
    "Office 2013+ requests unlicensed": "'Office 2013+ requests unlicensed'=0c;;;0",
    "Office 2013+ requests licensed": "'Office 2013+ requests licensed'=1904c;;;0",
    "Office 2013+ requests oob_grace": "'Office 2013+ requests oob_grace'=26c;;;0",
    "Office 2013+ requests oot_grace": "'Office 2013+ requests oot_grace'=0c;;;0",
    "Office 2013+ requests non_genuine_grace":
        "'Office 2013+ requests non_genuine_grace'=0c;;;0",
    "Office 2013+ requests notification": "'Office 2013+ requests notification'=0c;;;0",
}

OK_FIRST = ("KMS SERVICE OK - kms01.corp.example: KMS running, host keys "
            "licensed, last request 14 min ago")


def base():
    return copy.deepcopy(HEALTHY)


def check(tmp_path, doc, *args, name="doc.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return run(PLUGIN, "-u", str(path), *args)


def event(eid, at, hresult="0x0", message="..."):
    return {"id": eid, "at": at, "hresult": hresult, "message": message}


def all_heard(doc, at="2026-11-25T13:00:00Z"):
    """Every client's last request at `at` (43 clients heard from), all fine."""
    for c in doc["clients"]:
        c["last_request_at"] = at
        c["last_result"] = "0x0"
    return doc


def fail(doc, codes, at="2026-11-25T13:30:00Z"):
    """The first clients fail their last request with codes (one per client)."""
    for c, code in zip(doc["clients"], codes):
        c["last_request_at"] = at
        c["last_result"] = code
    return doc


def perf_raw(res):
    return {k: v["raw"] for k, v in res.perf.items()}


# ---- the samples ------------------------------------------------------------

SAMPLE_CASES = [
    ("healthy.json", 0, OK_FIRST),
    ("dns-failure.json", 1, "KMS SERVICE WARNING - DNS publishing failing since 13:02 UTC (0x8007232A DNS server failure)"),
    ("below-threshold.json", 2, "KMS SERVICE CRITICAL - 8 of 10 clients failing: "
     "8 with 0xC004F038 (KMS count insufficient)"),
    ("expiring.json", 2, "KMS SERVICE CRITICAL - 14 of 16 clients failing: "
     "14 with 0xC004F038 (KMS count insufficient)"),
    ("not-kms.json", 2, "KMS SERVICE CRITICAL - KMS is not enabled on "
     "srv042.corp.example (clients get 0xC004F039)"),
    ("cloned.json", 2, "KMS SERVICE CRITICAL - 14 of 15 clients failing: "
     "14 with 0xC004F038 (KMS count insufficient)"),
    ("dns-domains.json", 1, "KMS SERVICE WARNING - DNS publishing failing for branch.example "
     "(0x8007232B) +1 more"),
]


@pytest.mark.parametrize("sample,code,first", SAMPLE_CASES)
def test_samples(sample, code, first):
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, sample))
    assert res.code == code, res
    assert res.first == first, res


def test_healthy_long_output_and_perfdata():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"))
    assert res.long == [
        "[OK] status document generated 2026-11-25 13:55 UTC (5 min ago)",
        "[OK] KMS enabled on kms01.corp.example, port 1688",
        "[OK] KMS service running",
        "[OK] host key Windows: licensed",
        "[OK] host key Office 2013+: licensed",
        "[OK] DNS publishing OK: 12294 at 2026-11-25 06:12 UTC",
        "[OK] no start or renewal-timer failure (12291/12292) within 1 d",
        "[OK] last activation request 2026-11-25 13:46 UTC, 14 min ago (idle limit 12 h)",
        "[OK] Windows: last activation request 2026-11-25 13:46 UTC, 14 min ago "
        "(product idle limit 2 d)",
        "[OK] Office 2013+: last activation request 2026-11-25 13:13 UTC, 47 min ago "
        "(product idle limit 2 d)",
        "[OK] failed requests: none of 7 clients heard from within 1 d failed (-w 2%, -c 10%)",
    ], res
    assert perf_raw(res) == HEALTHY_PERF, res
    # counters carry UOM c so a grapher draws rates
    assert all(v["uom"] == "c" for k, v in res.perf.items() if " requests " in k)


def test_not_kms_sample_notes():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "not-kms.json"))
    assert "idle time and failed requests not judged: KMS is not enabled" in res.long, res
    assert ("DNS publishing is off: clients find this host only when pointed at it "
            "(slmgr /skms); --require-dns-publishing alerts on it") in res.long, res
    assert res.perf == {}, res  # requests null, no inventory judged


def test_expiring_ignores_failure_outside_lookback():
    # one of the 15 failing clients last asked on 2026-11-23: outside 24 h
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "expiring.json"), "--lookback", "3d")
    assert res.first.startswith("KMS SERVICE CRITICAL - 15 of "), res


# ---- freshness -----------------------------------------------------------------

def test_stale_is_unknown(tmp_path):
    doc = base()
    doc["generated_at"] = "2026-11-25T11:50:00Z"
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - status document is 2 h 10 min old "
                         "(generated 2026-11-25 11:50 UTC, max 1 h): is the exporter's "
                         "scheduled task running?"), res


def test_stale_state_and_max_age(tmp_path):
    doc = base()
    doc["generated_at"] = "2026-11-25T11:50:00Z"
    assert check(tmp_path, doc, "--stale-state", "critical").code == 2
    assert check(tmp_path, doc, "--max-age", "3h").first == OK_FIRST


def test_future_dated_is_unknown(tmp_path):
    doc = base()
    doc["generated_at"] = "2026-11-25T16:00:00Z"
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert "status document is dated 2 h in the future" in res.summary, res
    assert "check the clocks" in res.summary, res


def test_slightly_future_dated_is_ok(tmp_path):
    doc = base()
    doc["generated_at"] = "2026-11-25T14:03:00Z"
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.long[0] == ("[OK] status document generated 2026-11-25 14:03 UTC "
                           "(3 min in the future, within the 5 min allowed)"), res


# ---- KMS enabled, service ---------------------------------------------------------

def test_not_enabled(tmp_path):
    doc = base()
    doc["host"]["kms_enabled"] = False
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - KMS is not enabled on kms01.corp.example "
                         "(clients get 0xC004F039)"), res
    assert res.long[0] == ("[CRITICAL] KMS is not enabled on kms01.corp.example "
                           "(clients get 0xC004F039)"), res


def test_enabled_absent_is_noted(tmp_path):
    doc = base()
    del doc["host"]["kms_enabled"]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert "KMS enabled: not reported (host.kms_enabled absent)" in res.long, res
    assert res.first == OK_FIRST.replace("KMS running", "service running"), res


def test_license_status_absent_is_not_called_unlicensed(tmp_path):
    """An OK first line must not read "0 of 2 host keys licensed" when the
    document just does not report the license status."""
    doc = base()
    for p in doc["products"]:
        p["license_status"] = None
    res = check(tmp_path, doc)
    assert res.code == 0, res
    # the last request no longer fits within 100 characters: it is in the long output
    assert res.first == ("KMS SERVICE OK - kms01.corp.example: KMS running, host key status "
                         "not reported"), res
    del doc["products"][1]["license_status"]
    doc["products"][0]["license_status"] = 1
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.first == ("KMS SERVICE OK - kms01.corp.example: KMS running, 1 of 2 host keys "
                         "licensed, 1 not reported"), res


@pytest.mark.parametrize("state", ["stopped", "start_pending"])
def test_service_not_running(tmp_path, state):
    doc = base()
    doc["host"]["service_state"] = state
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == "KMS SERVICE CRITICAL - KMS service %s" % state, res
    assert res.long[0] == ("[CRITICAL] KMS service is %s, not running: clients find no "
                           "KMS (0xC004F074)" % state), res


# ---- host license -------------------------------------------------------------

@pytest.mark.parametrize("status,name", [(2, "OOB grace"), (3, "OOT grace"),
                                         (4, "non-genuine grace"), (6, "extended grace")])
def test_host_in_grace(tmp_path, status, name):
    doc = base()
    doc["products"][0]["license_status"] = status
    doc["products"][0]["grace_remaining_minutes"] = 43200 + 180
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - Windows host key in %s, 30 d 3 h left"
                         % name), res
    assert res.long[0] == ("[WARNING] host key Windows: %s, 30 d 3 h left before clients "
                           "get 0xC004F041" % name), res


def test_host_in_grace_time_unknown(tmp_path):
    doc = base()
    doc["products"][1]["license_status"] = 2
    del doc["products"][1]["grace_remaining_minutes"]
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - Office 2013+ host key in OOB grace, "
                         "unknown time left"), res


@pytest.mark.parametrize("status,name", [(0, "unlicensed"), (5, "notification")])
def test_host_not_activated(tmp_path, status, name):
    doc = base()
    doc["products"][0]["license_status"] = status
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - Windows host key not activated (%s): "
                         "clients get 0xC004F041" % name), res
    assert res.long[0] == ("[CRITICAL] host key Windows: %s, not activated: clients get "
                           "0xC004F041 (KMS host not activated)" % name), res


def test_both_host_keys_bad_named_worst_first(tmp_path):
    doc = base()
    doc["products"][0]["license_status"] = 2
    doc["products"][0]["grace_remaining_minutes"] = 90
    doc["products"][1]["license_status"] = 0
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE CRITICAL - Office 2013+ host key not activated "
                         "(unlicensed): clients get 0xC004F041; +1 more"), res
    # the second phrase is in the long output, worst first
    assert res.long[0].startswith("[CRITICAL] host key Office 2013+: unlicensed"), res
    assert res.long[1].startswith("[WARNING] host key Windows: OOB grace"), res


# ---- DNS publishing --------------------------------------------------------------

def test_12293_after_12294(tmp_path):
    doc = base()
    doc["events"] = [event(12294, "2026-11-24T09:10:00Z"),
                     event(12293, "2026-11-25T13:02:11Z", "0x8007232A")]
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing since "
                         "13:02 UTC (0x8007232A DNS server failure)"), res
    assert res.long[0] == ("[WARNING] DNS publishing: 12293 at 2026-11-25 13:02 UTC "
                           "(0x8007232A DNS server failure) after the last 12294 at "
                           "2026-11-24 09:10 UTC"), res


def test_several_12293_since_first(tmp_path):
    doc = base()
    doc["events"] = [event(12293, "2026-11-25T13:02:11Z", "0x8007232B"),
                     event(12294, "2026-11-24T09:10:00Z"),
                     event(12293, "2026-11-25T10:00:00Z", "0x8007232A"),
                     event(12293, "2026-11-24T08:00:00Z", "0x8007232A")]
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing since "
                         "10:00 UTC (0x8007232B DNS name does not exist)"), res
    assert res.long[0] == ("[WARNING] DNS publishing: 12293 at 2026-11-25 13:02 UTC "
                           "(0x8007232B DNS name does not exist) after the last 12294 at "
                           "2026-11-24 09:10 UTC; 2 failures since 2026-11-25 10:00 UTC"), res


def test_12293_without_any_12294(tmp_path):
    doc = base()
    doc["events"] = [event(12293, "2026-11-25T13:02:11Z", "0x12345678")]
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing since "
                         "13:02 UTC (0x12345678)"), res
    assert res.long[0] == ("[WARNING] DNS publishing: 12293 at 2026-11-25 13:02 UTC "
                           "(0x12345678), no 12294 (published) in the document"), res


def test_12294_after_12293(tmp_path):
    doc = base()
    doc["events"] = [event(12293, "2026-11-25T13:02:11Z", "0x8007232A"),
                     event(12294, "2026-11-25T13:40:00Z")]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.first == OK_FIRST, res
    assert ("[OK] DNS publishing OK: 12294 at 2026-11-25 13:40 UTC after the 12293 at "
            "2026-11-25 13:02 UTC") in res.long, res


def test_12293_outside_lookback(tmp_path):
    doc = base()
    doc["events"] = [event(12294, "2026-11-22T09:10:00Z"),
                     event(12293, "2026-11-24T13:59:00Z", "0x8007232A")]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert ("[OK] DNS publishing: last 12293 at 2026-11-24 13:59 UTC is older than the "
            "lookback (1 d)") in res.long, res
    # one minute inside a longer lookback, it alerts again
    res = check(tmp_path, doc, "--lookback", "1441m")
    assert res.code == 1, res
    assert res.first.startswith("KMS SERVICE WARNING - DNS publishing failing since "
                                "2026-11-24 13:59"), res


def test_publishing_off_is_noted(tmp_path):
    doc = base()
    doc["host"]["dns_publishing"] = False
    doc["events"].append(event(12293, "2026-11-25T13:02:11Z", "0x8007232A"))
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.first == OK_FIRST.replace("DNS publishing OK", "DNS publishing off"), res
    assert ("DNS publishing is off: clients find this host only when pointed at it "
            "(slmgr /skms); --require-dns-publishing alerts on it") in res.long, res


def test_publishing_off_required(tmp_path):
    doc = base()
    doc["host"]["dns_publishing"] = False
    res = check(tmp_path, doc, "--require-dns-publishing")
    assert res.code == 1, res
    assert res.first == "KMS SERVICE WARNING - DNS publishing is off", res
    assert res.long[0] == ("[WARNING] DNS publishing is off on kms01.corp.example: "
                           "clients find it only when pointed at it (slmgr /skms)"), res


def test_publishing_on_required_is_ok(tmp_path):
    res = check(tmp_path, base(), "--require-dns-publishing")
    assert res.first == OK_FIRST, res


def test_no_events_in_document(tmp_path):
    doc = base()
    del doc["events"]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert "[OK] DNS publishing on (no event log in the document to confirm it)" in res.long
    assert "no event log in the document: 12291/12292/12293/12294 not checked" in res.long


# ---- 12291, 12292 ----------------------------------------------------------------

def test_12291_within_lookback(tmp_path):
    doc = base()
    doc["events"].append(event(12291, "2026-11-25T12:00:00Z", "0x80070005"))
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - KMS failed to start (12291) at "
                         "2026-11-25 12:00 UTC (0x80070005)"), res
    assert res.long[0] == ("[CRITICAL] KMS failed to start (12291) at 2026-11-25 12:00 UTC "
                           "(0x80070005)"), res


def test_12291_outside_lookback(tmp_path):
    doc = base()
    doc["events"].append(event(12291, "2026-11-24T13:59:59Z", "0x80070005"))
    res = check(tmp_path, doc)
    assert res.first == OK_FIRST, res
    assert "[OK] no start or renewal-timer failure (12291/12292) within 1 d" in res.long


def test_12292_counted(tmp_path):
    doc = base()
    doc["events"] += [event(12292, "2026-11-25T09:00:00Z", None),
                      event(12292, "2026-11-25T11:30:00Z", "0x0")]
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - renewal timer could not be initialised "
                         "(12292) at 2026-11-25 11:30 UTC, 2 times within 1 d"), res


# ---- idle --------------------------------------------------------------------------

def test_idle_boundary(tmp_path):
    # exactly --idle minutes (720) is still fine
    res = check(tmp_path, all_heard(base(), "2026-11-25T02:00:00Z"))
    assert res.code == 0, res
    assert res.perf["idle"]["raw"] == "idle=43200s;43200;;0", res
    assert res.first.endswith("last request 12 h ago"), res
    # one minute more is idle
    res = check(tmp_path, all_heard(base(), "2026-11-25T01:59:00Z"))
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - idle 12 h 1 min: no activation request "
                         "since 2026-11-25 01:59 UTC (limit 12 h)"), res
    assert res.long[0] == ("[WARNING] idle: no activation request since 2026-11-25 01:59 UTC"
                           ", 12 h 1 min ago (limit 12 h)"), res
    assert res.perf["idle"]["raw"] == "idle=43260s;43200;;0", res


def test_idle_option(tmp_path):
    doc = base()  # newest request 13:46, 14 min ago
    assert check(tmp_path, doc, "--idle", "15").code == 0
    res = check(tmp_path, doc, "--idle", "13")
    assert res.first == ("KMS SERVICE WARNING - idle 14 min: no activation request since "
                         "2026-11-25 13:46 UTC (limit 13 min)"), res
    assert res.perf["idle"]["raw"] == "idle=840s;780;;0", res
    res = check(tmp_path, all_heard(base(), "2026-11-01T00:00:00Z"), "--idle", "0")
    assert res.code == 0, res
    assert "idle check off (--idle 0)" in res.long, res
    assert "idle" not in res.perf


def test_no_client_inventory(tmp_path):
    doc = base()
    del doc["clients"]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.first == OK_FIRST.replace("last request 14 min ago", "no client inventory")
    assert "idle time unknown: no client inventory" in res.long, res
    assert "failed requests unknown: no client inventory" in res.long, res
    assert "idle" not in res.perf and "failing" not in res.perf, res


def test_empty_inventory_is_idle(tmp_path):
    doc = base()
    doc["clients"] = []
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == "KMS SERVICE WARNING - idle: no activation request recorded", res


# ---- failing clients ----------------------------------------------------------------

def test_failing_default_percent_boundaries(tmp_path):
    # 43 clients heard from: WARNING above 2 % (0.86), CRITICAL above 10 % (4.3)
    res = check(tmp_path, all_heard(base()))
    assert res.code == 0, res
    assert res.perf["failing"]["raw"] == "failing=0;0.86;4.3;0;43", res
    res = check(tmp_path, fail(all_heard(base()), [F038]))
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - 1 of 43 clients failing: 1 with 0xC004F038 "
                         "(KMS count insufficient)"), res
    assert res.long[0] == ("[WARNING] failed requests: 1 of 43 clients heard from within "
                           "1 d failed their last request (-w 2%, -c 10%)"), res
    assert "Failing last request: 1 client with 0xC004F038 (KMS count insufficient)" in res.long
    assert check(tmp_path, fail(all_heard(base()), [F038] * 4)).code == 1
    res = check(tmp_path, fail(all_heard(base()), [F038] * 5))
    assert res.code == 2, res
    assert res.perf["failing"]["raw"] == "failing=5;0.86;4.3;0;43", res


def test_failing_absolute_ranges(tmp_path):
    doc = all_heard(base())
    assert check(tmp_path, fail(copy.deepcopy(doc), [F038] * 2), "-w", "2", "-c", "5").code == 0
    res = check(tmp_path, fail(copy.deepcopy(doc), [F038] * 3), "-w", "2", "-c", "5")
    assert res.code == 1, res
    assert res.perf["failing"]["raw"] == "failing=3;2;5;0;43", res
    assert check(tmp_path, fail(copy.deepcopy(doc), [F038] * 5), "-w", "2", "-c", "5").code == 1
    assert check(tmp_path, fail(copy.deepcopy(doc), [F038] * 6), "-w", "2", "-c", "5").code == 2
    # -w 0: any failing client warns; one of -w/-c drops both defaults
    res = check(tmp_path, fail(copy.deepcopy(doc), [F038] * 30), "-w", "0")
    assert res.code == 1, res
    assert res.perf["failing"]["raw"] == "failing=30;0;;0;43", res


def test_failing_grouped_by_hresult(tmp_path):
    codes = [F038] * 3 + ["0xC004F06C"] * 2 + ["0x80070005"]
    res = check(tmp_path, fail(all_heard(base()), codes), "-w", "5", "-c", "10")
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - 6 of 43 clients failing: 3 with 0xC004F038 "
                         "(KMS count insufficient), 2 with 0xC004F06C (client time outside "
                         "the validity window) and 1 more code"), res
    # by code, then by edition: the healthy sample's SKU ids are not in the
    # table, so they are named by id (and never on line 1)
    assert res.long[-6:] == [
        "Failing last request: 3 clients with 0xC004F038 (KMS count insufficient)",
        "3 x SKU 5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e02: KMS count insufficient",
        "Failing last request: 2 clients with 0xC004F06C (client time outside the "
        "validity window)",
        "2 x SKU 5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01: client time outside the "
        "validity window",
        "Failing last request: 1 client with 0x80070005",
        "1 x SKU 5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01",
    ], res


def test_failing_outside_lookback_not_counted(tmp_path):
    doc = fail(base(), [F038] * 10, at="2026-11-24T13:00:00Z")
    res = check(tmp_path, doc)
    assert res.code == 0, res
    # the 10 moved back a day: 3 of the 7 recent clients remain
    assert res.perf["failing"]["raw"] == "failing=0;0.06;0.3;0;3", res
    res = check(tmp_path, doc, "--lookback", "2d")
    assert res.code == 2, res
    assert res.first.startswith("KMS SERVICE CRITICAL - 10 of "), res


def test_failing_below_threshold_named_in_ok_line(tmp_path):
    res = check(tmp_path, fail(all_heard(base()), [F038]), "-w", "3")
    assert res.code == 0, res
    assert res.first == OK_FIRST.replace("last request 14 min ago", "1 client failing"), res


# ---- combined ------------------------------------------------------------------

def test_combined_worst_first(tmp_path):
    doc = all_heard(base(), "2026-11-25T00:41:00Z")
    doc["host"]["service_state"] = "stopped"
    doc["products"][0]["license_status"] = 3
    doc["products"][0]["grace_remaining_minutes"] = 600
    doc["events"] = [event(12294, "2026-11-24T09:10:00Z"),
                     event(12293, "2026-11-25T13:02:11Z", "0x8007232A"),
                     event(12292, "2026-11-25T05:00:00Z")]
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == (
        "KMS SERVICE CRITICAL - KMS service stopped; Windows host key in OOT grace, 10 h "
        "left; +3 more"), res
    states = [line.split("]")[0] + "]" for line in res.long if line.startswith("[")]
    # the OK ones: document, enabled, 12291/12292 none, Windows and Office idle
    # per product, failed requests
    assert states == ["[CRITICAL]"] + ["[WARNING]"] * 4 + ["[OK]"] * 6, res


def test_combined_all_warnings_named(tmp_path):
    doc = fail(all_heard(base(), "2026-11-25T00:41:00Z"), [F038] * 2)
    doc["events"].append(event(12293, "2026-11-25T13:02:11Z", "0x8007232A"))
    res = check(tmp_path, doc, "--idle", "20", "-w", "1", "-c", "5")
    assert res.code == 1, res
    assert res.first == (
        "KMS SERVICE WARNING - DNS publishing failing since 13:02 UTC (0x8007232A "
        "DNS server failure); +2 more"), res
    assert [line[:9] for line in res.long[:3]] == ["[WARNING]"] * 3, res


def test_combined_not_enabled_and_unlicensed(tmp_path):
    doc = base()
    doc["host"]["kms_enabled"] = False
    doc["products"][0]["license_status"] = 0
    doc["events"].append(event(12291, "2026-11-25T13:00:00Z"))
    res = check(tmp_path, doc)
    assert res.code == 2, res
    assert res.first == (
        "KMS SERVICE CRITICAL - KMS is not enabled on kms01.corp.example (clients get "
        "0xC004F039); +2 more"), res


# ---- document and option errors ------------------------------------------------------

def test_document_errors(tmp_path):
    doc = base()
    del doc["host"]["name"]
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert res.first == "KMS SERVICE UNKNOWN - status document %s: $.host.name: missing" % (
        tmp_path / "doc.json"), res

    doc = base()
    doc["host"]["kms_enabled"] = "yes"
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert "$.host.kms_enabled" in res.summary, res

    doc = base()
    doc["clients"][3]["last_request_at"] = "yesterday"
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert "$.clients[3].last_request_at" in res.summary, res

    doc = base()
    doc["products"][0]["license_status"] = 9
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert res.summary.endswith("$.products[0].license_status: 9 is not a license state "
                                "(0..6)"), res

    doc = base()
    doc["version"] = 2
    res = check(tmp_path, doc)
    assert res.code == 3, res
    assert "format version 2 is newer than this plugin understands (1)" in res.summary, res

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "kms-status", "version": 1,')
    res = run(PLUGIN, "-u", str(bad))
    assert res.code == 3 and "invalid JSON" in res.summary, res

    res = run(PLUGIN, "-u", str(tmp_path / "missing.json"))
    assert res.code == 3, res
    assert "No such file or directory" in res.summary, res


@pytest.mark.parametrize("args,message", [
    (["--idle", "abc"], "--idle"),
    (["--idle", "-5"], "--idle"),
    (["--lookback", "0"], "--lookback"),
    (["--lookback", "soon"], "soon"),
    (["-c", "2:1"], 'invalid range for -c: "2:1" (start is greater than end)'),
    (["-w", "x%"], "-w"),
])
def test_bad_options(args, message):
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"), *args)
    assert res.code == 3, res
    assert message in res.summary, res


def test_no_url():
    res = run(PLUGIN)
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - no status document given: use -u URL "
                         "(http, https, file or a path)"), res


def test_help_documents_defaults():
    res = run(PLUGIN, "--help", check_contract=False)
    assert res.code == 0, res
    for text in ("--lookback", "--idle", "--require-dns-publishing", "Default 24h",
                 "default 720", "Default -w 2% -c 10%", "5,000"):
        assert text in res.stdout, text


# ---- a large inventory stays in flat memory -----------------------------------------

def test_large_inventory_flat_memory(tmp_path):
    import subprocess
    from harness import plugin, sanitized, UNDER_VALGRIND
    if UNDER_VALGRIND or sanitized(PLUGIN):
        # valgrind's and ASan's own memory is not the plugin's
        pytest.skip("memory is measured in the plain build")
    out = tmp_path / "50k.json"
    subprocess.run(["/usr/bin/python3", os.path.join(SAMPLES, "generate.py"), "--clients",
                    "50000", "--seed", "3", "--now", "2026-11-25T14:00:00Z", "--out",
                    str(out)], check=True, timeout=120)
    assert out.stat().st_size > 15_000_000
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M", plugin(PLUGIN), "-u", str(out)],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, KMS_PLUGINS_NOW="2026-11-25T14:00:00Z"))
    assert proc.stdout.startswith("KMS SERVICE CRITICAL - "), proc
    assert " clients failing: " in proc.stdout.split("\n")[0], proc
    rss_kb = int(proc.stderr.strip().rsplit("maxrss=", 1)[1])
    assert rss_kb < 16 * 1024, "check_kms_service used %d KB on a 50k-client document" % rss_kb


# ---- over https (nginx peer) --------------------------------------------------

DNS_FAILURE_FIRST = SAMPLE_CASES[1][2]


def _serve_dns_failure(nginx):
    nginx.put_sample("dns-failure.json", "service/dns-failure.json",
                     "auth/service/dns-failure.json")


def test_https_sample_with_cacert_and_basic_auth(nginx):
    _serve_dns_failure(nginx)
    res = run(PLUGIN, "-u", nginx.https_url("/service/dns-failure.json"), "--cacert", nginx.ca)
    assert res.code == 1, res
    assert res.first == DNS_FAILURE_FIRST, res
    res = run(PLUGIN, "-u", nginx.https_url("/auth/service/dns-failure.json"),
              "--cacert", nginx.ca, "--auth-file", nginx.auth_file)
    assert res.code == 1, res
    assert res.first == DNS_FAILURE_FIRST, res
    assert nginx.password not in res.stdout + res.stderr, res


def test_https_wrong_ca_is_unknown_with_tls_message(nginx):
    _serve_dns_failure(nginx)
    url = nginx.https_url("/service/dns-failure.json")
    res = run(PLUGIN, "-u", url, "--cacert", nginx.wrong_ca)
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - TLS: unknown CA for %s"
                         % url), res


# ---- the three output formats (issue 16): text, json and mp-test-json agree -------
#
# run_formats asserts for every run that the formats agree (state, summary,
# every perfdata label and value, in order), that both JSON documents
# validate against packaging/schema/check-output.schema.json, and that no
# metric is over its warn/crit under a better state. The tree chosen: one
# top-level subcheck per finding (no children); the idle metric on the idle
# subcheck, the failing metric and the request counters on the
# failed-requests subcheck (without one, the counters on the status
# document's).

GENERATE = os.path.join(SAMPLES, "generate.py")
STATE_CODE = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}


def epoch(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


NOW_S = epoch(SAMPLE_NOW)


def tree(checks):
    """A JSON tree as (output, state, perfdata labels[, children]) tuples."""
    out = []
    for sc in checks:
        node = (sc["output"], sc["state"], [pd["label"] for pd in sc.get("perfdata", [])])
        if sc.get("checks"):
            node += (tree(sc["checks"]),)
        out.append(node)
    return out


def assert_leaves(text, doc):
    """The text's [STATE] lines are the JSON's subchecks, worst first and
    stable within a state: every finding is one leaf, none nested, but DNS
    publishing per domain (issue 19, a document naming domains), whose
    children are one per domain and whose own line is theirs."""
    leaves = []
    for sc in doc["checks"]:
        if "checks" in sc:
            assert sc["output"].startswith("DNS publishing in "), sc
            assert all("checks" not in k for k in sc["checks"]), sc
        leaves += sc.get("checks", [sc])
    order = sorted(leaves, key=lambda sc: -RANK[sc["state"]])
    want = ["[%s] %s" % (sc["state"], sc["output"]) for sc in order]
    assert [line for line in text.long if line.startswith("[")] == want, (text, doc)


SAMPLE_FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SAMPLES, "*.json")))


def test_formats_cover_every_sample():
    assert SAMPLE_FILES == sorted(s for s, _, _ in SAMPLE_CASES)


@pytest.mark.parametrize("sample", SAMPLE_FILES)
@pytest.mark.parametrize("args", [[], ["-w", "0"], ["-w", "20%", "-c", "90%"], ["--idle", "0"],
                                  ["--idle", "5"], ["--require-dns-publishing"]])
def test_formats_samples(sample, args):
    text, doc = run_formats(PLUGIN, "-u", os.path.join(SAMPLES, sample), *args)
    if not args:
        code = dict((s, c) for s, c, _ in SAMPLE_CASES)[sample]
        assert text.code == code, text
    assert_leaves(text, doc)


# Generated documents: the state follows from the inventory alone (every
# host aspect of generate.py is healthy, its one event a 12294), which the
# oracle below computes from the document, independently of the plugin.

GEN_SETS = {
    "empty": ["--clients", "0", "--seed", "1"],
    "mixed-10": ["--clients", "10", "--seed", "1"],
    "mixed-2000": ["--clients", "2000", "--seed", "5"],
    "windows-300": ["--clients", "300", "--seed", "2", "--profile", "windows-only"],
    "servers-120": ["--clients", "120", "--seed", "3", "--profile", "servers-only"],
    "active-60": ["--clients", "60", "--seed", "4", "--lapsing", "1", "--lapse-day", "20"],
}

GEN_ARGS = [
    [], ["-w", "0"], ["-w", "5", "-c", "50"], ["-w", "10%", "-c", "30%"], ["-c", "1"],
    ["-w", "@0:3"], ["--idle", "0"], ["--idle", "1"], ["--idle", "600", "--lookback", "3d"],
    ["--lookback", "2h", "-w", "1:"],
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    d = tmp_path_factory.mktemp("generated")
    paths = {}
    for name, gen in GEN_SETS.items():
        path = d / (name + ".json")
        subprocess.run(["/usr/bin/python3", GENERATE, *gen, "--now", SAMPLE_NOW,
                        "--out", str(path)], check=True, timeout=120)
        paths[name] = str(path)
    return paths


def violates(text, value, total):
    """A Nagios range (range.h syntax; a bound in % is of total) alerts on value."""
    inside = text.startswith("@")
    t = text.lstrip("@")
    lo, hi = t.split(":", 1) if ":" in t else ("0", t)

    def bound(s, inf):
        if s in ("", "~"):
            return inf
        v = float(s.rstrip("%"))
        return v * total / 100.0 if s.endswith("%") else v

    within = bound(lo, -math.inf) <= value <= bound(hi, math.inf)
    return within if inside else not within


def expected_state(path, args):
    """The state the inventory asks for: idle and failed requests."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    opt = dict(zip(args[::2], args[1::2]))
    lookback = {"": 86400, "3d": 3 * 86400, "2h": 7200}[opt.get("--lookback", "")]
    idle_min = int(opt.get("--idle", 720))
    times = [epoch(c["last_request_at"]) for c in doc["clients"] if c.get("last_request_at")]
    heard = [c for c in doc["clients"]
             if c.get("last_request_at") and epoch(c["last_request_at"]) >= NOW_S - lookback]
    failing = sum(1 for c in heard if int(c["last_result"], 16) != 0)
    warn, crit = opt.get("-w"), opt.get("-c")
    if warn is None and crit is None:
        warn, crit = "2%", "10%"
    state = "OK"
    if crit and violates(crit, failing, len(heard)):
        state = "CRITICAL"
    elif warn and violates(warn, failing, len(heard)):
        state = "WARNING"
    if idle_min and (not times or math.floor(max(0, NOW_S - max(times))) > 60 * idle_min):
        state = max(state, "WARNING", key=RANK.get)
    return state


@pytest.mark.parametrize("args", GEN_ARGS, ids=" ".join)
@pytest.mark.parametrize("name", sorted(GEN_SETS))
def test_formats_generated(generated, name, args):
    text, doc = run_formats(PLUGIN, "-u", generated[name], *args)
    assert text.state == expected_state(generated[name], args), (text, doc)
    assert_leaves(text, doc)
    by_label = {pd["label"]: sc for sc in doc["checks"] for pd in sc.get("perfdata", [])}
    if "failing" in by_label:
        assert by_label["failing"]["output"].startswith("failed requests: "), doc
    if "idle" in by_label:
        assert " activation request " in by_label["idle"]["output"], doc


def test_generated_class_reaches_every_inventory_state(generated):
    """The oracle is not blind: the class above holds OK, WARNING and CRITICAL."""
    seen = {expected_state(generated[n], a) for n in GEN_SETS for a in GEN_ARGS}
    assert seen == {"OK", "WARNING", "CRITICAL"}, seen


def _nothing(doc):
    return doc


def _set(path, value):
    def change(doc):
        *parents, key = path
        node = doc
        for p in parents:
            node = node[p]
        if value is KeyError:
            del node[key]
        else:
            node[key] = value
        return doc
    return change


def _events(*evs):
    def change(doc):
        doc["events"] = doc["events"] + list(evs)
        return doc
    return change


def _combined(doc):
    doc = all_heard(doc, "2026-11-25T00:41:00Z")
    doc["host"]["service_state"] = "stopped"
    doc["products"][0]["license_status"] = 3
    doc["products"][0]["grace_remaining_minutes"] = 600
    doc["events"] = [event(12294, "2026-11-24T09:10:00Z"),
                     event(12293, "2026-11-25T13:02:11Z", "0x8007232A"),
                     event(12292, "2026-11-25T05:00:00Z")]
    return doc


# Every finding, in each state it can take: (id, change to healthy.json, args, state).
# UNKNOWN is reached through the document and the options only: the loader
# refuses a license status outside 0..6, the one finding of its own that
# could say UNKNOWN.
FINDINGS = [
    ("healthy", _nothing, [], "OK"),
    ("enabled absent", _set(["host", "kms_enabled"], KeyError), [], "OK"),
    ("not enabled", _set(["host", "kms_enabled"], False), [], "CRITICAL"),
    ("port absent", _set(["host", "port"], KeyError), [], "OK"),
    ("service stopped", _set(["host", "service_state"], "stopped"), [], "CRITICAL"),
    ("service absent", _set(["host", "service_state"], KeyError), [], "OK"),
    ("OOB grace", _set(["products", 0, "license_status"], 2), [], "WARNING"),
    ("unlicensed", _set(["products", 1, "license_status"], 0), [], "CRITICAL"),
    ("notification", _set(["products", 0, "license_status"], 5), ["-v"], "CRITICAL"),
    ("license absent", _set(["products", 0, "license_status"], None), [], "OK"),
    ("no products", _set(["products"], []), [], "OK"),
    ("12293 failing", _events(event(12293, "2026-11-25T13:02:11Z", "0x8007232A")), [], "WARNING"),
    ("12293 at the look-back boundary",
     _set(["events"], [event(12294, "2026-11-23T09:00:00Z"), event(12293, "2026-11-24T14:00:00Z")]),
     [], "WARNING"),
    ("12293 past the look-back",
     _set(["events"], [event(12294, "2026-11-23T09:00:00Z"), event(12293, "2026-11-24T13:59:59Z")]),
     [], "OK"),
    ("12294 after 12293", _events(event(12293, "2026-11-25T05:00:00Z"),
                                  event(12294, "2026-11-25T05:10:00Z")), [], "OK"),
    ("no 12293/12294", _set(["events"], []), [], "OK"),
    ("no event log", _set(["events"], KeyError), [], "OK"),
    ("publishing off", _set(["host", "dns_publishing"], False), [], "OK"),
    ("publishing off, required", _set(["host", "dns_publishing"], False),
     ["--require-dns-publishing"], "WARNING"),
    ("publishing absent", _set(["host", "dns_publishing"], KeyError), [], "OK"),
    ("12291", _events(event(12291, "2026-11-25T12:00:00Z", "0x80070005")), [], "CRITICAL"),
    ("12292 twice", _events(event(12292, "2026-11-25T09:00:00Z", None),
                            event(12292, "2026-11-25T11:30:00Z")), [], "WARNING"),
    ("idle at the limit", lambda d: all_heard(d, "2026-11-25T02:00:00Z"), [], "OK"),
    ("idle past the limit", lambda d: all_heard(d, "2026-11-25T01:59:00Z"), [], "WARNING"),
    ("idle off", lambda d: all_heard(d, "2026-11-01T00:00:00Z"), ["--idle", "0"], "OK"),
    ("empty inventory", _set(["clients"], []), [], "WARNING"),
    ("no inventory", _set(["clients"], KeyError), [], "OK"),
    ("failing under -w", lambda d: fail(all_heard(d), [F038]), ["-w", "3"], "OK"),
    ("failing over -w", lambda d: fail(all_heard(d), [F038]), [], "WARNING"),
    ("failing over -c", lambda d: fail(all_heard(d), [F038] * 5), [], "CRITICAL"),
    ("failing at -c", lambda d: fail(all_heard(d), [F038] * 5), ["-w", "2", "-c", "5"], "WARNING"),
    ("combined", _combined, [], "CRITICAL"),
    ("stale", _set(["generated_at"], "2026-11-25T11:50:00Z"), [], "UNKNOWN"),
    ("stale, --stale-state critical", _set(["generated_at"], "2026-11-25T11:50:00Z"),
     ["--stale-state", "critical"], "CRITICAL"),
    ("future", _set(["generated_at"], "2026-11-25T16:00:00Z"), [], "UNKNOWN"),
    ("bad -c", _nothing, ["-c", "2:1"], "UNKNOWN"),
    ("format version 2", _set(["version"], 2), [], "UNKNOWN"),
]


@pytest.mark.parametrize("change,args,state", [f[1:] for f in FINDINGS],
                         ids=[f[0] for f in FINDINGS])
def test_formats_findings(tmp_path, change, args, state):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(change(base())))
    text, doc = run_formats(PLUGIN, "-u", str(path), *args)
    assert text.state == state, (text, doc)
    assert text.code == STATE_CODE[state]
    assert_leaves(text, doc)


HEALTHY_COUNTERS = [k for k in HEALTHY_PERF if " requests " in k]


def test_json_tree_healthy():
    text, doc = run_formats(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"))
    assert doc["state"] == "OK"
    assert doc["summary"] == OK_FIRST[len("KMS SERVICE OK - "):]
    assert tree(doc["checks"]) == [
        ("status document generated 2026-11-25 13:55 UTC (5 min ago)", "OK", []),
        ("KMS enabled on kms01.corp.example, port 1688", "OK", []),
        ("KMS service running", "OK", []),
        ("host key Windows: licensed", "OK", []),
        ("host key Office 2013+: licensed", "OK", []),
        ("DNS publishing OK: 12294 at 2026-11-25 06:12 UTC", "OK", []),
        ("no start or renewal-timer failure (12291/12292) within 1 d", "OK", []),
        ("last activation request 2026-11-25 13:46 UTC, 14 min ago (idle limit 12 h)", "OK",
         ["idle"]),
        ("Windows: last activation request 2026-11-25 13:46 UTC, 14 min ago (product idle "
         "limit 2 d)", "OK", ["Windows idle"]),
        ("Office 2013+: last activation request 2026-11-25 13:13 UTC, 47 min ago (product "
         "idle limit 2 d)", "OK", ["Office 2013+ idle"]),
        ("failed requests: none of 7 clients heard from within 1 d failed (-w 2%, -c 10%)",
         "OK", ["failing"] + HEALTHY_COUNTERS),
    ], doc
    assert "notes" not in doc, doc
    idle = doc["checks"][7]["perfdata"][0]
    assert idle == {"label": "idle", "value": 840, "uom": "s", "min": 0,
                    "warn": {"start": 0, "end": 43200, "alert_on_inside": False}}, idle
    office = doc["checks"][9]["perfdata"][0]
    assert office == {"label": "Office 2013+ idle", "value": 2820, "uom": "s", "min": 0,
                      "warn": {"start": 0, "end": 172800, "alert_on_inside": False}}, office
    failing = doc["checks"][10]["perfdata"][0]
    assert failing == {"label": "failing", "value": 0, "uom": "", "min": 0, "max": 7,
                       "warn": {"start": 0, "end": 0.14, "alert_on_inside": False},
                       "crit": {"start": 0, "end": 0.7, "alert_on_inside": False}}, failing
    assert doc["checks"][10]["perfdata"][1] == {"label": "Windows requests total",
                                               "value": 5120, "uom": "c", "min": 0}


def test_json_tree_warnings_each_judged_by_its_metric(tmp_path):
    doc = fail(all_heard(base(), "2026-11-25T00:41:00Z"), [F038] * 2)
    doc["events"].append(event(12293, "2026-11-25T13:02:11Z", "0x8007232A"))
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    text, out = run_formats(PLUGIN, "-u", str(path), "--idle", "20", "-w", "1", "-c", "5")
    assert out["state"] == "WARNING"
    # line 1 as printed: the phrase and "; +2 more" take 102 characters, cut at 100
    assert out["summary"] == ("DNS publishing failing since 13:02 UTC (0x8007232A DNS server "
                              "failure); +2..."), out
    bad = [(o, s, lab) for o, s, lab in tree(out["checks"]) if s != "OK"]
    assert bad == [
        ("DNS publishing: 12293 at 2026-11-25 13:02 UTC (0x8007232A DNS server failure) "
         "after the last 12294 at 2026-11-25 06:12 UTC", "WARNING", []),
        ("idle: no activation request since 2026-11-25 13:30 UTC, 30 min ago (limit 20 min)",
         "WARNING", ["idle"]),
        ("failed requests: 2 of 43 clients heard from within 1 d failed their last request "
         "(-w 1, -c 5)", "WARNING", ["failing"] + HEALTHY_COUNTERS),
    ], out
    idle = out["checks"][7]["perfdata"][0]
    assert idle["value"] == 1800 and idle["warn"]["end"] == 1200, idle
    failing = out["checks"][10]["perfdata"][0]
    assert (failing["value"], failing["warn"]["end"], failing["crit"]["end"]) == (2, 1, 5)
    assert out["notes"] == [
        "Failing last request: 2 clients with 0xC004F038 (KMS count insufficient)",
        "2 x SKU 5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e02: KMS count insufficient"], out


def test_json_tree_no_inventory_counters_on_the_document(tmp_path):
    doc = base()
    del doc["clients"]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    text, out = run_formats(PLUGIN, "-u", str(path))
    assert out["checks"][0]["output"].startswith("status document generated ")
    assert [pd["label"] for pd in out["checks"][0]["perfdata"]] == HEALTHY_COUNTERS, out
    assert all("perfdata" not in sc for sc in out["checks"][1:]), out
    assert out["notes"] == ["idle time unknown: no client inventory",
                            "failed requests unknown: no client inventory"], out


def test_json_tree_not_kms():
    text, doc = run_formats(PLUGIN, "-u", os.path.join(SAMPLES, "not-kms.json"))
    assert doc == {
        "state": "CRITICAL",
        "summary": "KMS is not enabled on srv042.corp.example (clients get 0xC004F039)",
        "checks": [
            {"output": "status document generated 2026-11-25 13:55 UTC (5 min ago)",
             "state": "OK"},
            {"output": "KMS is not enabled on srv042.corp.example (clients get 0xC004F039)",
             "state": "CRITICAL"},
            {"output": "KMS service running", "state": "OK"},
            {"output": "host key Windows: licensed", "state": "OK"},
            {"output": "no start or renewal-timer failure (12291/12292) within 1 d",
             "state": "OK"},
        ],
        "notes": [
            "DNS publishing is off: clients find this host only when pointed at it "
            "(slmgr /skms); --require-dns-publishing alerts on it",
            "idle time and failed requests not judged: KMS is not enabled",
        ],
    }, doc


def test_json_headline_is_the_short_phrase(tmp_path):
    doc = base()
    doc["host"]["service_state"] = "stopped"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    text, out = run_formats(PLUGIN, "-u", str(path))
    assert out["summary"] == "KMS service stopped", out
    assert out["checks"][2] == {"output": "KMS service is stopped, not running: clients find "
                                "no KMS (0xC004F074)", "state": "CRITICAL"}, out


def test_output_format_yaml_is_unknown():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"), "--output-format", "yaml")
    assert res.code == 3, res
    assert res.first == ("KMS SERVICE UNKNOWN - unknown --output-format 'yaml' "
                         "(text, json or mp-test-json)"), res


def test_failing_range_alerting_on_none():
    # -w 1: alerts when fewer than one client fails: no HRESULT to name,
    # so no dangling ": " on line 1
    text, doc = run_formats(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"), "-w", "1:")
    assert text.first == "KMS SERVICE WARNING - 0 of 7 clients failing", text
    assert doc["summary"] == "0 of 7 clients failing", doc
    assert text.perf["failing"]["raw"] == "failing=0;1:;;0;7", text
