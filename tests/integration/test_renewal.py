"""Integration tests of check_kms_renewal (issue 5): clients about to lose
activation, from documents written per test with deadlines placed relative
to the fixed clock (harness.SAMPLE_NOW), the sample documents, and a
generated 100k-client inventory whose counts are recomputed here in Python.

Owns: the exact first lines, long-output lines and perfdata a user of
check_kms_renewal sees."""
import datetime
import json
import os
import subprocess

import pytest

import harness
from harness import run, SAMPLES

PLUGIN = "check_kms_renewal"
WIN = "55c92734-d682-4d71-983e-d6ec3f16059f"
O2013 = "0ff1ce15-a989-479d-af46-f275c6370663"
NOW_TEXT = harness.SAMPLE_NOW
NOW = int(datetime.datetime(2026, 11, 25, 14, 0, 0,
                            tzinfo=datetime.timezone.utc).timestamp())
DAY = 86400
MIN = 60
GENERATE = os.path.join(SAMPLES, "generate.py")


def ts(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def day(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")


def client(name, state=1, request=None, success=None, expires=None,
           result="0x0", app=WIN):
    """A client; times are Unix seconds (None -> null)."""
    return {"name": name, "application_id": app, "license_state": state,
            "last_request_at": ts(request) if request is not None else None,
            "last_success_at": ts(success) if success is not None else None,
            "last_result": result, "state_expires_in_minutes": expires}


def renewed(name, ago_days=3, **kw):
    """A healthy licensed client that renewed ago_days ago."""
    t = NOW - ago_days * DAY
    return client(name, 1, t, t, **kw)


def write_doc(tmp_path, clients, complete_since="2026-01-01T00:00:00Z",
              generated_at="2026-11-25T13:55:00Z", raw=None, name="doc.json"):
    path = tmp_path / name
    if raw is not None:
        path.write_text(raw)
        return str(path)
    doc = {"format": "kms-status", "version": 1, "generated_at": generated_at,
           "host": {"name": "kms01.corp.example"}, "products": []}
    if complete_since is not None:
        doc["clients_complete_since"] = complete_since
    if clients is not None:
        doc["clients"] = clients
    path.write_text(json.dumps(doc))
    return str(path)


def perf_raw(res):
    return {k: v["raw"] for k, v in res.perf.items()}


# ---- deadlines: every license state, the window boundaries -------------------

def test_licensed_window_boundaries_to_the_second(tmp_path):
    # deadline = last_success_at + 180 days; the window is (now, now + 30 d]
    c = [
        client("exactly-30d", 1, NOW - DAY, NOW - 150 * DAY),
        client("inside-1s", 1, NOW - DAY, NOW - 150 * DAY - 1),
        client("outside-1s", 1, NOW - DAY, NOW - 150 * DAY + 1),
        client("lost-now", 1, NOW - 180 * DAY, NOW - 180 * DAY),
        client("one-second-left", 1, NOW - DAY, NOW - 180 * DAY + 1),
    ]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "10", "-c", "20")
    assert res.code == 0, res
    assert res.summary == "3 of 5 clients lose activation within 30 days " \
        "(1 within 7 days), 1 already lost"
    # at_risk 4 is under -w 10: the check is OK, and so is every line in it
    # (issue 16: a line never reads worse than the check it belongs to)
    assert res.long == [
        "[OK] lost-now: activation expired %s (last renewal %s)"
        % (day(NOW), day(NOW - 180 * DAY)),
        "[OK] one-second-left: activation expires %s (last renewal %s, last contact %s)"
        % (day(NOW + 1), day(NOW - 180 * DAY + 1), day(NOW - DAY)),
        "[OK] inside-1s: activation expires %s (last renewal %s, last contact %s)"
        % (day(NOW + 30 * DAY - 1), day(NOW - 150 * DAY - 1), day(NOW - DAY)),
        "[OK] exactly-30d: activation expires %s (last renewal %s, last contact %s)"
        % (day(NOW + 30 * DAY), day(NOW - 150 * DAY), day(NOW - DAY)),
    ]
    assert perf_raw(res) == {
        "expiring": "expiring=3;;;0;5", "expired": "expired=1;;;0;5",
        "at_risk": "at_risk=4;10;20;0;5", "known": "known=5;;;0", "failing": "failing=0;;;0",
        "no_deadline": "no_deadline=0;;;0", "min_days_left": "min_days_left=0"}


def test_days_option_moves_the_window(tmp_path):
    c = [client("in-10d", 1, NOW - DAY, NOW - 170 * DAY),
         client("in-10d-1s", 1, NOW - DAY, NOW - 170 * DAY + 1)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--days", "10", "-w", "5", "-c", "5")
    assert res.summary == "1 of 2 clients loses activation within 10 days (0 within 7 days)"
    assert res.perf["min_days_left"]["value"] == 10.0
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--days", "5", "-w", "5", "-c", "5")
    assert res.summary == "none of 2 clients loses activation within 5 days"
    # no client listed: the subcheck is a leaf and speaks for itself
    assert res.long == ["[OK] none of 2 clients loses activation within 5 days"]
    assert res.perf["expiring"]["raw"] == "expiring=0;;;0;2"
    assert res.perf["at_risk"]["raw"] == "at_risk=0;5;5;0;2"


@pytest.mark.parametrize("state,name", [(2, "OOB grace"), (3, "OOT grace"),
                                        (4, "non-genuine grace"), (6, "extended grace")])
def test_grace_states_end_at_request_plus_expiry(tmp_path, state, name):
    # last request 1 day ago; 31 days of grace left then -> ends exactly at now + 30 d
    req = NOW - DAY
    c = [client("edge", state, req, None, 31 * 1440, "0xC004F038"),
         client("inside", state, req - 1, None, 31 * 1440, "0xC004F074"),
         client("outside", state, req + 1, None, 31 * 1440),
         client("ended", state, NOW - 2 * DAY, None, 2 * 1440, "0xC004F042")]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "5", "-c", "5")
    assert res.code == 0
    assert res.summary == "2 of 4 clients lose activation within 30 days " \
        "(0 within 7 days), 1 already lost"
    # at_risk 3 is under -w 5: OK, every line OK
    assert res.long == [
        "[OK] ended: %s ended %s (last contact %s), last request failed 0xC004F042 "
        "(product not served by this KMS host)" % (name, day(NOW), day(NOW - 2 * DAY)),
        "[OK] inside: %s ends %s (last contact %s), last request failed 0xC004F074 "
        "(no KMS reachable)" % (name, day(NOW + 30 * DAY - 1), day(req)),
        "[OK] edge: %s ends %s (last contact %s), last request failed 0xC004F038 "
        "(KMS count insufficient)" % (name, day(NOW + 30 * DAY), day(req)),
        "Failing last request: 1 client with 0xC004F038 (KMS count insufficient)",
        "Failing last request: 1 client with 0xC004F042 (product not served by this KMS host)",
        "Failing last request: 1 client with 0xC004F074 (no KMS reachable)",
    ]
    assert res.perf["failing"]["value"] == 3


def test_unlicensed_and_notification_are_already_lost(tmp_path):
    c = [client("unlic", 0, NOW - 2 * DAY, None, 0, "0xC004F038"),
         client("notif", 5, NOW - 3 * DAY, NOW - 200 * DAY, 0, "0xC004F074"),
         client("unlic-never-seen", 0, None, None, None, None),
         renewed("ok1"), renewed("ok2")]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "1", "-c", "2")
    assert res.code == 2
    assert res.summary == "3 of 5 clients have lost activation; no other loses it within 30 days"
    assert res.long == [
        # most urgent first: the earliest deadline (last contact), unknown = now
        "[CRITICAL] notif: in notification mode at last contact %s (last activated %s), "
        "last request failed 0xC004F074 (no KMS reachable)" % (day(NOW - 3 * DAY),
                                                              day(NOW - 200 * DAY)),
        "[CRITICAL] unlic: unlicensed at last contact %s, last request failed 0xC004F038 "
        "(KMS count insufficient)" % day(NOW - 2 * DAY),
        "[CRITICAL] unlic-never-seen: unlicensed (no request time in the document)",
        "Failing last request: 1 client with 0xC004F038 (KMS count insufficient)",
        "Failing last request: 1 client with 0xC004F074 (no KMS reachable)",
    ]
    assert res.perf["expired"]["raw"] == "expired=3;;;0;5"
    assert res.perf["expiring"]["raw"] == "expiring=0;;;0;5"
    assert res.perf["at_risk"]["raw"] == "at_risk=3;1;2;0;5"
    assert res.perf["min_days_left"]["value"] == 0


