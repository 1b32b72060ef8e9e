"""check_kms_service: DNS publishing per domain (issue 19).

A host publishes its SRV record in every domain of its DnsDomainPublishList
(host.dns_publish_domains) and 12293/12294 name the domain (an event's
domain): each domain is judged on its own, so a domain that keeps failing
is not hidden by a success in another. A document that names no domain is
judged as before (test_service.py), byte for byte.

Owns: documents built per test from packaging/samples/healthy.json with
the events and domains of the case, and the exact state, line 1, DNS lines
and dns_failing perfdata a user sees; the boundaries (the look-back, a
12293 and a 12294 at the same second), events without a domain beside one
and several domains, domains named only by events and their cap, a fleet of
two, hostile domain names, and the three output formats agreeing."""
import copy
import json
import os

import pytest

from harness import run, run_formats, SAMPLES

PLUGIN = "check_kms_service"
LIST = ["corp.example", "branch.example", "lab.example"]

with open(os.path.join(SAMPLES, "healthy.json"), encoding="utf-8") as _f:
    HEALTHY = json.load(_f)

OK_FIRST = ("KMS SERVICE OK - kms01.corp.example: KMS running, host keys "
            "licensed, last request 14 min ago")


def ev(eid, at, domain=None, hresult="0x0"):
    e = {"id": eid, "at": at, "hresult": hresult, "message": "..."}
    if domain is not None:
        e["domain"] = domain
    return e


def doc_with(events, domains="absent", name=None):
    d = copy.deepcopy(HEALTHY)
    d["events"] = events
    if domains != "absent":
        d["host"]["dns_publish_domains"] = domains
    if name:
        d["host"]["name"] = name
    return d


def write(tmp_path, doc, name="doc.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return str(p)


def check(tmp_path, doc, *args):
    return run(PLUGIN, "-u", write(tmp_path, doc), *args)


def dns_lines(res):
    return [line for line in res.long if "] DNS " in line or "] kms0" in line and " DNS " in line]


def dns_perf(res, label="dns_failing"):
    return res.perf[label]["raw"] if label in res.perf else None


# ---- the sample -------------------------------------------------------------

def test_sample_failing_recovered_never_published():
    res = run(PLUGIN, "-u", os.path.join(SAMPLES, "dns-domains.json"))
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for branch.example "
                         "(0x8007232B) +1 more"), res
    assert dns_lines(res) == [
        "[WARNING] DNS branch.example: 12293 at 2026-11-25 13:02 UTC (0x8007232B DNS name "
        "does not exist) after the last 12294 at 2026-11-24 09:10 UTC",
        "[WARNING] DNS lab.example: never published within 1 d (listed in "
        "dns_publish_domains); no 12294 in the document",
        "[OK] DNS corp.example: published 2026-11-25 06:12 UTC, after the 12293 at "
        "2026-11-25 03:00 UTC"], res
    assert dns_perf(res) == "dns_failing=2;0;;0", res
    # the metric comes first: the DNS finding is added before idle
    assert list(res.perf)[:2] == ["dns_failing", "idle"], res


# ---- several domains ----------------------------------------------------------

def test_every_listed_domain_published_is_ok(tmp_path):
    doc = doc_with([ev(12294, "2026-11-25T06:12:40Z", d) for d in LIST], LIST)
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert res.first == OK_FIRST, res
    assert dns_lines(res) == ["[OK] DNS %s: published 2026-11-25 06:12 UTC" % d
                              for d in LIST], res
    assert dns_perf(res) == "dns_failing=0;0;;0", res


def test_two_failing_named_with_their_codes_when_they_fit(tmp_path):
    doc = doc_with([ev(12293, "2026-11-25T13:02:11Z", "a.example", "0x8007232B"),
                    ev(12293, "2026-11-25T12:00:00Z", "b.example", "0x8007232A"),
                    ev(12294, "2026-11-25T06:00:00Z", "c.example")],
                   ["a.example", "b.example", "c.example"])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for a.example "
                         "(0x8007232B), b.example (0x8007232A)"), res
    assert dns_perf(res) == "dns_failing=2;0;;0", res


def test_one_failing_domain_is_explained(tmp_path):
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z", "corp.example"),
                    ev(12293, "2026-11-25T13:02:11Z", "corp.example", "0x8007232A")],
                   ["corp.example"])
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for corp.example "
                         "(0x8007232A DNS server failure)"), res


