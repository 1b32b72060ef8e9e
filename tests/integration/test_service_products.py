"""Integration tests of check_kms_service, issue 19: idle per KMS product
(--product-idle) and failing requests named by edition.

Owns: documents built per test in tmp_path, from packaging/samples/healthy.json
(Windows clients renewing, the newest 14 min before the samples' "now"; Office
2013+ clients, the newest 47 min) with the Office or every record moved back,
and from generate.py --edition-failures (records of chosen editions whose last
request failed an hour ago); the exact state, line 1 and perfdata a user sees,
text, json and mp-test-json agreeing (harness.run_formats)."""
import copy
import datetime
import json
import os
import subprocess
import sys

import pytest

from harness import run, run_formats, SAMPLES, SAMPLE_NOW

PLUGIN = "check_kms_service"
WINDOWS = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE = "0ff1ce15-a989-479d-af46-f275c6370663"
OFFICE2010 = "59a52881-a989-479d-af46-f275c6370663"
NOW = datetime.datetime(2026, 11, 25, 14, 0, 0, tzinfo=datetime.timezone.utc)
LIMIT_S = 2 * 86400  # the --product-idle default, 2880 minutes

# editions of the SKU table (common/sku.c)
WS2025_STD = "7dc26449-db21-4e09-ba37-28f2958506a6"
WS2025_DC = "c052f164-cdf6-409a-a0cb-853ba0f0f55a"
W11_PRO = "2de67392-b7a7-462a-b1ca-108dd189f588"
UNKNOWN_SKU = "0123abcd-0000-4000-8000-00000000abcd"
F042_FIX = "this host key cannot activate it; install a newer host key (CSVLK)"
F042 = "0xC004F042 (product not served by this KMS host)"

with open(os.path.join(SAMPLES, "healthy.json"), encoding="utf-8") as _f:
    HEALTHY = json.load(_f)


def at(seconds_ago):
    return (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def base(name="kms01.corp.example"):
    doc = copy.deepcopy(HEALTHY)
    doc["host"]["name"] = name
    return doc


def move_back(doc, app, seconds_ago):
    """Every record of product app last heard from seconds_ago, the newest
    exactly then."""
    for c in doc["clients"]:
        if c["application_id"] == app:
            c["last_request_at"] = at(seconds_ago)
            c["last_success_at"] = at(seconds_ago)
    return doc


def write(tmp_path, doc, name="doc.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def check(tmp_path, doc, *args):
    return run_formats(PLUGIN, "-u", write(tmp_path, doc), *args)[0]


def raw(res, label):
    return res.perf[label]["raw"]


# ---- idle per product ----------------------------------------------------------

def test_office_idle_while_windows_busy(tmp_path):
    res = check(tmp_path, move_back(base(), OFFICE, 3 * 86400 + 3 * 3600))
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - Office 2013+ idle 3 d 3 h while Windows "
                         "clients still renew (limit 2 d)"), res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=270000s;172800;;0", res
    assert raw(res, "Windows idle") == "'Windows idle'=840s;172800;;0", res
    assert raw(res, "idle") == "idle=840s;43200;;0", res
    assert ("[WARNING] Office 2013+ idle: no activation request since 2026-11-22 11:00 UTC, "
            "3 d 3 h ago, while Windows clients still renew (limit 2 d)") in res.long, res
    assert ("[OK] Windows: last activation request 2026-11-25 13:46 UTC, 14 min ago "
            "(product idle limit 2 d)") in res.long, res


def test_windows_idle_while_office_busy(tmp_path):
    res = check(tmp_path, move_back(base(), WINDOWS, 5 * 86400))
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - Windows idle 5 d while Office 2013+ clients "
                         "still renew (limit 2 d)"), res


def test_all_products_idle_is_the_host_idle(tmp_path):
    doc = move_back(move_back(base(), OFFICE, 3 * 86400), WINDOWS, 3 * 86400 + 60)
    res = check(tmp_path, doc)
    assert res.code == 1, res
    # the host's idle finding alone: no product warns on its own
    assert res.first == ("KMS SERVICE WARNING - idle 3 d: no activation request since "
                         "2026-11-22 14:00 UTC (limit 12 h)"), res
    assert [line for line in res.long if line.startswith("[WARNING]")] == [
        "[WARNING] idle: no activation request since 2026-11-22 14:00 UTC, 3 d ago "
        "(limit 12 h)"], res
    # graphed without the limit, which does not judge them now
    assert raw(res, "Windows idle") == "'Windows idle'=259260s;;;0", res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=259200s;;;0", res
    assert ("[OK] Office 2013+: last activation request 2026-11-22 14:00 UTC, 3 d ago "
            "(no product requested within 2 d: idle judged for the host)") in res.long, res