def test_licensed_without_last_success_counts_from_last_request(tmp_path):
    c = [client("no-success", 1, NOW - 160 * DAY, None, None),
         client("no-times", 1, None, None, None),
         client("grace-no-expiry", 2, NOW - DAY, None, None),
         client("no-state", None, NOW - DAY, NOW - DAY, None),
         renewed("ok", ago_days=10)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "5", "-c", "5")
    assert res.code == 0
    assert res.summary == "1 of 5 clients loses activation within 30 days " \
        "(0 within 7 days), 3 without a known deadline"
    # OK (at_risk 1 is under -w 5): the lines too, also those without a
    # deadline, which never decide the state
    assert res.long == [
        "[OK] no-success: activation expires %s (no last renewal recorded, counted "
        "from last contact %s)" % (day(NOW + 20 * DAY), day(NOW - 160 * DAY)),
        "[OK] no-times: licensed, but neither last success nor last request time "
        "in the document: deadline unknown",
        "[OK] grace-no-expiry: OOB grace, but no last request time or state expiry "
        "in the document: deadline unknown",
        "[OK] no-state: no license state in the document: deadline unknown",
    ]
    assert res.perf["no_deadline"]["raw"] == "no_deadline=3;;;0"
    assert res.perf["known"]["raw"] == "known=5;;;0"
    assert res.perf["min_days_left"]["value"] == 20


def test_healthy_inventory_is_ok_with_min_days_left(tmp_path):
    c = [renewed("pc%02d" % i, ago_days=i) for i in range(1, 8)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c))
    assert res.code == 0
    assert res.first == "KMS RENEWAL OK - none of 7 clients loses activation within 30 days"
    assert res.long == ["[OK] none of 7 clients loses activation within 30 days"]
    # the client that renewed 7 days ago has 173 days left
    assert perf_raw(res) == {
        "expiring": "expiring=0;;;0;7", "expired": "expired=0;;;0;7",
        "at_risk": "at_risk=0;0.14;0.7;0;7", "known": "known=7;;;0", "failing": "failing=0;;;0",
        "no_deadline": "no_deadline=0;;;0", "min_days_left": "min_days_left=173"}


# ---- thresholds ----------------------------------------------------------------

def fleet(losing, total=200):
    """total clients of which `losing` lose activation within 30 days."""
    c = [client("lose%03d" % i, 1, NOW - DAY, NOW - 170 * DAY) for i in range(losing)]
    c += [renewed("ok%03d" % i) for i in range(total - losing)]
    return c


@pytest.mark.parametrize("losing,state", [(10, "OK"), (11, "WARNING"), (20, "WARNING"),
                                          (21, "CRITICAL")])
def test_percent_thresholds_share_of_known_clients(tmp_path, losing, state):
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(losing)), "-w", "5%", "-c", "10%",
              "--max-list", "0")
    assert res.state == state
    assert res.summary == "%d of 200 clients lose activation within 30 days " \
        "(0 within 7 days)" % losing
    assert res.perf["at_risk"]["raw"] == "at_risk=%d;10;20;0;200" % losing
    assert res.perf["expiring"]["raw"] == "expiring=%d;;;0;200" % losing
    # --max-list 0 lists no client: the subcheck speaks for itself
    assert res.long == ["[%s] %s" % (state, res.summary), "... and %d more" % losing]


def test_percent_thresholds_count_expired_too(tmp_path):
    # 10 expiring + 1 expired = 11 > 5 % of 200
    c = fleet(10)
    c[-1] = client("gone", 0, NOW - DAY, None, 0)
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "5%", "-c", "10%")
    assert res.state == "WARNING"
    assert res.summary == "10 of 200 clients lose activation within 30 days " \
        "(0 within 7 days), 1 already lost"


def test_percent_thresholds_exclude_excluded_clients(tmp_path):
    # 11 of 200 is > 5 %, but excluding 40 healthy clients makes it 11 of 160: 6.9 %
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(11)), "-w", "10%", "-c", "20%",
              "--max-list", "0")
    assert res.state == "OK"
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(11, total=111)), "-w", "10%",
              "-c", "20%", "--max-list", "0")
    assert res.state == "OK"  # 11 of 111 = 9.9 %
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(11, total=111)), "-w", "10%",
              "-c", "20%", "--max-list", "0", "--exclude", "^ok00[0-9]$")
    assert res.state == "WARNING"  # 11 of 101 = 10.9 %
    assert res.perf["at_risk"]["raw"] == "at_risk=11;10.1;20.2;0;101"
    assert "Excluded by --exclude: 10 clients" in res.long


@pytest.mark.parametrize("losing,state", [(3, "OK"), (4, "WARNING"), (5, "WARNING"),
                                          (6, "CRITICAL")])
def test_absolute_thresholds(tmp_path, losing, state):
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(losing, 50)), "-w", "3", "-c", "5")
    assert res.state == state
    assert res.perf["at_risk"]["raw"] == "at_risk=%d;3;5;0;50" % losing


def test_default_thresholds_2_and_10_percent(tmp_path):
    for losing, state in [(2, "OK"), (3, "WARNING"), (10, "WARNING"), (11, "CRITICAL")]:
        res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(losing, 100)))
        assert res.state == state, (losing, res)
        assert res.perf["at_risk"]["raw"] == "at_risk=%d;2;10;0;100" % losing


def test_only_warning_given_replaces_both_defaults(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(50, 100)), "-w", "60")
    assert res.state == "OK"
    assert res.perf["at_risk"]["raw"] == "at_risk=50;60;;0;100"


