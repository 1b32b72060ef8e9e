"""The Windows exporter (packaging/windows, issue 15), checked without Windows.

Owns: every expected document of the exporter's -SelfTest fixtures is valid
against the schema, keys its clients by (CMID, SKU) and loads in
check_kms_count, check_kms_renewal and check_kms_service with the exact
first line; the fixtures hold the odd records the exporter must survive;
the script parses as PowerShell (tree-sitter grammar, when `make` could
install it: no PowerShell exists here, so nothing in the script RUNS).
Issue 18: every record's names_seen / names_seen_count in the expected
documents follow the merge rules of the README (a Python statement of the
rules, checked against the fixtures: it says what the expected documents
must hold, not what the PowerShell does; -SelfTest checks that, on
Windows)."""
import calendar
import glob
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import jsonschema
import pytest

from harness import ROOT, run

WINDOWS = os.path.join(ROOT, "packaging", "windows")
SCRIPT = os.path.join(WINDOWS, "kms-status-exporter.ps1")
FIXTURES = os.path.join(WINDOWS, "fixtures")
EXPECTED = os.path.join(FIXTURES, "expected")
SCHEMA = os.path.join(ROOT, "packaging", "schema", "kms-status-v1.schema.json")
PARSER = os.path.join(ROOT, "tests", "integration", "ps-parser", "parse.cjs")
PARSER_MODULES = os.environ.get("KMS_PS_PARSER", os.path.join(ROOT, "build", "ps-parser", "node_modules"))
NA = 4294967295


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


CASES = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(FIXTURES, "*.json")))
WRITING = [c for c in CASES if not load(os.path.join(FIXTURES, c + ".json")).get("expect_error")]
FAILING = [c for c in CASES if c not in WRITING]


@pytest.fixture(scope="module")
def validator():
    schema = load(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_case_has_its_outcome():
    assert CASES, "no fixture"
    assert sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(EXPECTED, "*.json"))) == WRITING
    for c in FAILING:
        assert not os.path.exists(os.path.join(EXPECTED, c + ".json"))
    assert {"fresh-host", "mixed-requests", "merge-previous", "not-kms", "clones-rename",
            "dns-domains"} <= set(WRITING)
    assert {"log-access-denied", "log-missing"} <= set(FAILING)


@pytest.mark.parametrize("case", WRITING)
def test_expected_document_is_valid(validator, case):
    doc = load(os.path.join(EXPECTED, case + ".json"))
    errors = sorted(e.message for e in validator.iter_errors(doc))
    assert errors == []


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


@pytest.mark.parametrize("case", WRITING)
def test_expected_document_keys_clients_by_machine_and_product(case):
    doc = load(os.path.join(EXPECTED, case + ".json"))
    pairs = [(c["cmid"], c["sku_id"]) for c in doc["clients"]]
    assert len(pairs) == len(set(pairs)), "a (CMID, SKU) pair twice"
    for c in doc["clients"]:
        # the event names the SKU, never the application: no guess
        assert c["application_id"] is None
        assert c["cmid"] == c["cmid"].lower() and c["sku_id"] == c["sku_id"].lower()
    # WMI's uint32 "-1" is never published as a number
    assert NA not in set(_numbers(doc))
    assert doc["exporter"]["requests_skipped"] == len(doc["exporter"]["skipped"])
    assert doc["generated_at"] == load(os.path.join(FIXTURES, case + ".json"))["now"]


def test_one_machine_holds_windows_and_office():
    doc = load(os.path.join(EXPECTED, "mixed-requests.json"))
    cmid = "0d6b5c2e-1a2b-4c3d-8e9f-000000000001"
    mine = {c["sku_id"]: c for c in doc["clients"] if c["cmid"] == cmid}
    assert sorted(mine) == ["73111121-5638-40f6-bc11-f1d7b0d64300", "fbdb3e18-a8ef-4fb3-9183-dffd60bd0984"]
    # the Office request did not flip the Windows record, and the other way round
    win, office = mine["73111121-5638-40f6-bc11-f1d7b0d64300"], mine["fbdb3e18-a8ef-4fb3-9183-dffd60bd0984"]
    assert (win["required_count"], win["last_result"], win["last_success_at"]) == (25, "0xC004F074", "2026-11-25T08:00:00Z")
    assert (office["required_count"], office["last_result"], office["last_success_at"]) == (5, "0x0", "2026-11-24T08:01:00Z")