@pytest.mark.parametrize("ago,code", [(LIMIT_S - 1, 0), (LIMIT_S, 0), (LIMIT_S + 1, 1)])
def test_product_idle_limit_is_inclusive(tmp_path, ago, code):
    res = check(tmp_path, move_back(base(), OFFICE, ago))
    assert res.code == code, res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=%ds;172800;;0" % ago, res
    if code == 0:
        assert res.first == ("KMS SERVICE OK - kms01.corp.example: KMS running, host keys "
                             "licensed, last request 14 min ago"), res
    else:
        assert res.first == ("KMS SERVICE WARNING - Office 2013+ idle 2 d while Windows "
                             "clients still renew (limit 2 d)"), res


def test_product_idle_option_sets_the_limit(tmp_path):
    # 47 min since the newest Office request: over 40 min, within 47
    res = check(tmp_path, base(), "--product-idle", "40")
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - Office 2013+ idle 47 min while Windows "
                         "clients still renew (limit 40 min)"), res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=2820s;2400;;0", res
    assert check(tmp_path, base(), "--product-idle", "47").code == 0


def test_product_idle_zero_turns_it_off(tmp_path):
    res = check(tmp_path, move_back(base(), OFFICE, 30 * 86400), "--product-idle", "0")
    assert res.code == 0, res
    assert res.first == ("KMS SERVICE OK - kms01.corp.example: KMS running, host keys "
                         "licensed, last request 14 min ago"), res
    assert "idle per product off (--product-idle 0)" in res.long, res
    assert not any(k.endswith(" idle") for k in res.perf), res
    assert raw(res, "idle") == "idle=840s;43200;;0", res


def test_listed_product_without_records_is_a_note(tmp_path):
    doc = base()
    office = next(p for p in doc["products"] if p["application_id"] == OFFICE)
    o14 = copy.deepcopy(office)
    o14.update(name="Office 14, OfficeKMSHostVL edition", application_id=OFFICE2010)
    doc["products"].append(o14)
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert ("Office 2010: host key installed, no Office 2010 client in the client inventory"
            in res.long), res
    assert "Office 2010 idle" not in res.perf, res


def test_product_without_host_key_is_not_judged(tmp_path):
    doc = move_back(base(), OFFICE, 10 * 86400)
    doc["products"] = [p for p in doc["products"] if p["application_id"] != OFFICE]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=864000s;;;0", res
    assert ("[OK] Office 2013+: last activation request 2026-11-15 14:00 UTC, 10 d ago "
            "(no Office 2013+ host key listed: idle not judged)") in res.long, res


def test_no_inventory_no_product_idle(tmp_path):
    doc = base()
    del doc["clients"]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert not any(k.endswith("idle") for k in res.perf), res


# ---- a fleet ---------------------------------------------------------------------

def fleet(tmp_path):
    """kms01 serves Windows (its Office records are 4 d old: Office moved);
    kms02 serves Office (its Windows records 4 d old); both list both keys."""
    kms01 = move_back(base("kms01.corp.example"), OFFICE, 4 * 86400)
    kms02 = move_back(base("kms02.corp.example"), WINDOWS, 4 * 86400)
    for c in kms02["clients"]:
        c["cmid"] = c["cmid"][:-4] + "f00d"
    return [write(tmp_path, kms01, "kms01.json"), write(tmp_path, kms02, "kms02.json")]