@pytest.mark.parametrize("args,msg", [
    (["-c", "2:1"], 'invalid range for -c: "2:1" (start is greater than end)'),
    (["-w", "abc"], "invalid range for -w"),
    (["--days", "0"], "--days"),
    (["--max-list", "-1"], "--max-list"),
    (["--application", "linux"], 'invalid --application "linux": expected windows, '
                                 "office or an application id (GUID)"),
])
def test_bad_options_are_unknown(tmp_path, args, msg):
    res = run(PLUGIN, "-u", write_doc(tmp_path, fleet(1, 5)), *args)
    assert res.code == 3
    assert msg in res.summary, res


# ---- filters -------------------------------------------------------------------

def excl_fleet():
    return [client("retired-pc01.corp.example", 1, NOW - 170 * DAY, NOW - 170 * DAY),
            client("RETIRED-pc02.corp.example", 0, NOW - 90 * DAY, None, 0),
            client("lab7.LAB.corp.example", 1, NOW - 175 * DAY, NOW - 175 * DAY),
            client("pc0100.corp.example", 1, NOW - 160 * DAY, NOW - 160 * DAY),
            renewed("pc0101.corp.example"), renewed("pc0102.corp.example")]


def test_exclude_one_regex_case_insensitive(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, excl_fleet()), "--exclude", "^retired-",
              "-w", "5", "-c", "5")
    assert res.summary == "2 of 4 clients lose activation within 30 days (1 within 7 days)"
    assert [ln.split(":")[0] for ln in res.long[:2]] == [
        "[OK] lab7.LAB.corp.example", "[OK] pc0100.corp.example"]
    assert "Excluded by --exclude: 2 clients" in res.long
    assert res.perf["known"]["value"] == 4


def test_exclude_two_regexes(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, excl_fleet()), "--exclude", "^retired-",
              "--exclude", r"\.lab\.corp\.example$", "-w", "5", "-c", "5")
    assert res.summary == "1 of 3 clients loses activation within 30 days (0 within 7 days)"
    assert res.long[0] == "[OK] pc0100.corp.example: activation expires %s " \
        "(last renewal %s)" % (day(NOW + 20 * DAY), day(NOW - 160 * DAY))
    assert "Excluded by --exclude: 3 clients" in res.long


def test_exclude_everything_is_unknown(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, excl_fleet()), "--exclude", "corp")
    assert res.code == 3
    assert res.summary == "every one of the 6 clients in the inventory is excluded by --exclude"


@pytest.mark.parametrize("regex", ["(", "[a-", "a{2,1}"])
def test_exclude_invalid_regex_is_unknown(tmp_path, regex):
    res = run(PLUGIN, "-u", write_doc(tmp_path, excl_fleet()), "--exclude", "ok",
              "--exclude", regex)
    assert res.code == 3
    assert res.summary.startswith('invalid --exclude regex "%s": ' % regex), res
    assert len(res.summary) > len('invalid --exclude regex "%s": ' % regex) + 3


def app_fleet():
    return [client("win-exp", 1, NOW - DAY, NOW - 170 * DAY),
            client("off-exp", 1, NOW - DAY, NOW - 165 * DAY, app=O2013),
            client("off-lost", 5, NOW - DAY, None, 0, app=O2013),
            renewed("win-ok"), renewed("off-ok", app=O2013),
            client("no-app", 0, NOW - DAY, None, 0, app=None)]


@pytest.mark.parametrize("sel,summary,names", [
    ("windows", "1 of 2 clients loses activation within 30 days (0 within 7 days)",
     ["win-exp"]),
    ("office", "1 of 3 clients loses activation within 30 days (0 within 7 days), "
     "1 already lost", ["off-lost", "off-exp"]),
    (O2013.upper(), "1 of 3 clients loses activation within 30 days (0 within 7 days), "
     "1 already lost", ["off-lost", "off-exp"]),
])
def test_application_selects_clients(tmp_path, sel, summary, names):
    res = run(PLUGIN, "-u", write_doc(tmp_path, app_fleet()), "--application", sel,
              "-w", "5", "-c", "5")
    assert res.summary == summary
    listed = [ln.split("] ")[1].split(":")[0] for ln in res.long if ln.startswith("[")]
    assert listed == names
    others = 6 - res.perf["known"]["value"]
    assert "Not of --application %s: %d clients" % (sel, others) in res.long


def test_application_matching_nothing_is_unknown(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [renewed("a")]), "--application", "office")
    assert res.code == 3
    assert res.summary == "no client of --application office is left to check " \
        "(1 in the inventory, 0 excluded by --exclude)"


# ---- list cap, ordering, groups ------------------------------------------------

def test_list_cap_and_urgency_order(tmp_path):
    # 25 expiring clients, deadlines 1..25 days away, written in reverse order,
    # and 2 expired clients at the end of the document
    c = [client("pc%02d" % d, 1, NOW - DAY, NOW - (180 - d) * DAY) for d in range(25, 0, -1)]
    c += [client("lost-b", 0, NOW - 2 * DAY, None, 0), client("lost-a", 5, NOW - 9 * DAY, None, 0)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--max-list", "4", "-w", "50", "-c", "60")
    assert res.summary == "25 of 27 clients lose activation within 30 days " \
        "(7 within 7 days), 2 already lost"
    # at_risk 27 is under -w 50: OK lines, most urgent first
    assert [ln.split(":")[0] for ln in res.long[:5]] == [
        "[OK] lost-a", "[OK] lost-b", "[OK] pc01", "[OK] pc02",
        "... and 23 more"]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "50", "-c", "60")
    assert len([ln for ln in res.long if ln.startswith("[")]) == 20
    assert res.long[19].startswith("[OK] pc18:")
    assert res.long[20] == "... and 7 more"
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--max-list", "30", "-w", "50", "-c", "60")
    assert not any(ln.startswith("... and") for ln in res.long)
    assert res.long[26].startswith("[OK] pc25:")


def test_equal_deadlines_keep_document_order(tmp_path):
    c = [client("z%d" % i, 1, NOW - DAY, NOW - 170 * DAY) for i in range(6)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--max-list", "3", "-w", "9")
    assert [ln.split(":")[0] for ln in res.long[:4]] == [
        "[OK] z0", "[OK] z1", "[OK] z2", "... and 3 more"]


def test_failing_clients_grouped_biggest_first(tmp_path):
    c = [renewed("f38-%d" % i, result="0xC004F038") for i in range(3)]
    c += [renewed("f74-%d" % i, result="0xc004f074") for i in range(4)]
    c += [renewed("odd", result="0x80070005"), renewed("ok")]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c, complete_since="2026-05-29T14:00:00Z"))
    assert res.code == 0
    assert res.long == [
        "[OK] none of 9 clients loses activation within 30 days",
        "Failing last request: 4 clients with 0xC004F074 (no KMS reachable)",
        "Failing last request: 3 clients with 0xC004F038 (KMS count insufficient)",
        "Failing last request: 1 client with 0x80070005",
    ]
    assert res.perf["failing"]["raw"] == "failing=8;;;0"


# ---- inventory coverage, missing inventory, document errors ---------------------

