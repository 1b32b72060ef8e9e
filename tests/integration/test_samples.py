"""The sample documents, the schema and the generator (issue 3).

Owns: every sample validates against packaging/schema/kms-status-v1;
the schema rejects what docs/DESIGN.md forbids; the samples say what
packaging/samples/README.md claims (counts, deadlines, events);
generate.py is deterministic, valid, and its --lapsing clients sit exactly
where --help says; issue 18: names_seen in the schema, the cloned sample,
generate.py --names-seen / --clones.  Pure Python except where the loader's
agreement with the schema, and the plugins' first lines on the cloned
sample, are checked (build/)."""
import copy
import glob
import hashlib
import json
import os
import subprocess
import sys

import jsonschema
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "packaging", "samples")
SCHEMA = os.path.join(ROOT, "packaging", "schema", "kms-status-v1.schema.json")
GENERATE = os.path.join(SAMPLES, "generate.py")
NOW = "2026-11-25T14:00:00Z"
SAMPLE_NAMES = ["healthy", "below-threshold", "expiring", "not-kms", "dns-failure", "cloned",
                "dns-domains"]

sys.path.insert(0, SAMPLES)
from generate import parse_time  # noqa: E402

NOW_S = parse_time(NOW)
DAY = 86400


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load(name):
    with open(os.path.join(SAMPLES, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def generate(*args):
    return subprocess.run([sys.executable, GENERATE, *args], check=True,
                          stdout=subprocess.PIPE, timeout=120).stdout


def errors(validator, doc):
    return sorted(e.message for e in validator.iter_errors(doc))


# --- schema against samples --------------------------------------------------

def test_sample_set_is_complete():
    found = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(SAMPLES, "*.json")))
    assert found == sorted(SAMPLE_NAMES)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_validates(validator, name):
    assert errors(validator, load(name)) == []


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_generated_before_now(name):
    age = NOW_S - parse_time(load(name)["generated_at"])
    assert age == 300


def test_samples_are_reproducible(tmp_path):
    subprocess.run([sys.executable, os.path.join(SAMPLES, "make_samples.py"), str(tmp_path)],
                   check=True, timeout=60)
    for name in SAMPLE_NAMES:
        with open(tmp_path / (name + ".json"), "rb") as a, \
                open(os.path.join(SAMPLES, name + ".json"), "rb") as b:
            assert a.read() == b.read(), name


# --- what each sample shows (README.md) --------------------------------------

def counts(doc):
    """{application_id prefix: clients with a request in the last 30 days}."""
    out = {}
    for c in doc.get("clients") or []:
        if NOW_S - parse_time(c["last_request_at"]) <= 30 * DAY:
            key = c["application_id"][:8]
            out[key] = out.get(key, 0) + 1
    return out


def deadlines(doc):
    """Seconds left until each client loses activation (<= 0: lost)."""
    left = []
    for c in doc["clients"]:
        s = c["license_state"]
        if s == 1:
            t = parse_time(c["last_success_at"]) + 180 * DAY
        elif s in (2, 3, 4, 6):
            t = parse_time(c["last_request_at"]) + 60 * c["state_expires_in_minutes"]
        else:
            t = NOW_S
        left.append(t - NOW_S)
    return left


@pytest.mark.parametrize("name,windows,office,office_clients", [
    ("healthy", 31, 10, 12), ("below-threshold", 18, 8, 8), ("expiring", 22, 8, 8),
    ("dns-failure", 31, 10, 12), ("dns-domains", 31, 10, 12)])
def test_sample_counts_match_clients(name, windows, office, office_clients):
    """The count is the clients seen in 30 days, capped at 10 for Office."""
    doc = load(name)
    assert [p["current_count"] for p in doc["products"]] == [windows, office]
    assert counts(doc) == {"55c92734": windows, "0ff1ce15": office_clients}
    assert office == min(10, office_clients)