# The odd records of the fixtures and what the exporter makes of them
@pytest.mark.parametrize("name, field, value", [
    ("pc0002.corp.example", "last_result", "0xC004F038"),   # 10-value layout, CMID in braces, upper case
    ("pc0002.corp.example", "virtual", True),
    ("pc0003.corp.example", "last_result", "0x0"),          # one comma-joined string, German message
    ("srv0004.corp.example", "last_result", "0xC004F038"),  # signed decimal -1073418184
    ("srv0004.corp.example", "state_expires_in_minutes", None),  # 4294967295 in the event
    ("srv0005.corp.example", "last_result", "0x989680"),    # 8 decimal digits: decimal
])
def test_odd_records(name, field, value):
    doc = load(os.path.join(EXPECTED, "mixed-requests.json"))
    (client,) = [c for c in doc["clients"] if c["name"] == name]
    assert client[field] == value


def test_bad_records_are_counted_and_the_bookmark_passes_them():
    doc = load(os.path.join(EXPECTED, "mixed-requests.json"))
    ex = doc["exporter"]
    assert [s["record_id"] for s in ex["skipped"]] == [107, 108, 109, 110]
    assert (ex["requests_read"], ex["requests_skipped"]) == (12, 4)
    assert ex["last_request_event_at"] == "2026-11-25T09:00:00Z"


def test_only_the_spp_provider_counts():
    case = load(os.path.join(FIXTURES, "mixed-requests.json"))
    assert {"VSS"} < {r["ProviderName"] for r in case["application"]}
    doc = load(os.path.join(EXPECTED, "mixed-requests.json"))
    # the VSS 12294 inside the window is not a DNS success: the SPP one of
    # October (outside it) is the newest 12294 reported
    assert [(e["id"], e["at"]) for e in doc["events"]] == [
        (12294, "2026-10-01T06:00:00Z"), (12293, "2026-11-25T13:02:11Z")]


@pytest.mark.parametrize("case", FAILING)
def test_unreadable_log_fails_the_run(case):
    c = load(os.path.join(FIXTURES, case + ".json"))
    assert not c["requests_error"]["FullyQualifiedErrorId"].startswith("NoMatchingEventsFound")


def test_fixtures_carry_the_odd_shapes():
    case = load(os.path.join(FIXTURES, "mixed-requests.json"))
    shapes = {len(r["Properties"]) for r in case["requests"]}
    assert {1, 3, 9, 10} <= shapes
    assert any("Informationen" in (r.get("Message") or "") for r in case["requests"])
    fresh = load(os.path.join(FIXTURES, "fresh-host.json"))
    assert fresh["products"][0]["KeyManagementServiceCurrentCount"] == NA


# Exact first lines of the document plugins on each expected document
FIRST_LINES = [
    ("fresh-host", "check_kms_count", 2, "KMS COUNT CRITICAL - Windows not enabled as a KMS host or no request received yet"),
    ("fresh-host", "check_kms_renewal", 0, "KMS RENEWAL OK - the client inventory is empty: no client has asked this host for activation"),
    ("fresh-host", "check_kms_service", 1, "KMS SERVICE WARNING - idle: no activation request recorded"),
    ("merge-previous", "check_kms_count", 0, "KMS COUNT OK - Windows 31 OK"),
    ("merge-previous", "check_kms_renewal", 0, "KMS RENEWAL OK - none of 3 clients loses activation within 30 days"),
    ("merge-previous", "check_kms_service", 0, "KMS SERVICE OK - kms01.corp.example: KMS running, host key licensed, last request 8 min ago"),
    ("mixed-requests", "check_kms_count", 0, "KMS COUNT OK - Windows 31 OK; Office 2013+ 12 OK"),
    ("mixed-requests", "check_kms_renewal", 2, "KMS RENEWAL CRITICAL - 1 of 6 clients loses activation within 30 days (0 within 7 days), 1 already lost, 1 without a known deadline"),
    ("mixed-requests", "check_kms_service", 2, "KMS SERVICE CRITICAL - 1 of 1 clients failing: 1 with 0xC004F074 (no KMS reachable), Windows 10/11 Enterprise; +1 more"),
    ("clones-rename", "check_kms_count", 1, "KMS COUNT WARNING - Windows 26/30 (close to 25)"),
    ("clones-rename", "check_kms_renewal", 0, "KMS RENEWAL OK - none of 5 clients loses activation within 30 days"),
    ("clones-rename", "check_kms_service", 0, "KMS SERVICE OK - kms01.corp.example: KMS running, host key licensed, last request 2 min ago"),
    ("not-kms", "check_kms_count", 2, "KMS COUNT CRITICAL - Windows not enabled as a KMS host or no request received yet"),
    ("not-kms", "check_kms_renewal", 0, "KMS RENEWAL OK - the client inventory is empty: no client has asked this host for activation"),
    ("not-kms", "check_kms_service", 2, "KMS SERVICE CRITICAL - KMS is not enabled on ws01 (clients get 0xC004F039)"),
    ("dns-domains", "check_kms_count", 0, "KMS COUNT OK - Windows 31 OK"),
    ("dns-domains", "check_kms_renewal", 0, "KMS RENEWAL OK - none of 3 clients loses activation within 30 days"),
    ("dns-domains", "check_kms_service", 1, "KMS SERVICE WARNING - DNS publishing failing for branch.example (0x8007232B) +1 more"),
]