@pytest.mark.parametrize("since,note", [
    ("2026-05-29T14:00:00Z", None),          # exactly 180 days before now
    ("2026-05-29T14:00:01Z", "Inventory reaches back only to 2026-05-29 (less than 180 "
                             "days): clients silent since before then are not seen"),
    ("2026-08-01T00:00:00Z", "Inventory reaches back only to 2026-08-01 (less than 180 "
                             "days): clients silent since before then are not seen"),
    (None, "The document does not say how far back the inventory reaches "
           "(no clients_complete_since): clients silent for long may not be seen"),
])
def test_clients_complete_since(tmp_path, since, note):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [renewed("a")], complete_since=since))
    assert res.code == 0
    assert res.long == ["[OK] none of 1 client loses activation within 30 days"] + \
        ([note] if note else [])


def test_no_clients_array_is_unknown(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, None))
    assert res.code == 3
    assert res.first == "KMS RENEWAL UNKNOWN - status document has no client inventory " \
        "(the exporter does not collect clients)"
    assert res.perf == {}


def test_empty_inventory_is_ok(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, []))
    assert res.code == 0
    assert res.summary == "the client inventory is empty: no client has asked this host " \
        "for activation"


@pytest.mark.parametrize("raw,msg", [
    ('{"format": "kms-status", "version": 1, "generated_at": "2026-11-25T13:55:00Z", '
     '"host": {"name": "k"}, "products": [], "clients": [{"name": "a", '
     '"license_state": 9}]}', "$.clients[0].license_state: 9 is not a license state (0..6)"),
    ('{"format": "kms-status", "version": 1, "generated_at": "2026-11-25T13:55:00Z", '
     '"host": {"name": "k"}, "products": [], "clients": [{"name": "a", '
     '"last_success_at": 5}]}', "$.clients[0].last_success_at"),
    ('{"format": "kms-status", "version": 1, "generated_at": "2026-11-25T13:55:00Z", '
     '"host": {"name": "k"}, "products": [], "clients": [{"name": ["a"]}]}',
     "$.clients[0].name: expected string, got array"),
    ('{"format": "kms-status", "version": 2, "generated_at": "2026-11-25T13:55:00Z", '
     '"host": {"name": "k"}, "products": []}', "format version 2"),
    ('{"format": "kms-status", "version": 1, "clients": [', "invalid JSON"),
])
def test_document_errors_are_unknown(tmp_path, raw, msg):
    res = run(PLUGIN, "-u", write_doc(tmp_path, None, raw=raw))
    assert res.code == 3
    assert res.summary.startswith("status document %s: " % (tmp_path / "doc.json")), res
    assert msg in res.summary, res


def test_missing_file_and_stale_document(tmp_path):
    res = run(PLUGIN, "-u", str(tmp_path / "nope.json"))
    assert res.code == 3
    assert "No such file or directory" in res.summary
    res = run(PLUGIN, "-u", write_doc(tmp_path, [renewed("a")],
                                      generated_at="2026-11-25T10:50:00Z"))
    assert res.code == 3
    assert res.summary.startswith("status document is 3 h 10 min old"), res
    res = run(PLUGIN)
    assert res.code == 3
    assert "-u" in res.summary


# ---- the sample documents -------------------------------------------------------

@pytest.mark.parametrize("sample,first", [
    ("healthy", "KMS RENEWAL OK - none of 43 clients loses activation within 30 days"),
    ("dns-failure", "KMS RENEWAL OK - none of 43 clients loses activation within 30 days"),
    ("below-threshold", "KMS RENEWAL CRITICAL - 5 of 35 clients lose activation within "
                        "30 days (0 within 7 days)"),
    ("expiring", "KMS RENEWAL CRITICAL - 15 of 34 clients lose activation within 30 days "
                 "(8 within 7 days), 4 already lost"),
    ("not-kms", "KMS RENEWAL OK - the client inventory is empty: no client has asked "
                "this host for activation"),
])
def test_samples(sample, first):
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, sample + ".json"))
    assert res.first == first, res


def test_sample_expiring_long_output():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "expiring.json"), "--max-list", "3")
    assert res.long == [
        "[CRITICAL] pc0019.corp.example: activation expired 2026-11-19 (last renewal 2026-05-23)",
        "[CRITICAL] pc0018.corp.example: unlicensed at last contact 2026-11-23, last request "
        "failed 0xC004F038 (KMS count insufficient)",
        "[CRITICAL] pc0017.corp.example: in notification mode at last contact 2026-11-25, "
        "last request failed 0xC004F038 (KMS count insufficient)",
        "... and 16 more",
        "Failing last request: 15 clients with 0xC004F038 (KMS count insufficient)",
        # the samples' SKUs are synthetic: required_count 25 tells Windows,
        # 5 leaves it to application_id (servers: Windows; Office 2013+)
        "Known clients by product: Windows 26, Office 2013+ 8",
    ]


# ---- a generated 100k-client inventory, recomputed in Python ---------------------

def parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() if text else None