def test_a_success_elsewhere_does_not_hide_a_failure(tmp_path):
    """Today's rule compared the newest 12293 with the newest 12294 of any
    domain: the later success in corp.example hid lab.example's failure."""
    doc = doc_with([ev(12293, "2026-11-25T12:00:00Z", "lab.example", "0x8007232A"),
                    ev(12294, "2026-11-25T13:00:00Z", "corp.example")])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for lab.example "
                         "(0x8007232A DNS server failure)"), res
    assert dns_lines(res) == [
        "[WARNING] DNS lab.example: 12293 at 2026-11-25 12:00 UTC (0x8007232A DNS server "
        "failure), no 12294 (published) in the document",
        "[OK] DNS corp.example: published 2026-11-25 13:00 UTC"], res


def test_many_failing_counted_as_more(tmp_path):
    names = ["d%d.example" % i for i in range(6)]
    doc = doc_with([ev(12293, "2026-11-25T13:00:00Z", n, "0x8007232A") for n in names], names)
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for d0.example "
                         "(0x8007232A) +5 more"), res
    assert dns_perf(res) == "dns_failing=6;0;;0", res


def test_several_failures_counted_since_the_first(tmp_path):
    doc = doc_with([ev(12294, "2026-11-24T09:10:00Z", "corp.example"),
                    ev(12293, "2026-11-25T10:00:00Z", "corp.example", "0x8007232A"),
                    ev(12293, "2026-11-25T13:02:11Z", "corp.example", "0x8007232B")],
                   ["corp.example"])
    res = check(tmp_path, doc)
    assert dns_lines(res) == [
        "[WARNING] DNS corp.example: 12293 at 2026-11-25 13:02 UTC (0x8007232B DNS name does "
        "not exist) after the last 12294 at 2026-11-24 09:10 UTC; 2 failures since "
        "2026-11-25 10:00 UTC"], res


# ---- never published: only a listed domain -------------------------------------

def test_never_published_follows_the_lookback(tmp_path):
    doc = doc_with([ev(12294, "2026-11-23T10:00:00Z", "lab.example")], ["lab.example"])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for lab.example "
                         "(never published within 1 d)"), res
    assert dns_lines(res) == [
        "[WARNING] DNS lab.example: never published within 1 d (listed in "
        "dns_publish_domains); last 12294 at 2026-11-23 10:00 UTC",
        # the own domain is judged beside the list, never held to publish
        "[OK] DNS corp.example: no 12293/12294 event in the document"], res
    res = check(tmp_path, doc, "--lookback", "3d")
    assert res.code == 0, res
    res = check(tmp_path, doc, "--lookback", "6h")
    assert res.first.endswith("(never published within 6 h)"), res


def test_never_published_with_an_old_failure(tmp_path):
    doc = doc_with([ev(12294, "2026-11-20T10:00:00Z", "lab.example"),
                    ev(12293, "2026-11-22T10:00:00Z", "lab.example", "0x8007232A")],
                   ["lab.example"])
    res = check(tmp_path, doc)
    assert dns_lines(res) == [
        "[WARNING] DNS lab.example: never published within 1 d (listed in "
        "dns_publish_domains); last 12294 at 2026-11-20 10:00 UTC; last 12293 at "
        "2026-11-22 10:00 UTC (0x8007232A DNS server failure)",
        "[OK] DNS corp.example: no 12293/12294 event in the document"], res


def test_own_domain_is_not_held_to_publish(tmp_path):
    """Without a list the own domain (host.name minus its first label) is in
    play but never 'never published': a host republishes about daily."""
    doc = doc_with([ev(12294, "2026-11-20T10:00:00Z", "corp.example")])
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert dns_lines(res) == ["[OK] DNS corp.example: published 2026-11-20 10:00 UTC"], res
    assert dns_perf(res) == "dns_failing=0;0;;0", res


# ---- boundaries -----------------------------------------------------------------

@pytest.mark.parametrize("at,code", [("2026-11-24T14:00:00Z", 1), ("2026-11-24T13:59:59Z", 0)])
def test_12293_at_the_lookback_boundary(tmp_path, at, code):
    doc = doc_with([ev(12294, "2026-11-23T09:00:00Z", "corp.example"),
                    ev(12293, at, "corp.example", "0x8007232A")])
    res = check(tmp_path, doc)
    assert res.code == code, res
    if code:
        assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for corp.example "
                             "(0x8007232A DNS server failure)"), res
    else:
        assert dns_lines(res) == [
            "[OK] DNS corp.example: last 12293 at 2026-11-24 13:59 UTC is older than the "
            "lookback (1 d)"], res
    assert dns_perf(res) == "dns_failing=%d;0;;0" % code, res