def test_healthy_has_no_failures():
    doc = load("healthy")
    assert {c["last_result"] for c in doc["clients"]} == {"0x0"}
    assert {c["license_state"] for c in doc["clients"]} == {1}
    assert [e["id"] for e in doc["events"]] == [12294]
    ages = [NOW_S - parse_time(c["last_request_at"]) for c in doc["clients"]]
    assert min(ages) == 14 * 60 and max(ages) < 7 * DAY


def test_below_threshold_pcs_fail_with_count_insufficient():
    doc = load("below-threshold")
    failing = [c for c in doc["clients"] if c["last_result"] != "0x0"]
    assert len(failing) == 8
    assert {c["last_result"] for c in failing} == {"0xC004F038"}
    assert {c["required_count"] for c in failing} == {25}
    assert sorted(c["license_state"] for c in failing) == [1, 1, 1, 2, 2, 2, 2, 2]
    lapsing = [c for c in doc["clients"]
               if 9 * DAY < NOW_S - parse_time(c["last_request_at"]) <= 30 * DAY]
    assert len(lapsing) == 4
    assert max(parse_time(c["last_request_at"]) for c in lapsing) + 30 * DAY \
        < parse_time("2026-12-03T00:00:00Z")


def test_expiring_deadlines():
    doc = load("expiring")
    left = deadlines(doc)
    assert len(left) == 34
    assert sum(1 for t in left if t <= 0) == 4
    assert sum(1 for t in left if 0 < t <= 30 * DAY) == 15
    assert sum(1 for t in left if 0 < t <= 7 * DAY) == 8
    assert sorted(c["license_state"] for c in doc["clients"] if c["license_state"] != 1) \
        == [0, 2, 2, 2, 3, 5, 5]
    assert sum(1 for c in doc["clients"] if c["last_result"] == "0xC004F038") == 15
    assert doc["clients_complete_since"] == "2026-05-01T00:00:00Z"


def test_not_kms():
    doc = load("not-kms")
    assert doc["host"]["kms_enabled"] is False
    assert [p["current_count"] for p in doc["products"]] == [-1]
    assert doc["clients"] == []


def test_dns_failure_events():
    doc = load("dns-failure")
    assert [(e["id"], e["at"], e["hresult"]) for e in doc["events"]] == [
        (12294, "2026-11-24T09:10:00Z", "0x0"),
        (12293, "2026-11-25T13:02:11Z", "0x8007232A")]


def test_dns_domains_sample():
    """Issue 19: three listed domains, one failing, one recovered, one
    never published; every 12293/12294 names its domain."""
    doc = load("dns-domains")
    assert doc["host"]["dns_publish_domains"] == ["corp.example", "branch.example", "lab.example"]
    assert [(e["id"], e["at"], e["hresult"], e["domain"]) for e in doc["events"]] == [
        (12294, "2026-11-24T09:10:00Z", "0x0", "branch.example"),
        (12293, "2026-11-25T03:00:00Z", "0x8007232A", "corp.example"),
        (12294, "2026-11-25T06:12:40Z", "0x0", "corp.example"),
        (12293, "2026-11-25T13:02:11Z", "0x8007232B", "branch.example")]