def classify(c, now, days):
    """(deadline or None) following the rule in --help."""
    st, req, ok = c["license_state"], parse(c["last_request_at"]), parse(c["last_success_at"])
    if st == 1:
        base = ok if ok is not None else req
        return None if base is None else base + 180 * DAY
    if st in (2, 3, 4, 6):
        exp = c["state_expires_in_minutes"]
        return None if req is None or exp is None else req + exp * MIN
    return min(req, now) if req is not None else now


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="100k clients take minutes under valgrind")
@pytest.mark.parametrize("app", [None, "office"])
def test_generated_100k_inventory(tmp_path, app):
    out = tmp_path / "gen.json"
    subprocess.run(["/usr/bin/python3", GENERATE, "--clients", "100000", "--seed", "5",
                    "--now", NOW_TEXT, "--out", str(out)], check=True, timeout=300)
    with open(out) as f:
        doc = json.load(f)
    rows = []
    for i, c in enumerate(doc["clients"]):
        if app == "office" and c["application_id"] != O2013:
            continue
        if c["name"].startswith("pc00000"):  # the --exclude below
            continue
        rows.append((i, c, classify(c, NOW, 30)))
    known = len(rows)
    expired = sum(1 for _, _, d in rows if d is not None and d <= NOW)
    expiring = sum(1 for _, _, d in rows if d is not None and NOW < d <= NOW + 30 * DAY)
    soon = sum(1 for _, _, d in rows if d is not None and NOW < d <= NOW + 7 * DAY)
    failing = {}
    for _, c, _ in rows:
        code = int(c["last_result"], 16) if c["last_result"] else 0
        if code:
            failing[code] = failing.get(code, 0) + 1
    urgent = sorted(((d, i, c["name"]) for i, c, d in rows if d is not None and d <= NOW + 30 * DAY))
    args = ["-u", str(out), "--exclude", "^pc00000", "-w", "5%", "-c", "25%"]
    if app:
        args += ["--application", app]
    res = run(PLUGIN, *args, timeout=120)
    losing = expiring + expired
    state = "CRITICAL" if losing > known * 25 / 100 else \
        "WARNING" if losing > known * 5 / 100 else "OK"
    assert res.state == state
    assert res.summary == "%d of %d clients lose activation within 30 days " \
        "(%d within 7 days), %d already lost" % (expiring, known, soon, expired)
    assert res.perf["expiring"]["value"] == expiring
    assert res.perf["expired"]["raw"] == "expired=%d;;;0;%d" % (expired, known)
    assert res.perf["known"]["value"] == known
    assert res.perf["failing"]["value"] == sum(failing.values())
    assert res.perf["expiring"]["max"] == str(known)
    listed = [ln.split("] ")[1].split(":")[0] for ln in res.long if ln.startswith("[")]
    assert listed == [n for _, _, n in urgent[:20]]
    assert "... and %d more" % (len(urgent) - 20) in res.long
    groups = sorted(failing.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [ln for ln in res.long if ln.startswith("Failing last request")]
    assert [ln.split(" with ")[1].split(" ")[0] for ln in lines] == \
        ["0x%08X" % code for code, _ in groups]
    assert [int(ln.split(": ")[1].split(" ")[0]) for ln in lines] == [n for _, n in groups]


# ---- over https (nginx peer) and credential secrecy ------------------------------

EXPIRING_FIRST = ("KMS RENEWAL CRITICAL - 15 of 34 clients lose activation within 30 days "
                  "(8 within 7 days), 4 already lost")


def _serve_expiring(nginx):
    nginx.put_sample("expiring.json", "renewal/expiring.json", "auth/renewal/expiring.json")


def test_https_sample_expiring(nginx):
    _serve_expiring(nginx)
    res = run(PLUGIN, "-u", nginx.https_url("/renewal/expiring.json"), "--cacert", nginx.ca)
    assert res.code == 2, res
    assert res.first == EXPIRING_FIRST, res


def test_vvv_never_shows_password_from_auth_file(nginx):
    _serve_expiring(nginx)
    res = run(PLUGIN, "-vvv", "-u", nginx.https_url("/auth/renewal/expiring.json"),
              "--cacert", nginx.ca, "--auth-file", nginx.auth_file)
    assert res.code == 2, res
    assert res.first == EXPIRING_FIRST, res
    assert nginx.password not in res.stdout + res.stderr, res


def test_vvv_never_shows_password_from_url(nginx):
    _serve_expiring(nginx)
    path = "/auth/renewal/expiring.json"
    url = "https://%s:%s@127.0.0.1:%d%s" % (nginx.user, nginx.password, nginx.https_port, path)
    res = run(PLUGIN, "-vvv", "-u", url, "--cacert", nginx.ca)
    assert res.code == 2, res
    assert res.first == EXPIRING_FIRST, res
    out = res.stdout + res.stderr
    assert nginx.password not in out, res
    assert nginx.user + ":" not in out, res
    # the redacted URL is what -vvv names
    assert nginx.https_url(path) in out, res


# A line that is not OK never opens with "none" (read as OK on a phone): it
# leads with the lost clients, for any number of them and any thresholds.
@pytest.mark.parametrize("lost,healthy,args,code", [
    (1, 1, ("-w", "0", "-c", "0"), 2),
    (1, 9, ("-w", "0", "-c", "5"), 1),
    (3, 2, ("-w", "1", "-c", "2"), 2),
    (5, 38, (), 2),
    (2, 200, (), 0),   # 1 %: under the 2 % default, still named first
])
def test_lost_only_leads_with_lost(tmp_path, lost, healthy, args, code):
    c = [client("lost%d" % i, 0, NOW - DAY, None, 0, "0xC004F038") for i in range(lost)]
    c += [renewed("ok%d" % i) for i in range(healthy)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), *args)
    assert res.code == code, res
    n = lost + healthy
    assert res.summary == "%d of %d clients %s lost activation; no other loses it within 30 days" % (
        lost, n, "has" if lost == 1 else "have"), res
    assert not res.summary.startswith("none"), res
    assert res.perf["expired"]["value"] == lost and res.perf["expiring"]["value"] == 0, res


# With nothing expiring and nothing lost, "none" only when the state is OK.
@pytest.mark.parametrize("args,code,lead", [
    ((), 0, "none of 3 clients loses"),
    (("-w", "@0", "-c", "5"), 1, "0 of 3 clients lose"),
    (("-c", "@0:0"), 2, "0 of 3 clients lose"),
])
def test_nothing_expiring_says_none_only_when_ok(tmp_path, args, code, lead):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [renewed("a"), renewed("b"), renewed("c")]), *args)
    assert res.code == code, res
    assert res.summary == lead + " activation within 30 days", res


# ---- issue 15: one record per (CMID, product), classified by sku_id ---------------

SKU_ENT = "73111121-5638-40f6-bc11-f1d7b0d64300"     # Windows 10/11 Enterprise
SKU_PP24 = "8d368fc1-9470-4be2-8d66-90e836cbb051"    # Office LTSC Professional Plus 2024
SKU_SYN = "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01"     # in no table


def cmid(i):
    return "0d6b5c2e-0000-4000-8000-%012d" % i


def rec(name, i, sku=None, count=None, app=None, expiring=False):
    """A client record of machine i, its product told only by what is given."""
    c = client(name, 1, NOW - DAY, NOW - ((170 if expiring else 3) * DAY), app=app)
    c["cmid"] = cmid(i)
    if sku:
        c["sku_id"] = sku
    if count:
        c["required_count"] = count
    return c


def test_machine_with_windows_and_office_is_known_once_in_each(tmp_path):
    """pc01 holds a Windows and an Office record (one CMID): known twice
    overall, once per product, each line naming its edition."""
    c = [rec("pc01.corp.example", 1, SKU_ENT, 25, expiring=True),
         rec("pc01.corp.example", 1, "{%s}" % SKU_PP24.upper(), 5, expiring=True),
         rec("pc02.corp.example", 2, SKU_ENT, 25), rec("pc03.corp.example", 3, SKU_ENT, 25)]
    path = write_doc(tmp_path, c)
    res = run(PLUGIN, "-u", path, "-w", "3", "-c", "4")
    assert res.first == "KMS RENEWAL OK - 2 of 4 clients lose activation within 30 days " \
        "(0 within 7 days)", res
    assert res.perf_text == "expiring=2;;;0;4 expired=0;;;0;4 at_risk=2;3;4;0;4 known=4;;;0 " \
        "failing=0;;;0 no_deadline=0;;;0 min_days_left=10", res
    assert res.long[:2] == [
        "[OK] pc01.corp.example (Windows 10/11 Enterprise): activation expires %s "
        "(last renewal %s, last contact %s)" % (day(NOW + 10 * DAY), day(NOW - 170 * DAY),
                                                day(NOW - DAY)),
        "[OK] pc01.corp.example (Office LTSC Professional Plus 2024): activation "
        "expires %s (last renewal %s, last contact %s)" % (day(NOW + 10 * DAY),
                                                          day(NOW - 170 * DAY), day(NOW - DAY)),
    ]
    assert "Known clients by product: Windows 3, Office 2013+ 1" in res.long, res
    for sel, known, lines in (("windows", 3, 1), ("office", 1, 1)):
        r = run(PLUGIN, "-u", path, "--application", sel, "-w", "3", "-c", "4")
        assert r.perf["known"]["value"] == known, r
        assert r.perf["expiring"]["value"] == lines, r
        assert not any(ln.startswith("Known clients by product") for ln in r.long), r