@pytest.mark.parametrize("at,code", [("2026-11-24T14:00:00Z", 0), ("2026-11-24T13:59:59Z", 1)])
def test_12294_at_the_lookback_boundary_of_a_listed_domain(tmp_path, at, code):
    res = check(tmp_path, doc_with([ev(12294, at, "lab.example")], ["lab.example"]))
    assert res.code == code, res
    assert dns_perf(res) == "dns_failing=%d;0;;0" % code, res


def test_12293_and_12294_at_the_same_second_is_recovered(tmp_path):
    doc = doc_with([ev(12293, "2026-11-25T13:00:00Z", "corp.example", "0x8007232A"),
                    ev(12294, "2026-11-25T13:00:00Z", "corp.example")], ["corp.example"])
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert dns_lines(res) == ["[OK] DNS corp.example: published 2026-11-25 13:00 UTC, after "
                              "the 12293 at 2026-11-25 13:00 UTC"], res


# ---- events without a domain ------------------------------------------------------

def test_undomained_events_count_for_the_one_domain(tmp_path):
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z"),
                    ev(12293, "2026-11-25T13:02:11Z", None, "0x8007232A")], ["corp.example"])
    res = check(tmp_path, doc)
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for corp.example "
                         "(0x8007232A DNS server failure)"), res
    assert dns_lines(res) == [
        "[WARNING] DNS corp.example: 12293 at 2026-11-25 13:02 UTC (0x8007232A DNS server "
        "failure) after the last 12294 at 2026-11-25 06:00 UTC"], res


def test_undomained_events_beside_several_domains_are_judged_together(tmp_path):
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z", "corp.example"),
                    ev(12294, "2026-11-25T06:00:00Z", "lab.example"),
                    ev(12293, "2026-11-25T13:02:11Z", None, "0x8007232A")],
                   ["corp.example", "lab.example"])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for (events without a "
                         "domain) (0x8007232A)"), res
    assert dns_lines(res) == [
        "[WARNING] DNS (events without a domain): 12293 at 2026-11-25 13:02 UTC (0x8007232A "
        "DNS server failure), no 12294 (published) in the document",
        "[OK] DNS corp.example: published 2026-11-25 06:00 UTC",
        "[OK] DNS lab.example: published 2026-11-25 06:00 UTC"], res
    assert dns_perf(res) == "dns_failing=1;0;;0", res


# ---- domains named only by events, and their cap ------------------------------------

def test_event_only_domains_beside_the_own_domain(tmp_path):
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z", "lab.example"),
                    ev(12293, "2026-11-25T13:00:00Z", "Branch.Example.", "0x8007232B")])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert dns_lines(res) == [
        "[WARNING] DNS branch.example: 12293 at 2026-11-25 13:00 UTC (0x8007232B DNS name does "
        "not exist), no 12294 (published) in the document",
        "[OK] DNS corp.example: no 12293/12294 event in the document",
        "[OK] DNS lab.example: published 2026-11-25 06:00 UTC"], res


def test_event_only_domains_are_capped(tmp_path):
    names = ["d%03d.example" % i for i in range(300)]
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z", n) for n in names] +
                   [ev(12293, "2026-11-25T13:00:00Z", names[-1], "0x8007232A")])
    text, out = run_formats(PLUGIN, "-u", write(tmp_path, doc))
    assert text.code == 0, text
    dns = [sc for sc in out["checks"] if sc["output"].startswith("DNS publishing in ")]
    assert len(dns) == 1 and dns[0]["output"] == "DNS publishing in 257 domains", dns
    kids = [k["output"] for k in dns[0]["checks"]]
    assert kids[0] == "DNS corp.example: no 12293/12294 event in the document"
    assert kids[1:] == ["DNS %s: published 2026-11-25 06:00 UTC" % n for n in names[:256]]
    assert ("DNS publishing: 45 12293/12294 events of domains beyond the first 256 named only "
            "by events not judged") in out["notes"], out["notes"]
    assert dns[0]["perfdata"] == [{"label": "dns_failing", "value": 0, "uom": "", "min": 0,
                                   "warn": {"start": 0, "end": 0, "alert_on_inside": False}}]


# ---- today's documents: judged as one, byte for byte ----------------------------------

def test_null_domains_are_todays_output(tmp_path):
    events = [ev(12294, "2026-11-24T09:10:00Z"), ev(12293, "2026-11-25T13:02:11Z", None,
                                                    "0x8007232A")]
    plain = check(tmp_path, doc_with(events))
    nulls = doc_with([dict(e, domain=None) for e in events], None)
    res = check(tmp_path, nulls)
    assert (res.code, res.stdout) == (plain.code, plain.stdout)
    assert "dns_failing" not in res.perf, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing since 13:02 UTC "
                         "(0x8007232A DNS server failure)"), res