def test_cloned_sample():
    """17 machines share 2 CMIDs (12 + 5), one rename, two foreign names;
    every record carries names_seen, newest first, its first entry the
    record's own name and last request; no burst of new CMIDs."""
    doc = load("cloned")
    clients = doc["clients"]
    assert len(clients) == 21
    assert [p["current_count"] for p in doc["products"]] == [21]
    assert counts(doc) == {"55c92734": 21}
    for c in clients:
        ns = c["names_seen"]
        assert (ns[0]["name"], ns[0]["last_request_at"]) == (c["name"], c["last_request_at"])
        times = [parse_time(n["last_request_at"]) for n in ns]
        assert times == sorted(times, reverse=True), c["name"]
        assert c["names_seen_count"] == len(ns)
        assert len({n["name"].lower() for n in ns}) == len(ns)
    shared = sorted((len(c["names_seen"]) for c in clients if len(c["names_seen"]) > 1
                     and all(NOW_S - parse_time(n["last_request_at"]) < 9 * DAY
                             for n in c["names_seen"])), reverse=True)
    assert shared == [12, 5] and sum(shared) == 17
    renamed = [c for c in clients if len(c["names_seen"]) > 1 and c["names_seen"] and
               NOW_S - parse_time(c["names_seen"][1]["last_request_at"]) > 9 * DAY]
    assert [(c["name"], [n["name"] for n in c["names_seen"]]) for c in renamed] == [
        ("pc0011.corp.example", ["pc0011.corp.example", "desktop-4f7k2q9.corp.example"])]
    assert parse_time(renamed[0]["first_seen_at"]) < parse_time(renamed[0]["names_seen"][1]["last_request_at"])
    names = [n["name"] for c in clients for n in c["names_seen"]]
    assert len(names) == 37          # 36 machines, one of them under two names
    assert [n for n in names if not n.endswith(".corp.example")] == ["HOME-PC", "vm07.lab.example"]
    firsts = sorted(parse_time(c["first_seen_at"]) for c in clients)
    # no burst: at most 3 CMIDs first seen within any 24 h
    assert max(sum(1 for t in firsts if s0 <= t < s0 + DAY) for s0 in firsts) <= 3


CLONED_FIRST_LINES = {
    "check_kms_count": "KMS COUNT CRITICAL - Windows 21/25 (clients cannot activate) | "
                       "Windows=21;30:;25:;0;50 'Windows active'=21;;;0 'Windows lapsing'=0;;;0",
    "check_kms_renewal": "KMS RENEWAL CRITICAL - 3 of 21 clients lose activation within 30 days "
                         "(0 within 7 days) | expiring=3;;;0;21 expired=0;;;0;21 "
                         "at_risk=3;0.42;2.1;0;21 known=21;;;0 failing=15;;;0 no_deadline=0;;;0 "
                         "min_days_left=11.87",
    "check_kms_service": "KMS SERVICE CRITICAL - 14 of 15 clients failing: 14 with 0xC004F038 "
                         "(KMS count insufficient) | idle=960s;43200;;0 'Windows idle'=960s;172800;;0 "
                         "failing=14;0.3;1.5;0;15 "
                         "'Windows requests total'=2480c;;;0 'Windows requests failed'=604c;;;0 "
                         "'Windows requests unlicensed'=0c;;;0 'Windows requests licensed'=1690c;;;0 "
                         "'Windows requests oob_grace'=790c;;;0 'Windows requests oot_grace'=0c;;;0 "
                         "'Windows requests non_genuine_grace'=0c;;;0 "
                         "'Windows requests notification'=0c;;;0",
}


@pytest.mark.parametrize("plugin", sorted(CLONED_FIRST_LINES))
def test_cloned_sample_loads(plugin):
    """The plugins that do not judge names load the names_seen sample and
    say what they say of any document: the count 21 of 36 machines."""
    import harness
    res = harness.run(plugin, "-u", os.path.join(SAMPLES, "cloned.json"))
    assert res.code == 2, res
    assert "%s | %s" % (res.first, res.perf_text) == CLONED_FIRST_LINES[plugin]


# --- negative cases: the schema must reject these ------------------------------

def mutate(doc, path, value=None, delete=False):
    d = copy.deepcopy(doc)
    cur = d
    for key in path[:-1]:
        cur = cur[key]
    if delete:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return d