def test_fleet_office_served_by_another_host(tmp_path):
    urls = fleet(tmp_path)
    res = run_formats(PLUGIN, "-u", urls[0], "-u", urls[1])[0]
    assert res.code == 0, res
    assert res.first == ("KMS SERVICE OK - 2 KMS hosts OK: running, keys licensed, "
                         "published in DNS, last request 14 min ago"), res
    assert res.long[1:3] == [
        "[OK] fleet Windows: last activation request 2026-11-25 13:46 UTC to kms01, 14 min "
        "ago (product idle limit 2 d)",
        "[OK] fleet Office 2013+: last activation request 2026-11-25 13:13 UTC to kms02, "
        "47 min ago (product idle limit 2 d)",
    ], res
    assert raw(res, "Windows idle") == "'Windows idle'=840s;172800;;0", res
    assert raw(res, "Office 2013+ idle") == "'Office 2013+ idle'=2820s;172800;;0", res
    assert "kms01 Office 2013+ idle" not in res.perf, res


def test_fleet_idle_per_host_judges_each_product_per_host(tmp_path):
    urls = fleet(tmp_path)
    res = run_formats(PLUGIN, "-u", urls[0], "-u", urls[1], "--idle-per-host")[0]
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - kms01: Office 2013+ idle 4 d while Windows "
                         "clients still renew (limit 2 d); +1 more"), res
    assert ("[WARNING] kms02: Windows idle: no activation request since 2026-11-21 14:00 "
            "UTC, 4 d ago, while Office 2013+ clients still renew (limit 2 d)") in res.long, res
    assert raw(res, "kms01 Office 2013+ idle") == "'kms01 Office 2013+ idle'=345600s;172800;;0"
    assert "Office 2013+ idle" not in res.perf, res


def test_fleet_office_idle_everywhere(tmp_path):
    kms01 = move_back(base("kms01.corp.example"), OFFICE, 3 * 86400)
    kms02 = move_back(base("kms02.corp.example"), OFFICE, 5 * 86400)
    for c in kms02["clients"]:
        c["cmid"] = c["cmid"][:-4] + "f00d"
    urls = [write(tmp_path, kms01, "kms01.json"), write(tmp_path, kms02, "kms02.json")]
    res = run_formats(PLUGIN, "-u", urls[0], "-u", urls[1])[0]
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - Office 2013+ idle 3 d while Windows clients "
                         "still renew (limit 2 d)"), res
    assert ("[WARNING] fleet Office 2013+ idle: no activation request since 2026-11-22 "
            "14:00 UTC to kms01, 3 d ago, while Windows clients still renew (limit 2 d)"
            in res.long), res


# ---- failures named by edition ---------------------------------------------------

GENERATE = os.path.join(SAMPLES, "generate.py")


def generated(tmp_path, *editions):
    """20 licensed Windows PCs renewing (generate.py --lapsing: none fails),
    plus the --edition-failures records; returns (path, clients heard
    within the 24 h lookback)."""
    args = [sys.executable, GENERATE, "--clients", "20", "--lapsing", "1", "--lapse-day", "29",
            "--seed", "11", "--now", SAMPLE_NOW]
    for e in editions:
        args += ["--edition-failures", e]
    out = subprocess.run(args, capture_output=True, check=True).stdout
    path = tmp_path / "gen.json"
    path.write_bytes(out)
    doc = json.loads(out)
    heard = sum(1 for c in doc["clients"]
                if NOW.timestamp() - datetime.datetime.strptime(
                    c["last_request_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp() <= 86400)
    return str(path), heard


def failing_notes(res):
    start = next(i for i, line in enumerate(res.long) if line.startswith("Failing last"))
    return res.long[start:]


def test_failures_of_one_edition(tmp_path):
    path, heard = generated(tmp_path, WS2025_STD + ":12", WS2025_DC + ":2")
    res, doc = run_formats(PLUGIN, "-u", path)
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - 14 of %d clients failing: 14 with %s, "
                         "mostly Windows Server 2025 Standard" % (heard, F042)), res
    assert failing_notes(res) == [
        "Failing last request: 14 clients with " + F042,
        "12 x Windows Server 2025 Standard: " + F042_FIX,
        "2 x Windows Server 2025 Datacenter: " + F042_FIX,
    ], res
    assert raw(res, "failing").startswith("failing=14;"), res
    assert doc["notes"][-3:] == failing_notes(res), doc


def test_mixed_editions_name_none_on_line1(tmp_path):
    # 3 of 6 is exactly half: not most
    path, heard = generated(tmp_path, WS2025_STD + ":3", WS2025_DC + ":2", W11_PRO + ":1::pc")
    res = run_formats(PLUGIN, "-u", path)[0]
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - 6 of %d clients failing: 6 with %s"
                         % (heard, F042)), res
    assert failing_notes(res) == [
        "Failing last request: 6 clients with " + F042,
        "3 x Windows Server 2025 Standard: " + F042_FIX,
        "2 x Windows Server 2025 Datacenter: " + F042_FIX,
        "1 x Windows 10/11 Pro: " + F042_FIX,
    ], res
    # one more of the first: 4 of 7 is most
    path, heard = generated(tmp_path, WS2025_STD + ":4", WS2025_DC + ":2", W11_PRO + ":1::pc")
    res = run(PLUGIN, "-u", path)
    assert res.first.endswith(", mostly Windows Server 2025 Standard"), res


def test_unknown_sku_named_by_id_never_on_line1(tmp_path):
    path, heard = generated(tmp_path, UNKNOWN_SKU + ":5")
    res = run_formats(PLUGIN, "-u", path)[0]
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - 5 of %d clients failing: 5 with %s"
                         % (heard, F042)), res
    assert failing_notes(res) == [
        "Failing last request: 5 clients with " + F042,
        "5 x SKU %s: %s" % (UNKNOWN_SKU, F042_FIX),
    ], res