def test_publishing_off_is_judged_as_today(tmp_path):
    doc = doc_with([ev(12293, "2026-11-25T13:00:00Z", "corp.example", "0x8007232A")],
                   ["corp.example"])
    doc["host"]["dns_publishing"] = False
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert "dns_failing" not in res.perf
    res = check(tmp_path, doc, "--require-dns-publishing")
    assert res.first == "KMS SERVICE WARNING - DNS publishing is off", res


def test_no_event_log_is_judged_as_today(tmp_path):
    doc = doc_with([], ["corp.example"])
    del doc["events"]
    res = check(tmp_path, doc)
    assert res.code == 0, res
    assert "[OK] DNS publishing on (no event log in the document to confirm it)" in res.long
    assert "dns_failing" not in res.perf


def test_an_empty_list_still_judges_the_own_domain(tmp_path):
    """A host always publishes in its own domain; the list only adds to it."""
    res = check(tmp_path, doc_with([ev(12290, "2026-11-25T13:00:00Z")], []))
    assert res.code == 0, res
    assert dns_lines(res) == ["[OK] DNS corp.example: no 12293/12294 event in the document"], res
    assert dns_perf(res) == "dns_failing=0;0;;0", res


def test_an_empty_list_with_no_domain_is_noted(tmp_path):
    """A host.name without a dot has no own domain to judge."""
    res = check(tmp_path, doc_with([ev(12290, "2026-11-25T13:00:00Z")], [], name="kms01"))
    assert res.code == 0, res
    assert ("[OK] DNS publishing: no domain to judge (dns_publish_domains is empty and no "
            "12293/12294 event names one)") in res.long, res
    assert dns_perf(res) == "dns_failing=0;0;;0", res


# ---- a fleet of two ------------------------------------------------------------------

def test_fleet_each_host_per_domain(tmp_path):
    one = doc_with([ev(12294, "2026-11-25T06:00:00Z", d) for d in LIST], LIST)
    two = doc_with([ev(12294, "2026-11-24T09:10:00Z", "branch.example"),
                    ev(12293, "2026-11-25T13:02:11Z", "branch.example", "0x8007232B")],
                   ["branch.example"], name="kms02.corp.example")
    p1, p2 = write(tmp_path, one, "kms01.json"), write(tmp_path, two, "kms02.json")
    res = run(PLUGIN, "-u", p1, "-u", p2)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - kms02: DNS publishing failing for "
                         "branch.example (0x8007232B DNS name does not exist)"), res
    assert [line for line in res.long if " DNS " in line] == [
        "[WARNING] kms02: DNS branch.example: 12293 at 2026-11-25 13:02 UTC (0x8007232B DNS "
        "name does not exist) after the last 12294 at 2026-11-24 09:10 UTC"] + [
        "[OK] kms01: DNS %s: published 2026-11-25 06:00 UTC" % d for d in LIST] + [
        "[OK] kms02: DNS corp.example: no 12293/12294 event in the document"], res
    assert dns_perf(res, "kms01 dns_failing") == "'kms01 dns_failing'=0;0;;0", res
    assert dns_perf(res, "kms02 dns_failing") == "'kms02 dns_failing'=1;0;;0", res
    assert "dns_failing" not in res.perf
    run_formats(PLUGIN, "-u", p1, "-u", p2)


# ---- hostile input -------------------------------------------------------------------

HOSTILE = [
    ({"dns_publish_domains": ["corp.example", "a..b"]},
     '$.host.dns_publish_domains[1]: "a..b" is not a DNS name (label 2 is empty)'),
    ({"dns_publish_domains": [""]}, "$.host.dns_publish_domains[0]: empty"),
    ({"dns_publish_domains": [7]}, "$.host.dns_publish_domains[0]: expected string, got integer"),
    ({"dns_publish_domains": "corp.example"},
     "$.host.dns_publish_domains: expected array, got string"),
    ({"dns_publish_domains": ["corp.example", "lab.example", "CORP.EXAMPLE."]},
     '$.host.dns_publish_domains[2]: "CORP.EXAMPLE." already at dns_publish_domains[0]'),
    ({"dns_publish_domains": ["d%d" % i for i in range(65)]},
     "$.host.dns_publish_domains: 65 domains, at most 64"),
    # text_clean: a | in the document cannot start perfdata, even in an error
    ({"dns_publish_domains": ["evil|perf=1"]},
     '$.host.dns_publish_domains[0]: "evil/perf=1" is not a DNS name (\'/\' is not a letter, '
     'digit or hyphen)'),
    ({"dns_publish_domains": ["a\nKMS SERVICE OK"]},
     '$.host.dns_publish_domains[0]: "a KMS SERVICE OK" is not a DNS name (byte 0x0A is not a '
     'letter, digit or hyphen)'),
    ({"event_domain": "-lab.example"},
     '$.events[0].domain: "-lab.example" is not a DNS name (label 1 starts or ends with a '
     'hyphen)'),
    ({"event_domain": ""}, "$.events[0].domain: empty"),
    ({"event_domain": ["corp.example"]}, "$.events[0].domain: expected string, got array"),
]