SCHEMA_REJECTS = [
    (("host", "name"), None, True),
    (("host",), None, True),
    (("products",), None, True),
    (("generated_at",), None, True),
    (("format",), None, True),
    (("version",), "1", False),
    (("version",), 2, False),
    (("format",), "kms-state", False),
    (("generated_at",), "2026-11-25 14:00", False),
    (("generated_at",), "25/11/2026 14:00:00Z", False),
    (("products", 0, "current_count"), "31", False),
    (("products", 0, "current_count"), -2, False),
    (("products", 0, "requests", "failed"), 1.5, False),
    (("clients", 0, "license_state"), 9, False),
    (("clients", 0, "license_state"), -1, False),
    (("clients", 0, "last_request_at"), "yesterday", False),
    (("clients", 0, "cmid"), "not-a-guid", False),
    (("clients", 0, "virtual"), "no", False),
    (("events", 0, "id"), "12294", False),
    # issue 14: the ranges the loader enforces, the schema says
    (("host", "port"), 0, False),
    (("host", "port"), 70000, False),
    (("host", "port"), 4294967295, False),
    (("host", "name"), "", False),
    (("host", "activation_interval_minutes"), -1, False),
    (("host", "renewal_interval_minutes"), -1, False),
    (("products", 0, "grace_remaining_minutes"), -5, False),
    (("products", 0, "license_status"), 7, False),
    (("products", 0, "requests", "total"), -1, False),
    (("clients", 0, "state_expires_in_minutes"), -1, False),
    (("clients", 0, "required_count"), 0, False),
    (("clients", 0, "required_count"), -1, False),
    (("events", 0, "id"), -1, False),
    (("events", 0, "id"), 65536, False),
    # issue 19: DNS names
    (("host", "dns_publish_domains"), "corp.example", False),
    (("host", "dns_publish_domains"), [""], False),
    (("host", "dns_publish_domains"), [3], False),
    (("host", "dns_publish_domains"), [None], False),
    (("host", "dns_publish_domains"), ["a..b"], False),
    (("host", "dns_publish_domains"), ["-a.example"], False),
    (("host", "dns_publish_domains"), ["a_b.example"], False),
    (("host", "dns_publish_domains"), ["a" * 64 + ".example"], False),
    (("host", "dns_publish_domains"), [".".join(["a" * 63] * 3 + ["a" * 62])], False),
    (("host", "dns_publish_domains"), ["d%d" % i for i in range(65)], False),
    (("host", "dns_publish_domains"), ["corp.example", "corp.example"], False),
    (("events", 0, "domain"), "", False),
    (("events", 0, "domain"), 12, False),
    (("events", 0, "domain"), "corp example", False),
    (("products", 0, "application_id"), "{55c92734-d682-4d71-983e-d6ec3f16059f", False),
    (("products", 0, "application_id"), "55c92734d6824d71983ed6ec3f16059f", False),
    (("clients", 0, "sku_id"), "(5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01)", False),
    # issue 18: names_seen
    (("clients", 0, "names_seen"), "pc0001.corp.example", False),
    (("clients", 0, "names_seen"), ["pc0001.corp.example"], False),
    (("clients", 0, "names_seen"), [{"last_request_at": None}], False),
    (("clients", 0, "names_seen"), [{"name": ""}], False),
    (("clients", 0, "names_seen"), [{"name": None}], False),
    (("clients", 0, "names_seen"), [{"name": "a", "last_request_at": "yesterday"}], False),
    (("clients", 0, "names_seen"), [{"name": "n%02d" % i} for i in range(33)], False),
    (("clients", 0, "names_seen_count"), -1, False),
    (("clients", 0, "names_seen_count"), "1", False),
]
SCHEMA_ACCEPTS = [
    (("clients", 0, "last_success_at"), None),
    (("products", 0, "current_count"), None),
    (("host", "future_field"), {"anything": [1, 2]}),
    (("generated_at",), "2026-11-25T15:00:00.123+01:00"),
    # issue 18: names per CMID, optional
    (("clients", 0, "names_seen"), None),
    (("clients", 0, "names_seen"), []),
    (("clients", 0, "names_seen"), [{"name": "pc0001.corp.example", "last_request_at": None},
                                    {"name": "HOME-PC", "future": [1]}]),
    (("clients", 0, "names_seen"), [{"name": "n%02d" % i} for i in range(32)]),
    (("clients", 0, "names_seen_count"), None),
    (("clients", 0, "names_seen_count"), 0),
    # -1 is Windows' "no count"; GUIDs in the forms Windows writes
    (("products", 0, "current_count"), -1),
    (("products", 0, "application_id"), "{55C92734-D682-4D71-983E-D6EC3F16059F}"),
    (("products", 0, "application_id"), " 55c92734-d682-4d71-983e-d6ec3f16059f "),
    (("clients", 0, "cmid"), "{ 0D6B5C2E-1111-4A4A-8B8B-0123456789AB }"),
    (("clients", 0, "sku_id"), "\t5A1E0C4B-7E2D-4C1A-9F3E-2B8D6A0C1E01\n"),
    (("host", "port"), 1),
    (("host", "port"), 65535),
    (("clients", 0, "required_count"), 1),
    (("events", 0, "id"), 0),
    # issue 19: DNS names at their bounds, any case, a trailing dot
    (("host", "dns_publish_domains"), None),
    (("host", "dns_publish_domains"), []),
    (("host", "dns_publish_domains"), ["Corp.Example.", "x", "a-1.example"]),
    (("host", "dns_publish_domains"), ["a" * 63 + ".example"]),
    (("host", "dns_publish_domains"), [".".join(["a" * 63] * 3 + ["a" * 61])]),
    (("host", "dns_publish_domains"), [".".join(["a" * 63] * 3 + ["a" * 61]) + "."]),
    (("host", "dns_publish_domains"), ["d%d" % i for i in range(64)]),
    (("events", 0, "domain"), None),
    (("events", 0, "domain"), "CORP.example."),
]