@pytest.mark.parametrize("fields,sel,known", [
    ({"sku": SKU_ENT}, "windows", 1),
    ({"sku": SKU_ENT, "app": O2013}, "office", 0),      # the table wins
    ({"sku": SKU_PP24}, "office", 1),
    ({"sku": SKU_SYN, "count": 25}, "windows", 1),      # unknown SKU, 25: Windows
    ({"count": 25, "app": O2013}, "windows", 1),
    ({"sku": SKU_SYN, "count": 5, "app": O2013}, "office", 1),
    ({"count": 5}, "windows", 0),                       # ambiguous: never selected
    ({"count": 5}, "office", 0),
    ({}, "windows", 0),                                 # unknown: never selected
    ({}, "office", 0),
])
def test_application_selects_by_classified_product(tmp_path, fields, sel, known):
    c = [rec("x", 1, fields.get("sku"), fields.get("count"), fields.get("app")),
         rec("win", 2, SKU_ENT), rec("off", 3, SKU_PP24)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "--application", sel)
    assert res.code == 0, res
    assert res.perf["known"]["value"] == known + 1, res
    others = 2 - known
    assert "Not of --application %s: %d client%s" % (sel, others, "" if others == 1 else "s") \
        in res.long, res


@pytest.mark.parametrize("fields,kind", [
    ({"count": 5}, "server OS or Office (ambiguous)"),
    ({"sku": SKU_SYN, "count": 5}, "server OS or Office (ambiguous)"),
    ({}, "unknown product"),
    ({"sku": SKU_SYN}, "unknown product"),
])
def test_unsettled_products_are_named_not_guessed(tmp_path, fields, kind):
    c = [rec("x%d" % i, i, fields.get("sku"), fields.get("count"), expiring=True)
         for i in range(2)] + [rec("win", 9, SKU_ENT)]
    res = run(PLUGIN, "-u", write_doc(tmp_path, c), "-w", "5", "-c", "5")
    assert res.first.startswith("KMS RENEWAL OK - 2 of 3 clients lose activation"), res
    assert "Known clients by product: Windows 1, %s 2" % kind in res.long, res
    # no edition to name: the line names the client only
    assert res.long[0].startswith("[OK] x0: activation expires "), res


def test_duplicate_cmid_and_product_is_unknown(tmp_path):
    c = [rec("a", 1, SKU_ENT), rec("a", 1, SKU_PP24), rec("b", 2, SKU_ENT),
         rec("a-clone", 1, SKU_SYN, 25)]
    path = write_doc(tmp_path, c)
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == ("KMS RENEWAL UNKNOWN - status document %s: $.clients[3]: CMID %s and "
                         "product Windows already at $.clients[0]" % (path, cmid(1))), res
    assert len(res.line1) <= 100, res


# ---- issue 16: one result model; at_risk is judged and graphed ------------------
#
# The tree: one top-level subcheck (output: the summary) judged by at_risk =
# expiring + expired against -w/-c; the listed clients are its children,
# each at its own state (expired CRITICAL, expiring WARNING, no deadline
# UNKNOWN) capped at at_risk's verdict. Every run below goes through
# harness.run_formats (text, json and mp-test-json agree, the schema, no
# metric over its thresholds under a better state) and assert_renewal_tree.

_RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}
_OWN = {"expired": "CRITICAL", "expiring": "WARNING", "none": "UNKNOWN"}


def when(text):
    """A document time in Unix seconds (None when absent)."""
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def risk(c, now=NOW, days=30):
    """deadline.h's client_risk in Python: (class, deadline)."""
    st, req, ok = c.get("license_state"), when(c.get("last_request_at")), \
        when(c.get("last_success_at"))
    if st == 1:
        base = ok if ok is not None else req
        dl = None if base is None else base + 180 * DAY
    elif st in (2, 3, 4, 6):
        exp = c.get("state_expires_in_minutes")
        dl = None if req is None or exp is None else req + exp * MIN
    elif st in (0, 5):
        dl = req if req is not None and req < now else now
    else:
        dl = None
    if dl is None:
        return "none", None
    if dl <= now:
        return "expired", dl
    return ("expiring" if dl <= now + days * DAY else "fine"), dl


def nagios_range(text, known):
    """A -w/-c text as the JSON range object, % scaled by known."""
    inside = text.startswith("@")
    t = text[1:] if inside else text
    lo, sep, hi = t.partition(":")
    if not sep:
        lo, hi = "0", t

    def bound(b, inf):
        if b in ("", "~"):
            return inf
        v = float(b.rstrip("%"))
        return v * known / 100.0 if b.endswith("%") else v
    return {"start": bound(lo, "-inf"), "end": bound(hi, "inf"), "alert_on_inside": inside}


def thresholds_verdict(value, warn, crit):
    if crit is not None and harness.range_violated(crit, value):
        return "CRITICAL"
    if warn is not None and harness.range_violated(warn, value):
        return "WARNING"
    return "OK"


def assert_renewal_tree(doc):
    """The shape of every check_kms_renewal document that is not UNKNOWN:
    one top-level subcheck; only at_risk carries thresholds, and its own
    verdict IS the state (the value judged is the value graphed); at_risk
    is expiring + expired; every child is at its own state capped at the
    verdict, no child has children or metrics."""
    assert len(doc["checks"]) == 1, doc
    top = doc["checks"][0]
    perf = {pd["label"]: pd for pd in top["perfdata"]}
    assert [pd["label"] for pd in top["perfdata"]][:4] == \
        ["expiring", "expired", "at_risk", "known"], doc
    judged = [pd["label"] for pd in top["perfdata"] if "warn" in pd or "crit" in pd]
    assert judged in (["at_risk"], []), doc
    ar = perf["at_risk"]
    assert ar["value"] == perf["expiring"]["value"] + perf["expired"]["value"], doc
    assert ar["max"] == perf["known"]["value"] and ar["min"] == 0, doc
    assert top["state"] == harness.metric_verdict(ar) == doc["state"], doc
    for kid in top.get("checks", []):
        assert "checks" not in kid and "perfdata" not in kid, kid
        out = kid["output"]
        kind = "none" if "deadline unknown" in out else \
            "expired" if any(w in out for w in (" expired ", " ended ", "unlicensed",
                                                "notification mode")) else "expiring"
        own = _OWN[kind]
        want = own if _RANK[own] <= _RANK[doc["state"]] else doc["state"]
        assert kid["state"] == want, (kid, doc["state"])
    # line 1 is the subcheck's summary in every state (cut at 100 characters)
    s = doc["summary"]
    assert top["output"] == s or (s.endswith("...") and top["output"].startswith(s[:-3])), doc
    return top, perf