# --- DNS domains (issue 19, exporter 1.3) ------------------------------------------
#
# host.dns_publish_domains from DnsDomainPublishList: the name part of each
# "domain_name, <priority>, <weight>" entry, trimmed, lower case, without
# the trailing dot, each once, entries that are no DNS name left out; absent
# value, no key. An event's domain: the same form, null when it is no DNS
# name. Stated in Python and held against the fixtures.

DNS_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def dns_name(text):
    t = (text or "").strip()
    t = t[:-1] if t.endswith(".") else t
    t = t.lower()
    return t if 1 <= len(t) <= 253 and DNS_NAME.match(t) else None


def publish_domains(entries):
    if entries is None:
        return None
    out = []
    for e in entries:
        if not e or not e.strip():
            continue
        n = dns_name(e.split(",", 1)[0])
        if n and n not in out and len(out) < 64:
            out.append(n)
    return out


@pytest.mark.parametrize("case", WRITING)
def test_publish_domains_follow_the_rules(case):
    fixture = load(os.path.join(FIXTURES, case + ".json"))
    doc = load(os.path.join(EXPECTED, case + ".json"))
    want = publish_domains(fixture.get("dns_domain_publish_list"))
    if want is None:
        assert "dns_publish_domains" not in doc["host"], doc["host"]
    else:
        assert doc["host"]["dns_publish_domains"] == want
    for e in doc["events"]:
        if e["id"] not in (12293, 12294):
            assert e["domain"] is None, e
            continue
        (rec,) = [r for r in fixture["application"]
                  if r["Id"] == e["id"] and r["TimeCreated"] == e["at"]]
        props = rec["Properties"]
        raw = props[0] if e["id"] == 12294 else (props[1] if len(props) > 1 else None)
        assert e["domain"] == dns_name(raw), (e, rec)


def test_dns_domains_case():
    doc = load(os.path.join(EXPECTED, "dns-domains.json"))
    assert doc["host"]["dns_publish_domains"] == ["branch.example", "lab.example", "corp.example"]
    assert [(e["id"], e["domain"]) for e in doc["events"]] == [
        (12294, "branch.example"), (12293, "corp.example"), (12294, "corp.example"),
        (12293, "branch.example"), (12294, None)]


def test_exporter_reads_the_registry_value():
    with open(SCRIPT, encoding="utf-8") as f:
        text = f.read()
    assert "$ExporterVersion = '1.3'" in text
    assert ("'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform'"
            in text)
    assert "-Name DnsDomainPublishList" in text
    # the exporter's name rule is the one stated above
    assert DNS_NAME.pattern in text


def test_first_lines_cover_every_case_and_plugin():
    assert sorted({(c, p) for c, p, _, _ in FIRST_LINES}) == sorted(
        (c, p) for c in WRITING for p in ("check_kms_count", "check_kms_renewal", "check_kms_service"))


@pytest.mark.parametrize("case, plugin, code, first", FIRST_LINES)
def test_plugins_load_the_document(case, plugin, code, first):
    res = run(plugin, "-u", os.path.join(EXPECTED, case + ".json"))
    assert res.code != 3, res
    assert (res.code, res.first) == (code, first), res


# --- names per CMID (issue 18) ---------------------------------------------------
#
# The rules (README, "Names per CMID"), stated once more in Python:
# - a previous record's names_seen is kept (names lower case, the newer time
#   of a name listed twice); a record without one (exporter 1.1) starts with
#   its own name at its last request; names_seen_count is at least the
#   list's length;
# - two previous records of one (CMID, SKU): the newer request wins, the
#   names of both are kept, the count is the larger count or the names both
#   list, whichever is more;
# - each valid 12290 (in time order, the overlap's too): a listed name moves
#   forward in time; a new name is added and counted, except when the list
#   is full and the request is older than every listed name;
# - at most 32 names, newest first (then by name); an empty FQDN adds none.