@pytest.mark.parametrize("path,value,delete", SCHEMA_REJECTS)
def test_schema_rejects(validator, path, value, delete):
    assert errors(validator, mutate(load("healthy"), path, value, delete)) != []


def run_count(tmp_path, doc):
    import harness
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    return harness.run("check_kms_count", "-u", str(path))


# The loader and the schema agree (issue 14): what one refuses, the other does.
@pytest.mark.parametrize("path,value,delete", SCHEMA_REJECTS)
def test_loader_rejects_what_the_schema_rejects(tmp_path, path, value, delete):
    res = run_count(tmp_path, mutate(load("healthy"), path, value, delete))
    assert res.code == 3, res
    assert res.first.startswith("KMS COUNT UNKNOWN - "), res


# What the schema cannot say, the loader still refuses (issue 18): a count
# below the list's length, a name twice (DNS names: ignoring case).
@pytest.mark.parametrize("names,count,why", [
    ([{"name": "a"}, {"name": "b"}], 1,
     "$.clients[0].names_seen_count: 1 is less than the 2 names listed"),
    ([{"name": "pc1.corp.example"}, {"name": "PC1.corp.example"}], 2,
     '$.clients[0].names_seen[1].name: "PC1.corp.example" already at names_seen[0]'),
])
def test_loader_only_names_rules(tmp_path, validator, names, count, why):
    doc = mutate(mutate(load("healthy"), ("clients", 0, "names_seen"), names),
                 ("clients", 0, "names_seen_count"), count)
    assert errors(validator, doc) == []
    res = run_count(tmp_path, doc)
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - status document %s: %s" % (tmp_path / "doc.json", why)


@pytest.mark.parametrize("path,value", SCHEMA_ACCEPTS)
def test_loader_accepts_what_the_schema_accepts(tmp_path, path, value):
    res = run_count(tmp_path, mutate(load("healthy"), path, value))
    assert res.code != 3, res


@pytest.mark.parametrize("path,value", SCHEMA_ACCEPTS)
def test_schema_accepts_nulls_offsets_and_unknown_fields(validator, path, value):
    assert errors(validator, mutate(load("healthy"), path, value)) == []