def check_renewal(*args):
    text, doc = harness.run_formats(PLUGIN, *args)
    top, perf = assert_renewal_tree(doc)
    # the text shows the same: leaves worst first, each as in the JSON
    kids = top.get("checks", [])
    leaves = ["[%s] %s" % (k["state"], k["output"]) for k in kids] or \
        ["[%s] %s" % (top["state"], top["output"])]
    leaves.sort(key=lambda ln: -_RANK[ln[1:ln.index("]")]])
    lines = [ln for ln in text.long if ln.startswith("[")]
    assert lines == leaves[:len(lines)], (lines, leaves)
    if len(lines) < len(leaves):  # the 8 KB cap of the text (render.h)
        assert "... and %d more" % (len(leaves) - len(lines)) in text.long, text
    return text, doc, perf


THRESHOLDS = [(), ("-w", "5", "-c", "10"), ("-w", "5%", "-c", "25%"), ("-w", "0", "-c", "0"),
              ("-c", "50%"), ("-w", "1"), ("-w", "10:", "-c", "0"), ("-w", "@0", "-c", "@0:0"),
              ("-w", "~:3", "-c", "3:1000")]


def expected(clients, args):
    """(at_risk, known, state) recomputed here from the document."""
    classes = [risk(c)[0] for c in clients]
    at_risk = sum(1 for k in classes if k in ("expiring", "expired"))
    known = len(clients)
    opts = dict(zip(args[::2], args[1::2]))
    if not opts:
        opts = {"-w": "2%", "-c": "10%"}
    warn = nagios_range(opts["-w"], known) if "-w" in opts else None
    crit = nagios_range(opts["-c"], known) if "-c" in opts else None
    return at_risk, known, thresholds_verdict(at_risk, warn, crit), warn, crit


def assert_expected(doc, perf, clients, args):
    at_risk, known, state, warn, crit = expected(clients, args)
    assert perf["at_risk"]["value"] == at_risk, (perf, at_risk)
    assert perf["known"]["value"] == known
    assert doc["state"] == state, (doc["state"], state, args)
    for name, rng in (("warn", warn), ("crit", crit)):
        if rng is None:
            assert name not in perf["at_risk"]
            continue
        got = perf["at_risk"][name]
        assert got["alert_on_inside"] == rng["alert_on_inside"]
        for b in ("start", "end"):
            if isinstance(rng[b], str):
                assert got[b] == rng[b], (got, rng)
            else:
                assert abs(got[b] - rng[b]) <= 1e-9 * max(1, abs(rng[b])), (got, rng)


SAMPLE_NAMES = sorted(os.path.splitext(f)[0] for f in os.listdir(SAMPLES)
                      if f.endswith(".json"))


def test_every_sample_is_covered():
    # the samples are found, not listed: a new one is covered without an edit
    assert {"below-threshold", "dns-failure", "expiring", "healthy", "not-kms"} <= \
        set(SAMPLE_NAMES), SAMPLE_NAMES


@pytest.mark.parametrize("args", THRESHOLDS, ids=lambda a: " ".join(a) or "defaults")
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_formats_every_sample(sample, args):
    path = os.path.join(SAMPLES, sample + ".json")
    with open(path) as f:
        clients = json.load(f).get("clients", [])
    text, doc, perf = check_renewal("-u", path, *args)
    assert_expected(doc, perf, clients, args)