MAX_NAMES = 32


def _utc(text):
    if text is None:
        return None
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$", text)
    return calendar.timegm(tuple(int(x) for x in m.groups()) + (0, 0, 0))


def _iso(t):
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _guid(text):
    try:
        return str(uuid.UUID(str(text).strip()))
    except (ValueError, TypeError, AttributeError):
        return None


def _order(names):
    return sorted(names, key=lambda n: (-(names[n] if names[n] is not None else -(1 << 62)), n))


def _limit(rec):
    for n in _order(rec["names"])[MAX_NAMES:]:
        del rec["names"][n]


def _note(names, name, at):
    """A name at a time into a table: the newer time wins."""
    if name not in names or (at is not None and (names[name] is None or at > names[name])):
        names[name] = at


def _add(rec, name, at):
    names = rec["names"]
    if not name:
        return
    if name in names:
        _note(names, name, at)
        return
    if len(names) >= MAX_NAMES:
        oldest = names[_order(names)[-1]]
        if at is None or (oldest is not None and at <= oldest):
            return
    names[name] = at
    rec["count"] += 1
    _limit(rec)


def _merge(into, frm):
    for n, at in frm["names"].items():
        _note(into["names"], n, at)
    into["count"] = max(into["count"], frm["count"], len(into["names"]))
    _limit(into)


def _request_fields(props):
    v = [str(x).strip() for x in props]
    if len(v) == 1 and "," in v[0]:
        v = [x.strip() for x in v[0].split(",")]
    elif len(v) == 10:
        v = v[1:]
    return v[2].lower() or None, _guid(v[3]), _guid(v[8])


def names_by_the_rules(case, expected):
    """{(cmid, sku): (names_seen, names_seen_count)} for a fixture case; the
    valid requests are those the expected document does not list as
    skipped (their validation is tested above)."""
    inv = {}
    for p in (case.get("previous") or {}).get("clients") or []:
        cmid = _guid(p.get("cmid"))
        if cmid is None:
            continue
        last = _utc(p.get("last_request_at"))
        rec = {"names": {}, "count": 0, "last": last}
        if p.get("names_seen") is not None:
            for n in p["names_seen"]:
                if n.get("name"):
                    _note(rec["names"], n["name"].lower(), _utc(n.get("last_request_at")))
            rec["count"] = p.get("names_seen_count") or 0
        elif p.get("name"):
            rec["names"][p["name"].lower()] = last
        rec["count"] = max(rec["count"], len(rec["names"]))
        _limit(rec)
        key = (cmid, _guid(p.get("sku_id")))
        old = inv.get(key)
        if old is not None:
            if old["last"] and (not last or last <= old["last"]):
                _merge(old, rec)
                continue
            _merge(rec, old)
        inv[key] = rec
    skipped = {s["record_id"] for s in expected["exporter"]["skipped"]}
    requests = sorted((r for r in case.get("requests") or []
                       if r and r["Id"] == 12290 and r["RecordId"] not in skipped),
                      key=lambda r: (_utc(r["TimeCreated"]), r["RecordId"]))
    for r in requests:
        name, cmid, sku = _request_fields(r["Properties"])
        rec = inv.setdefault((cmid, sku), {"names": {}, "count": 0, "last": None})
        _add(rec, name, _utc(r["TimeCreated"]))
    return {k: ([{"name": n, "last_request_at": _iso(v["names"][n])} for n in _order(v["names"])],
                v["count"]) for k, v in inv.items()}


@pytest.mark.parametrize("case", WRITING)
def test_names_seen_follow_the_rules(case):
    fixture = load(os.path.join(FIXTURES, case + ".json"))
    doc = load(os.path.join(EXPECTED, case + ".json"))
    want = names_by_the_rules(fixture, doc)
    for c in doc["clients"]:
        assert (c["names_seen"], c["names_seen_count"]) == want[(c["cmid"], c["sku_id"])], c["name"]
        if c["names_seen"]:
            # the record's name is the name of its newest request
            assert (c["names_seen"][0]["name"], c["names_seen"][0]["last_request_at"]) == \
                (c["name"], c["last_request_at"])
    assert doc["exporter"]["version"] == "1.3"


def _names(doc, cmid, sku="73111121-5638-40f6-bc11-f1d7b0d64300"):
    (c,) = [c for c in doc["clients"] if (c["cmid"], c["sku_id"]) == (cmid, sku)]
    return [(n["name"], n["last_request_at"]) for n in c["names_seen"]], c["names_seen_count"]