def test_schema_minimal_document(validator):
    doc = {"format": "kms-status", "version": 1, "generated_at": NOW,
           "host": {"name": "kms01.corp.example"}, "products": []}
    assert errors(validator, doc) == []


# --- generator -----------------------------------------------------------------

def test_generated_document_validates(validator):
    doc = json.loads(generate("--clients", "1000", "--seed", "7", "--now", NOW))
    assert errors(validator, doc) == []
    assert len(doc["clients"]) == 1000
    assert doc["generated_at"] == "2026-11-25T13:55:00Z"
    c = counts(doc)
    assert [p["current_count"] for p in doc["products"]] == \
        [min(50, c["55c92734"]), min(10, c["0ff1ce15"])]
    results = {x["last_result"] for x in doc["clients"]}
    assert results == {"0x0", "0xC004F038", "0xC004F074"}
    assert {x["license_state"] for x in doc["clients"]} == {0, 1, 2, 3, 5, 6}
    renewing = sum(1 for x in doc["clients"]
                   if NOW_S - parse_time(x["last_request_at"]) < 7 * DAY)
    assert 850 <= renewing <= 950   # 78 % weekly + grace/failing ones retrying
    servers = sum(1 for x in doc["clients"] if x["name"].startswith("srv"))
    office = sum(1 for x in doc["clients"] if x["application_id"].startswith("0ff1ce15"))
    assert 50 <= servers <= 120 and 160 <= office <= 240


def test_generator_is_deterministic():
    a = generate("--clients", "2000", "--seed", "42", "--now", NOW)
    b = generate("--clients", "2000", "--seed", "42", "--now", NOW)
    c = generate("--clients", "2000", "--seed", "43", "--now", NOW)
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
    assert a != c


def test_generator_out_file_equals_stdout(tmp_path):
    out = tmp_path / "doc.json"
    generate("--clients", "300", "--seed", "5", "--now", NOW, "--out", str(out))
    assert out.read_bytes() == generate("--clients", "300", "--seed", "5", "--now", NOW)


def test_generator_lapsing(validator):
    doc = json.loads(generate("--clients", "30", "--lapsing", "10", "--lapse-day", "3",
                              "--seed", "9", "--now", NOW))
    assert errors(validator, doc) == []
    clients = doc["clients"]
    lapsing = clients[:10]
    assert {c["last_request_at"] for c in lapsing} == {"2026-10-29T13:00:00Z"}
    assert {c["last_success_at"] for c in lapsing} == {"2026-10-29T13:00:00Z"}
    # they leave the 30-day count 1 h before day 3 ends
    assert parse_time("2026-10-29T13:00:00Z") + 30 * DAY == NOW_S + 3 * DAY - 3600
    for c in clients[10:]:
        age = NOW_S - parse_time(c["last_request_at"])
        assert 3600 <= age <= 5 * DAY + 3600
    assert {(c["application_id"], c["required_count"], c["license_state"]) for c in clients} \
        == {("55c92734-d682-4d71-983e-d6ec3f16059f", 25, 1)}
    assert [(p["application_id"], p["current_count"]) for p in doc["products"]] == \
        [("55c92734-d682-4d71-983e-d6ec3f16059f", 30)]


def test_generator_lapse_day_moves_the_requests():
    doc = json.loads(generate("--clients", "3", "--lapsing", "2", "--lapse-day", "10",
                              "--now", "2026-01-31T00:00:00+00:00"))
    assert [c["last_request_at"] for c in doc["clients"][:2]] == ["2026-01-10T23:00:00Z"] * 2


def test_generator_servers_only_profile(validator):
    doc = json.loads(generate("--clients", "200", "--profile", "servers-only", "--now", NOW))
    assert errors(validator, doc) == []
    assert {c["required_count"] for c in doc["clients"]} == {5}
    assert len(doc["products"]) == 1
    assert doc["products"][0]["current_count"] == min(10, counts(doc)["55c92734"])