GENERATED = [
    ("--clients", "1", "--seed", "9"),
    ("--clients", "10", "--seed", "1"),
    ("--clients", "200", "--seed", "2"),
    ("--clients", "1000", "--seed", "3", "--profile", "windows-only"),
    ("--clients", "3000", "--seed", "4", "--profile", "servers-only"),
    ("--clients", "5000", "--seed", "7"),
    ("--clients", "50", "--lapsing", "10"),
    ("--clients", "500", "--lapsing", "500", "--lapse-day", "1"),
    ("--clients", "2000", "--lapsing", "300", "--lapse-day", "29", "--seed", "11"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Each GENERATED document, written once: {params: (path, clients)}."""
    out = {}
    d = tmp_path_factory.mktemp("generated")
    for i, params in enumerate(GENERATED):
        path = d / ("gen%d.json" % i)
        subprocess.run(["/usr/bin/python3", GENERATE, "--now", NOW_TEXT, "--out", str(path)]
                       + list(params), check=True, timeout=120)
        with open(path) as f:
            out[params] = (str(path), json.load(f)["clients"])
    return out


@pytest.mark.parametrize("args", THRESHOLDS, ids=lambda a: " ".join(a) or "defaults")
@pytest.mark.parametrize("params", GENERATED, ids=lambda p: " ".join(p))
def test_formats_generated(generated, params, args):
    path, clients = generated[params]
    text, doc, perf = check_renewal("-u", path, *args)
    assert_expected(doc, perf, clients, args)


@pytest.mark.parametrize("extra", [("--days", "1"), ("--days", "365"), ("--max-list", "0"),
                                   ("--max-list", "10000"), ("--application", "office"),
                                   ("--exclude", "^pc000"), ("--days", "7", "-w", "1%")])
def test_formats_generated_options(generated, extra):
    path, _ = generated[GENERATED[5]]
    check_renewal("-u", path, *extra)


# Each state check_kms_renewal can reach, through run_formats.
def lost(name):
    return client(name, 0, NOW - DAY, None, 0, "0xC004F038")


def soon(name, days_left=10):
    return client(name, 1, NOW - DAY, NOW - (180 - days_left) * DAY)


@pytest.mark.parametrize("clients,args,state", [
    ([renewed("a"), renewed("b")], (), "OK"),
    ([soon("a"), renewed("b"), renewed("c")], ("-w", "0", "-c", "5"), "WARNING"),
    ([lost("a"), soon("b"), renewed("c")], ("-w", "0", "-c", "1"), "CRITICAL"),
    ([], (), "OK"),
])
def test_formats_each_state(tmp_path, clients, args, state):
    text, doc, _ = check_renewal("-u", write_doc(tmp_path, clients), *args)
    assert doc["state"] == state, doc


@pytest.mark.parametrize("clients,args,msg", [
    (None, (), "status document has no client inventory"),
    ([renewed("a")], ("--exclude", "a"), "every one of the 1 clients"),
    ([renewed("a")], ("--application", "office"), "no client of --application office"),
    ([renewed("a")], ("-c", "2:1"), 'invalid range for -c: "2:1"'),
])
def test_formats_unknown(tmp_path, clients, args, msg):
    text, doc = harness.run_formats(PLUGIN, "-u", write_doc(tmp_path, clients), *args)
    assert text.code == 3 and doc["state"] == "UNKNOWN", doc
    assert doc["checks"] == [] and doc["summary"].startswith(msg), doc


def test_formats_stale_document_is_unknown(tmp_path):
    path = write_doc(tmp_path, [renewed("a")], generated_at="2026-11-25T10:50:00Z")
    text, doc = harness.run_formats(PLUGIN, "-u", path)
    assert doc["state"] == "UNKNOWN" and doc["checks"] == [], doc
    assert "status document is 3 h 10 min old" in doc["summary"] + " ".join(doc.get("notes", []))


def test_output_format_yaml_is_unknown(tmp_path):
    res = run(PLUGIN, "-u", write_doc(tmp_path, [renewed("a")]), "--output-format", "yaml")
    assert res.code == 3, res
    assert res.first == "KMS RENEWAL UNKNOWN - unknown --output-format 'yaml' " \
        "(text, json or mp-test-json)", res


# ---- the old false green, and exact trees -------------------------------------------

def test_expired_push_at_risk_over_critical_while_expiring_is_under(tmp_path):
    """expiring 1 is under -c 2, expired 2 make at_risk 3, over it. Before
    issue 16 the thresholds hung on expiring: the graph showed 1 under its
    critical line while the service was CRITICAL. Now at_risk, the value
    judged, carries them and is graphed over its crit."""
    c = [soon("exp"), lost("gone1"), lost("gone2")] + [renewed("ok%d" % i) for i in range(7)]
    text, doc, perf = check_renewal("-u", write_doc(tmp_path, c), "-w", "1", "-c", "2")
    assert text.code == 2 and doc["state"] == "CRITICAL", doc
    assert text.perf_text == "expiring=1;;;0;10 expired=2;;;0;10 at_risk=3;1;2;0;10 " \
        "known=10;;;0 failing=2;;;0 no_deadline=0;;;0 min_days_left=0", text
    assert harness.metric_verdict(perf["at_risk"]) == "CRITICAL"
    assert perf["expiring"]["value"] < perf["at_risk"]["crit"]["end"]
    assert "crit" not in perf["expiring"] and "warn" not in perf["expiring"]
    assert text.summary == "1 of 10 clients loses activation within 30 days " \
        "(0 within 7 days), 2 already lost", text


def test_exact_tree_warning_caps_the_lines(tmp_path):
    """WARNING: at_risk 3 is over -w 2, under -c 5. The lost client would be
    CRITICAL on its own; under a WARNING check its line is WARNING; the
    client without a deadline stays UNKNOWN, which changes nothing."""
    c = [lost("gone"), soon("exp1", 5), soon("exp2", 20), client("dunno", 1, None, None),
         renewed("ok")]
    text, doc, _ = check_renewal("-u", write_doc(tmp_path, c), "-w", "2", "-c", "5")
    summary = "2 of 5 clients lose activation within 30 days (1 within 7 days), " \
        "1 already lost, 1 without a known deadline"

    def n(v):
        return {"uom": "", "min": 0, "value": v}
    assert doc == {
        "state": "WARNING",
        "summary": text.line1[len("KMS RENEWAL WARNING - "):],
        "checks": [{
            "output": summary,
            "state": "WARNING",
            "perfdata": [
                dict(n(2), label="expiring", max=5), dict(n(1), label="expired", max=5),
                dict(n(3), label="at_risk", max=5,
                     warn={"start": 0, "end": 2, "alert_on_inside": False},
                     crit={"start": 0, "end": 5, "alert_on_inside": False}),
                dict(n(5), label="known"), dict(n(1), label="failing"),
                dict(n(1), label="no_deadline"),
                {"label": "min_days_left", "value": 0, "uom": ""},
            ],
            "checks": [
                {"output": "gone: unlicensed at last contact %s, last request failed "
                           "0xC004F038 (KMS count insufficient)" % day(NOW - DAY),
                 "state": "WARNING"},
                {"output": "exp1: activation expires %s (last renewal %s, last contact %s)"
                           % (day(NOW + 5 * DAY), day(NOW - 175 * DAY), day(NOW - DAY)),
                 "state": "WARNING"},
                {"output": "exp2: activation expires %s (last renewal %s, last contact %s)"
                           % (day(NOW + 20 * DAY), day(NOW - 160 * DAY), day(NOW - DAY)),
                 "state": "WARNING"},
                {"output": "dunno: licensed, but neither last success nor last request "
                           "time in the document: deadline unknown",
                 "state": "UNKNOWN"},
            ],
        }],
        "notes": ["Failing last request: 1 client with 0xC004F038 (KMS count insufficient)"],
    }
    assert text.first == "KMS RENEWAL WARNING - " + summary, text
    assert text.long[:4] == ["[WARNING] " + k["output"] for k in doc["checks"][0]["checks"][:3]] \
        + ["[UNKNOWN] " + doc["checks"][0]["checks"][3]["output"]], text


def test_exact_tree_critical_keeps_own_states(tmp_path):
    """CRITICAL: each line at its own state, as before issue 16."""
    c = [lost("gone"), soon("exp"), client("dunno", None, NOW - DAY, NOW - DAY)]
    text, doc, _ = check_renewal("-u", write_doc(tmp_path, c), "-w", "0", "-c", "1")
    top = doc["checks"][0]
    assert doc["state"] == top["state"] == "CRITICAL"
    assert [(k["output"].split(":")[0], k["state"]) for k in top["checks"]] == [
        ("gone", "CRITICAL"), ("exp", "WARNING"), ("dunno", "UNKNOWN")]
    assert text.long[:3] == [
        "[CRITICAL] gone: unlicensed at last contact %s, last request failed 0xC004F038 "
        "(KMS count insufficient)" % day(NOW - DAY),
        "[WARNING] exp: activation expires %s (last renewal %s, last contact %s)"
        % (day(NOW + 10 * DAY), day(NOW - 170 * DAY), day(NOW - DAY)),
        "[UNKNOWN] dunno: no license state in the document: deadline unknown"]


def test_exact_tree_ok_lines_are_ok(tmp_path):
    """OK: 2 at risk under -w 5. Before issue 16 the lines read [CRITICAL]
    and [WARNING] under an OK state."""
    c = [lost("gone"), soon("exp"), renewed("ok")]
    text, doc, _ = check_renewal("-u", write_doc(tmp_path, c, complete_since=None),
                                 "-w", "5", "-c", "10", "--max-list", "1")
    assert doc == {
        "state": "OK",
        "summary": "1 of 3 clients loses activation within 30 days (0 within 7 days), "
                   "1 already lost",
        "checks": [{
            "output": "1 of 3 clients loses activation within 30 days (0 within 7 days), "
                      "1 already lost",
            "state": "OK",
            "perfdata": doc["checks"][0]["perfdata"],
            "checks": [{"output": "gone: unlicensed at last contact %s, last request "
                                  "failed 0xC004F038 (KMS count insufficient)"
                                  % day(NOW - DAY),
                        "state": "OK"}],
        }],
        "notes": ["... and 1 more",
                  "Failing last request: 1 client with 0xC004F038 (KMS count insufficient)",
                  "The document does not say how far back the inventory reaches (no "
                  "clients_complete_since): clients silent for long may not be seen"],
    }
    assert [pd["label"] for pd in doc["checks"][0]["perfdata"]] == [
        "expiring", "expired", "at_risk", "known", "failing", "no_deadline", "min_days_left"]


def test_exact_tree_nothing_listed_is_a_leaf(tmp_path):
    """No client listed: the subcheck has no children and is the one leaf."""
    text, doc, _ = check_renewal("-u", write_doc(tmp_path, [renewed("a")]))
    assert doc["checks"][0]["output"] == "none of 1 client loses activation within 30 days"
    assert "checks" not in doc["checks"][0] and "notes" not in doc, doc
    assert text.long == ["[OK] none of 1 client loses activation within 30 days"]