def test_record_without_sku_named_by_product(tmp_path):
    path, heard = generated(tmp_path, "none:4:0xC004F038:pc", "none:1:0x80070005:office")
    res = run_formats(PLUGIN, "-u", path)[0]
    assert res.code == 2, res
    assert res.first == ("KMS SERVICE CRITICAL - 5 of %d clients failing: 4 with 0xC004F038 "
                         "(KMS count insufficient), all Windows client OS, 1 with "
                         "0x80070005" % heard), res
    assert failing_notes(res) == [
        "Failing last request: 4 clients with 0xC004F038 (KMS count insufficient)",
        "4 x Windows client OS: KMS count insufficient",
        "Failing last request: 1 client with 0x80070005",
        "1 x Office 2013+",
    ], res


def test_seventeenth_edition_is_other(tmp_path):
    skus = ["0123abcd-0000-4000-8000-%012x" % i for i in range(17)]
    path, heard = generated(tmp_path, *["%s:1" % s for s in skus])
    res = run(PLUGIN, "-u", path)
    notes = failing_notes(res)
    assert notes[0] == "Failing last request: 17 clients with " + F042, res
    assert len(notes) == 1 + 16 + 1, res
    assert notes[-1] == "1 x other editions", res
    # ties in id order: the 16 first ids are listed, the last is "other"
    assert notes[1:17] == ["1 x SKU %s: %s" % (s, F042_FIX) for s in skus[:16]], res


# ---- hostile option values -------------------------------------------------------

@pytest.mark.parametrize("value,why", [
    ("-1", "must be 0 to 527040"),
    ("527041", "must be 0 to 527040"),
    ("1e99", "not a whole number"),
    ("abc", "not a whole number"),
    ("", "not a whole number"),
    ("0x10", "not a whole number"),
    ("12.5", "not a whole number"),
])
def test_hostile_product_idle(value, why):
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "healthy.json"), "--product-idle", value)
    assert res.code == 3, res
    assert res.first == 'KMS SERVICE UNKNOWN - invalid --product-idle "%s": %s' % (value, why), res
    assert res.perf == {}, res


def test_fleet_listed_product_without_records_is_a_note(tmp_path):
    kms01, kms02 = base("kms01.corp.example"), base("kms02.corp.example")
    for c in kms02["clients"]:
        c["cmid"] = c["cmid"][:-4] + "f00d"
    o14 = copy.deepcopy(kms02["products"][1])
    o14.update(name="Office 14, OfficeKMSHostVL edition", application_id=OFFICE2010)
    kms02["products"].append(o14)
    urls = [write(tmp_path, kms01, "kms01.json"), write(tmp_path, kms02, "kms02.json")]
    res = run_formats(PLUGIN, "-u", urls[0], "-u", urls[1])[0]
    assert res.code == 0, res
    assert ("fleet Office 2010: host key installed, no Office 2010 client in the client "
            "inventories") in res.long, res
    assert "Office 2010 idle" not in res.perf, res