@pytest.mark.parametrize("args", [["--lapsing", "5", "--clients", "4"],
                                  ["--lapse-day", "30"], ["--now", "yesterday"]])
def test_generator_rejects_bad_arguments(args):
    proc = subprocess.run([sys.executable, GENERATE, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 2 and proc.stdout == b""


# --- generator: names per CMID (issue 18) --------------------------------------

def strip_names(doc):
    for c in doc["clients"]:
        c.pop("names_seen", None)
        c.pop("names_seen_count", None)
    return doc


def test_generator_names_seen(validator):
    """--names-seen adds each client's own name and nothing else."""
    plain = json.loads(generate("--clients", "500", "--seed", "4", "--now", NOW))
    doc = json.loads(generate("--clients", "500", "--seed", "4", "--now", NOW, "--names-seen"))
    assert errors(validator, doc) == []
    for c in doc["clients"]:
        assert c["names_seen"] == [{"name": c["name"], "last_request_at": c["last_request_at"]}]
        assert c["names_seen_count"] == 1
    assert strip_names(doc) == plain
    assert not any("names_seen" in c for c in plain["clients"])


def test_generator_clones(validator):
    """--clones 17: groups of 2, 3, 5, 10 and 2 machines on the last
    records, then one rename; everything else as with --names-seen."""
    args = ("--clients", "60", "--seed", "8", "--now", NOW)
    doc = json.loads(generate(*args, "--clones", "17"))
    assert errors(validator, doc) == []
    named = json.loads(generate(*args, "--names-seen"))
    holders = doc["clients"][-6:]
    assert doc["clients"][:-6] == named["clients"][:-6]
    assert [c["names_seen_count"] for c in holders] == [2, 3, 5, 10, 2, 2]
    clones = []
    for c in holders:
        ns = c["names_seen"]
        assert len(ns) == c["names_seen_count"]
        assert (ns[0]["name"], ns[0]["last_request_at"]) == (c["name"], c["last_request_at"])
        assert (c["application_id"], c["required_count"], c["license_state"]) == \
            ("55c92734-d682-4d71-983e-d6ec3f16059f", 25, 1)
        times = [parse_time(n["last_request_at"]) for n in ns]
        assert times == sorted(times, reverse=True)
        clones += [n["name"] for n in ns[1:]]
    for c in holders[:5]:
        assert all(NOW_S - parse_time(n["last_request_at"]) < 9 * DAY for n in c["names_seen"])
    assert sorted(clones[:17]) == ["clone%05d.corp.example" % k for k in range(1, 18)]
    old = holders[5]["names_seen"][1]
    assert old["name"].startswith("desktop-") and old["name"].endswith(".corp.example")
    assert 40 * DAY <= NOW_S - parse_time(old["last_request_at"]) < 50 * DAY
    assert parse_time(holders[5]["first_seen_at"]) < parse_time(old["last_request_at"])
    # deterministic, and every other record carries its own name
    assert generate(*args, "--clones", "17") == generate(*args, "--clones", "17")
    assert all(c["names_seen_count"] == 1 for c in doc["clients"][:-6])


def test_generator_clones_with_lapsing(validator):
    doc = json.loads(generate("--clients", "20", "--lapsing", "5", "--clones", "3", "--now", NOW))
    assert errors(validator, doc) == []
    assert [c["names_seen_count"] for c in doc["clients"][-3:]] == [2, 3, 2]
    assert {c["last_request_at"] for c in doc["clients"][:5]} == {"2026-10-29T13:00:00Z"}


@pytest.mark.parametrize("args", [["--clients", "5", "--clones", "17"], ["--clones", "-1"],
                                  ["--clients", "10", "--lapsing", "9", "--clones", "3"]])
def test_generator_rejects_bad_clones(args):
    proc = subprocess.run([sys.executable, GENERATE, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 2 and proc.stdout == b""