def test_clones_rename_case():
    """What the clones-rename case shows, spelt out."""
    doc = load(os.path.join(EXPECTED, "clones-rename.json"))
    # four clones behind one CMID, all within minutes; the overlap's
    # re-read of vdi01 changed nothing, vdi02 moved forward
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-0000000000a1") == ([
        ("vdi02.corp.example", "2026-11-25T13:55:00Z"), ("vdi04.corp.example", "2026-11-25T13:53:00Z"),
        ("vdi03.corp.example", "2026-11-25T13:51:00Z"), ("vdi01.corp.example", "2026-11-25T13:40:00Z")], 4)
    # the same CMID under Office is a record of its own, with its own names
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-0000000000a1", "fbdb3e18-a8ef-4fb3-9183-dffd60bd0984") == \
        ([("vdi04.corp.example", "2026-11-25T13:56:00Z")], 1)
    # a rename: the old name stopped 44 days before the new one
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-0000000000b1") == ([
        ("pc0011.corp.example", "2026-11-25T13:57:00Z"),
        ("desktop-4f7k2q9.corp.example", "2026-10-12T16:40:00Z")], 2)
    # the lab pool: 32 names kept, 41 ever; LAB09 (upper case in the event)
    # was listed and moved forward, lab41 pushed lab10 off the list
    names, count = _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-0000000000c1")
    assert (len(names), count) == (32, 41)
    assert [n for n, _ in names[:3]] == ["lab41.corp.example", "lab09.corp.example", "lab40.corp.example"]
    assert names[-1] == ("lab11.corp.example", "2026-11-24T07:00:00Z")
    # an untouched record keeps its names
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-0000000000e1") == \
        ([("pc0001.corp.example", "2026-11-21T08:00:00Z")], 1)


def test_previous_document_without_names():
    """merge-previous's previous document is by exporter 1.1: each record
    starts with its own name; its duplicate pair (a rename) keeps both."""
    doc = load(os.path.join(EXPECTED, "merge-previous.json"))
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-000000000002") == ([
        ("pc0002.corp.example", "2026-11-01T08:00:00Z"),
        ("pc0002-old.corp.example", "2026-06-01T08:00:00Z")], 2)
    assert _names(doc, "0d6b5c2e-1a2b-4c3d-8e9f-000000000001") == \
        ([("pc0001.corp.example", "2026-11-25T13:45:00Z")], 1)


def test_script_parses_as_powershell():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node missing: PowerShell syntax check not run (Debian package nodejs)")
    if not os.path.exists(os.path.join(PARSER_MODULES, "tree-sitter-powershell", "tree-sitter-powershell.wasm")):
        pytest.skip("tree-sitter-powershell not installed in %s: run `make build/ps-parser/node_modules/.installed`" % PARSER_MODULES)
    res = subprocess.run([node, PARSER, PARSER_MODULES, SCRIPT], capture_output=True, text=True, timeout=600)
    assert (res.returncode, res.stdout) == (0, ""), res.stdout + res.stderr


def test_parser_finds_a_syntax_error(tmp_path):
    # the check can fail: a script with an unclosed condition is refused
    node = shutil.which("node")
    if node is None or not os.path.exists(os.path.join(PARSER_MODULES, "tree-sitter-powershell")):
        pytest.skip("PowerShell parser not installed (see test_script_parses_as_powershell)")
    # small scripts: the grammar's error recovery on the whole exporter takes
    # seconds (over a minute on a loaded machine), a clean parse does not
    cases = {
        "unclosed condition": 'param([switch]$SelfTest)\nif ($SelfTest {\n  Write-Output "x"\n}\n',
        "unclosed block": "function Read-Doc {\n  $a = 1\n",
        "unclosed string": 'Write-Output "no end\n',
    }
    for why, text in cases.items():
        bad = tmp_path / "bad.ps1"
        bad.write_text(text, encoding="utf-8")
        res = subprocess.run([node, PARSER, PARSER_MODULES, str(bad)], capture_output=True,
                             text=True, timeout=600)
        assert res.returncode == 1 and "bad.ps1:" in res.stdout, (why, res.stdout + res.stderr)
    good = tmp_path / "good.ps1"
    good.write_text('param([switch]$SelfTest)\nif ($SelfTest) {\n  Write-Output "x"\n}\n',
                    encoding="utf-8")
    res = subprocess.run([node, PARSER, PARSER_MODULES, str(good)], capture_output=True,
                         text=True, timeout=600)
    assert (res.returncode, res.stdout) == (0, ""), res.stdout + res.stderr