@pytest.mark.parametrize("change,why", HOSTILE)
def test_hostile_domains_are_unknown_with_the_path(tmp_path, change, why):
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z")])
    if "dns_publish_domains" in change:
        doc["host"]["dns_publish_domains"] = change["dns_publish_domains"]
    else:
        doc["events"][0]["domain"] = change["event_domain"]
    path = write(tmp_path, doc)
    res = run(PLUGIN, "-u", path)
    assert res.code == 3, res
    assert res.first == "KMS SERVICE UNKNOWN - status document %s: %s" % (path, why), res


# ---- the three formats agree -----------------------------------------------------------

FORMAT_DOCS = {
    "listed mixed": ([ev(12294, "2026-11-24T09:10:00Z", "branch.example"),
                      ev(12293, "2026-11-25T13:02:11Z", "branch.example", "0x8007232B"),
                      ev(12294, "2026-11-25T06:00:00Z", "corp.example")], LIST, "WARNING"),
    "all published": ([ev(12294, "2026-11-25T06:00:00Z", d) for d in LIST], LIST, "OK"),
    "own and event-only": ([ev(12293, "2026-11-25T13:00:00Z", "lab.example", "0x8007232A")],
                           "absent", "WARNING"),
    "undomained beside several": ([ev(12294, "2026-11-25T06:00:00Z", "a.example"),
                                   ev(12293, "2026-11-25T13:00:00Z", None, "0x8007232A")],
                                  ["a.example", "b.example"], "WARNING"),
    "empty list": ([], [], "OK"),
}


@pytest.mark.parametrize("name", sorted(FORMAT_DOCS))
@pytest.mark.parametrize("args", [[], ["--lookback", "3d"], ["--idle", "0"]])
def test_formats_agree(tmp_path, name, args):
    events, domains, state = FORMAT_DOCS[name]
    text, out = run_formats(PLUGIN, "-u", write(tmp_path, doc_with(events, domains)), *args)
    if not args:
        assert text.state == state, (text, out)
    dns = [sc for sc in out["checks"]
           if [pd["label"] for pd in sc.get("perfdata", [])] == ["dns_failing"]]
    assert len(dns) == 1, out
    assert [pd["label"] for pd in dns[0]["perfdata"]] == ["dns_failing"], dns
    failing = sum(1 for k in dns[0].get("checks", []) if k["state"] != "OK")
    assert dns[0]["perfdata"][0]["value"] == failing, dns
    # the text's DNS lines are the JSON's children, worst first
    rank = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}
    kids = sorted(dns[0].get("checks", [dns[0]]), key=lambda k: -rank[k["state"]])
    assert [line for line in text.long if line.startswith("[") and "] DNS " in line
            and not line.startswith("[OK] DNS publishing OK")] == \
        ["[%s] %s" % (k["state"], k["output"]) for k in kids], (text, out)


def test_own_domain_failing_beside_a_list_is_named(tmp_path):
    """The list adds to the own domain: a failure there is not hidden by a
    listed domain that publishes."""
    doc = doc_with([ev(12294, "2026-11-25T06:00:00Z", "lab.example"),
                    ev(12294, "2026-11-24T06:00:00Z", "corp.example"),
                    ev(12293, "2026-11-25T12:00:00Z", "corp.example", "0x8007232B")],
                   ["lab.example"])
    res = check(tmp_path, doc)
    assert res.code == 1, res
    assert res.first == ("KMS SERVICE WARNING - DNS publishing failing for corp.example "
                         "(0x8007232B DNS name does not exist)"), res
    assert dns_lines(res) == [
        "[WARNING] DNS corp.example: 12293 at 2026-11-25 12:00 UTC (0x8007232B DNS name does "
        "not exist) after the last 12294 at 2026-11-24 06:00 UTC",
        "[OK] DNS lab.example: published 2026-11-25 06:00 UTC"], res
    assert dns_perf(res) == "dns_failing=1;0;;0", res
    run_formats(PLUGIN, "-u", write(tmp_path, doc))
