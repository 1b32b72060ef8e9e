"""Integration tests of check_kms_renewal over a fleet (issue 17): -u once
per KMS host, every document served over https by nginx, the inventories
merged by (CMID, product) so that each client is judged by its newest record,
from whichever host it last reached.

Owns: the exact state, line 1, long output and perfdata a user sees for a
fleet; the single-document output is test_renewal.py's (unchanged with one
-u)."""
import datetime

import pytest

from fleetdocs import serve_fleet, url_args, STALE_CASES, STALE_IDS, STALE_WHY
from harness import run

PLUGIN = "check_kms_renewal"
WIN = "55c92734-d682-4d71-983e-d6ec3f16059f"
O2013 = "0ff1ce15-a989-479d-af46-f275c6370663"
NOW = int(datetime.datetime(2026, 11, 25, 14, 0, 0,
                            tzinfo=datetime.timezone.utc).timestamp())
DAY = 86400
OLD_SINCE = "2026-01-01T00:00:00Z"   # more than 180 days back: no note


def ts(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def day(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")


def cmid(n):
    return "00000000-0000-4000-8000-%012d" % n


def client(n, success_ago, request_ago=None, app=WIN, state=1, name=None):
    """Licensed client number n that renewed success_ago days ago and last
    asked request_ago days ago (default: then)."""
    req = success_ago if request_ago is None else request_ago
    return {"name": name or "pc%04d.corp.example" % n, "cmid": cmid(n),
            "application_id": app, "license_state": state,
            "last_request_at": ts(NOW - req * DAY),
            "last_success_at": ts(NOW - success_ago * DAY), "last_result": "0x0"}


def doc(name, clients, since=OLD_SINCE, generated="2026-11-25T13:55:00Z"):
    d = {"format": "kms-status", "version": 1, "generated_at": generated,
         "host": {"name": name}, "products": [], "clients": clients}
    if since is not None:
        d["clients_complete_since"] = since
    return d


def healthy(first, n):
    """n clients numbered from first, renewed 3 days ago."""
    return [client(i, 3) for i in range(first, first + n)]


def check(nginx, folder, docs, *args, extra_urls=()):
    urls = list(serve_fleet(nginx, folder, docs).values()) + list(extra_urls)
    return run(PLUGIN, *url_args(urls), "--cacert", nginx.ca, *args)


def num(x):
    return ("%.2f" % x).rstrip("0").rstrip(".")


def perf(known, expiring=0, expired=0, min_days=None):
    """The perfdata line with the default thresholds (2 % and 10 % of known)."""
    out = ("expiring=%d;;;0;%d expired=%d;;;0;%d at_risk=%d;%s;%s;0;%d known=%d;;;0 "
           "failing=0;;;0 no_deadline=0;;;0"
           % (expiring, known, expired, known, expiring + expired, num(known * 0.02),
              num(known * 0.1), known, known))
    if min_days is not None:
        out += " min_days_left=%s" % num(min_days)
    return out


def min_days(success_ago):
    """min_days_left of a licensed client that renewed success_ago days ago."""
    return int((180 - success_ago) * 100) / 100


def merged_note(counts, distinct):
    return ("Merged inventory of %d KMS host%s (clients per host: %s): %d distinct"
            % (len(counts), "" if len(counts) == 1 else "s",
               ", ".join("%s %d" % c for c in counts), distinct))


# ---- a client that moved between hosts -------------------------------------

@pytest.mark.parametrize("renewed_on", [0, 1], ids=["kms01", "kms02"])
def test_moved_client_renewed_on_the_other_host_is_fine(nginx, renewed_on):
    """pc0001 stopped asking one host 175 days ago (its record there expires
    in 5 days) and renewed with the other 2 days ago: it is not at risk."""
    stale_rec, fresh_rec = client(1, 175), client(1, 2)
    recs = [[stale_rec], [fresh_rec]] if renewed_on == 1 else [[fresh_rec], [stale_rec]]
    docs = {"kms01.corp.example": doc("kms01.corp.example", recs[0] + healthy(10, 20)),
            "kms02.corp.example": doc("kms02.corp.example", recs[1] + healthy(40, 29))}
    res = check(nginx, "fr/moved-%d" % renewed_on, docs)
    assert res.state == "OK", res
    assert res.first == "KMS RENEWAL OK - none of 50 clients loses activation within 30 days", res
    assert res.perf_text == perf(50, min_days=min_days(3)), res
    assert res.long == ["[OK] none of 50 clients loses activation within 30 days",
                        merged_note([("kms01", 21), ("kms02", 30)], 50)], res


@pytest.mark.parametrize("newest_on", [0, 1], ids=["kms01", "kms02"])
def test_newest_record_expiring_is_listed_with_its_host(nginx, newest_on):
    """pc0001's newest record (last contact 1 day ago, renewal 170 days ago)
    is expiring; its older record on the other host (renewed 172 days ago)
    does not decide. The line names the host it last talked to."""
    newest, older = client(1, 170, request_ago=1), client(1, 172)
    recs = [[newest], [older]] if newest_on == 0 else [[older], [newest]]
    docs = {"kms01.corp.example": doc("kms01.corp.example", recs[0] + healthy(10, 19)),
            "kms02.corp.example": doc("kms02.corp.example", recs[1] + healthy(40, 20))}
    res = check(nginx, "fr/newest-%d" % newest_on, docs)
    host = "kms%02d" % (newest_on + 1)
    assert res.state == "WARNING", res
    # 1 of 40 is 2.5 %, above -w 2 %
    assert res.first == ("KMS RENEWAL WARNING - 1 of 40 clients loses activation within "
                         "30 days (0 within 7 days)"), res
    assert res.perf_text == perf(40, expiring=1, min_days=min_days(170)), res
    assert res.long == [
        "[WARNING] pc0001.corp.example (%s): activation expires %s (last renewal %s, "
        "last contact %s)" % (host, day(NOW + 10 * DAY), day(NOW - 170 * DAY),
                              day(NOW - DAY)),
        merged_note([("kms01", 20), ("kms02", 21)], 40)], res


def test_known_counts_distinct_clients_per_product(nginx):
    """kms01 knows 1-30, kms02 knows 21-50 and the Office record of machine
    1: 50 Windows clients and 1 Office client, not 60 + 1."""
    office = client(1, 3, app=O2013)
    docs = {"kms01.corp.example": doc("kms01.corp.example", healthy(1, 30)),
            "kms02.corp.example": doc("kms02.corp.example", healthy(21, 30) + [office])}
    res = check(nginx, "fr/distinct", docs)
    assert res.first == "KMS RENEWAL OK - none of 51 clients loses activation within 30 days", res
    assert res.perf_text == perf(51, min_days=min_days(3)), res
    assert res.long == ["[OK] none of 51 clients loses activation within 30 days",
                        "Known clients by product: Windows 50, Office 2013+ 1",
                        merged_note([("kms01", 30), ("kms02", 31)], 51)], res


# ---- how far back the merged inventory reaches ------------------------------

@pytest.mark.parametrize("late", [0, 1], ids=["kms01", "kms02"])
def test_merged_inventory_reaches_back_to_the_latest(nginx, late):
    since = [OLD_SINCE, OLD_SINCE]
    since[late] = "2026-09-01T00:00:00Z"
    docs = {"kms01.corp.example": doc("kms01.corp.example", healthy(1, 25), since[0]),
            "kms02.corp.example": doc("kms02.corp.example", healthy(26, 25), since[1])}
    res = check(nginx, "fr/since-%d" % late, docs)
    assert res.first == "KMS RENEWAL OK - none of 50 clients loses activation within 30 days", res
    assert res.perf_text == perf(50, min_days=min_days(3)), res
    assert res.long == [
        "[OK] none of 50 clients loses activation within 30 days",
        "The merged inventory reaches back only to 2026-09-01 (kms%02d's, less than 180 "
        "days): clients silent since before then are not seen" % (late + 1),
        merged_note([("kms01", 25), ("kms02", 25)], 50)], res


def test_merged_inventory_reach_unknown_when_one_host_does_not_say(nginx):
    docs = {"kms01.corp.example": doc("kms01.corp.example", healthy(1, 25)),
            "kms02.corp.example": doc("kms02.corp.example", healthy(26, 25), since=None)}
    res = check(nginx, "fr/since-none", docs)
    assert res.long[1] == ("kms02's document does not say how far back its inventory "
                           "reaches (no clients_complete_since): clients silent for long "
                           "may not be seen"), res


# ---- a host that is not usable ------------------------------------------------

def expiring_pair():
    """kms01's old record of pc0001 (expiring in 10 days) and kms02's newer
    one (renewed 2 days ago), with 24 healthy clients each."""
    return ([client(1, 170)] + healthy(10, 24), [client(1, 2)] + healthy(40, 24))


EXPIRING_LINE = ("[WARNING] pc0001.corp.example (kms01): activation expires %s "
                 "(last renewal %s)" % (day(NOW + 10 * DAY), day(NOW - 170 * DAY)))


@pytest.mark.parametrize("where", [0, 1], ids=["first", "last"])
def test_document_404(nginx, where):
    """The missing host is UNKNOWN and named on line 1; the other host's
    inventory is still judged."""
    served = list(serve_fleet(nginx, "fr/404-%d" % where,
                              {"kms01.corp.example": doc("kms01.corp.example",
                                                         healthy(1, 25))}).values())
    missing = nginx.https_url("/fr/404-%d/kms02.corp.example.json" % where)
    urls = served + [missing] if where == 1 else [missing] + served
    res = run(PLUGIN, *url_args(urls), "--cacert", nginx.ca)
    why = "127.0.0.1:%d: HTTP 404 Not Found from %s" % (nginx.https_port, missing)
    assert res.state == "UNKNOWN", res
    assert res.first == "KMS RENEWAL UNKNOWN - " + why, res
    assert res.perf_text == perf(25, min_days=min_days(3)), res
    assert res.long == ["[UNKNOWN] " + why,
                        "[OK] none of 25 clients loses activation within 30 days",
                        merged_note([("kms01", 25)], 25)], res


def test_document_404_beside_expiring_client(nginx):
    """The merged judgement (WARNING) is worse than the missing host
    (UNKNOWN): it leads line 1 and the long output, the host follows ("+1
    more" on line 1, in full below)."""
    kms01, _ = expiring_pair()
    missing = nginx.https_url("/fr/404-warn/kms02.corp.example.json")
    res = check(nginx, "fr/404-warn", {"kms01.corp.example": doc("kms01.corp.example", kms01)},
                extra_urls=[missing])
    why = "127.0.0.1:%d: HTTP 404 Not Found from %s" % (nginx.https_port, missing)
    assert res.state == "WARNING", res
    assert res.first == ("KMS RENEWAL WARNING - 1 of 25 clients loses activation within "
                         "30 days (0 within 7 days); +1 more"), res
    assert res.perf_text == perf(25, expiring=1, min_days=min_days(170)), res
    assert res.long == [EXPIRING_LINE, "[UNKNOWN] " + why,
                        merged_note([("kms01", 25)], 25)], res


@pytest.mark.parametrize("args,state", STALE_CASES, ids=STALE_IDS)
def test_stale_host_does_not_decide(nginx, args, state):
    """kms02's document is 3 h old: it is not usable, so its newer record of
    pc0001 does not decide - kms01's expiring record does (the merge is
    made again without kms02). 1 of kms01's 25 is 4 %: WARNING."""
    kms01, kms02 = expiring_pair()
    docs = {"kms01.corp.example": doc("kms01.corp.example", kms01),
            "kms02.corp.example": doc("kms02.corp.example", kms02,
                                      generated="2026-11-25T11:00:00Z")}
    res = check(nginx, "fr/stale-" + state, docs, *args)
    merged = "1 of 25 clients loses activation within 30 days (0 within 7 days)"
    stale = "[%s] %s" % (state, STALE_WHY)
    assert res.perf_text == perf(25, expiring=1, min_days=min_days(170)), res
    note = merged_note([("kms01", 25)], 25)
    if state == "UNKNOWN":    # the WARNING of the merge is worse
        assert res.state == "WARNING", res
        assert res.first == "KMS RENEWAL WARNING - %s; +1 more" % merged, res
        assert res.long == [EXPIRING_LINE, stale, note], res
    elif state == "WARNING":  # equal: in the order added, the host first
        assert res.state == "WARNING", res
        assert res.first == "KMS RENEWAL WARNING - %s; +1 more" % STALE_WHY, res
        assert res.long == [stale, EXPIRING_LINE, note], res
    else:
        assert res.state == "CRITICAL", res
        assert res.first == "KMS RENEWAL CRITICAL - %s; +1 more" % STALE_WHY, res
        assert res.long == [stale, EXPIRING_LINE, note], res


def test_stale_host_with_stale_state_ok_is_merged(nginx):
    kms01, kms02 = expiring_pair()
    docs = {"kms01.corp.example": doc("kms01.corp.example", kms01),
            "kms02.corp.example": doc("kms02.corp.example", kms02,
                                      generated="2026-11-25T11:00:00Z")}
    res = check(nginx, "fr/stale-ok", docs, "--stale-state", "OK")
    assert res.first == "KMS RENEWAL OK - none of 49 clients loses activation within 30 days", res
    assert res.perf_text == perf(49, min_days=min_days(3)), res


@pytest.mark.parametrize("where", [0, 1], ids=["dup-first", "dup-second"])
def test_same_host_name_twice(nginx, where):
    """Two documents say host.name kms01: the later -u is UNKNOWN and its
    records do not decide (the newer record of pc0001 is in the duplicate
    or in the original)."""
    kms01, kms02 = expiring_pair()
    if where == 1:
        kms01, kms02 = kms02, kms01
    docs = {"kms01.corp.example": doc("kms01.corp.example", kms01),
            "kms01-copy": doc("kms01.corp.example", kms02)}
    urls = serve_fleet(nginx, "fr/dup-%d" % where, docs)
    res = run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca)
    why = ("kms01: host.name also in -u %s: one document per KMS host"
           % urls["kms01.corp.example"])
    if where == 0:
        # the original holds the old record: pc0001 expiring, 1 of 25 (4 %)
        assert res.state == "WARNING", res
        assert res.first == ("KMS RENEWAL WARNING - 1 of 25 clients loses activation "
                             "within 30 days (0 within 7 days); +1 more"), res
        assert res.perf_text == perf(25, expiring=1, min_days=min_days(170)), res
        assert res.long == [EXPIRING_LINE, "[UNKNOWN] " + why,
                            merged_note([("kms01", 25)], 25)], res
    else:
        assert res.state == "UNKNOWN", res
        assert res.first == "KMS RENEWAL UNKNOWN - " + why, res
        assert res.perf_text == perf(25, min_days=min_days(3)), res
        assert res.long == ["[UNKNOWN] " + why,
                            "[OK] none of 25 clients loses activation within 30 days",
                            merged_note([("kms01", 25)], 25)], res


def test_document_invalid_half_way_does_not_decide(nginx):
    """kms02's document breaks after its newer record of pc0001: kms02 is
    UNKNOWN and kms01's record decides."""
    kms01, kms02 = expiring_pair()
    bad = dict(kms02[-1], license_state="licensed")
    docs = {"kms01.corp.example": doc("kms01.corp.example", kms01),
            "kms02.corp.example": doc("kms02.corp.example", kms02 + [bad])}
    res = check(nginx, "fr/invalid", docs)
    # a document that did not load is named by its URL's host and port
    why = ("127.0.0.1:%d: status document %s: $.clients[25].license_state: expected "
           "integer, got string" % (nginx.https_port,
                                    nginx.https_url("/fr/invalid/kms02.corp.example.json")))
    assert res.state == "WARNING", res
    assert res.first == ("KMS RENEWAL WARNING - 1 of 25 clients loses activation within "
                         "30 days (0 within 7 days); +1 more"), res
    assert res.perf_text == perf(25, expiring=1, min_days=min_days(170)), res
    assert res.long == [EXPIRING_LINE, "[UNKNOWN] " + why,
                        merged_note([("kms01", 25)], 25)], res


def test_clients_without_cmid_before_keyed_ones(nginx):
    """Records without a CMID are clients of their own (never merged); many
    of them before the keyed ones, which merge as usual."""
    loose = [dict(client(i, 3), cmid=None) for i in range(100, 130)]
    docs = {"kms01.corp.example": doc("kms01.corp.example", loose + healthy(10, 5)),
            "kms02.corp.example": doc("kms02.corp.example", healthy(10, 5))}
    res = check(nginx, "fr/loose", docs)
    assert res.state == "OK", res
    assert res.first == "KMS RENEWAL OK - none of 35 clients loses activation within 30 days", res
    assert res.perf_text == perf(35, min_days=min_days(3)), res
    assert res.long == ["[OK] none of 35 clients loses activation within 30 days",
                        merged_note([("kms01", 35), ("kms02", 5)], 35)], res


@pytest.mark.parametrize("newer_on", [0, 1], ids=["newer-kms01", "newer-kms02"])
@pytest.mark.parametrize("repeater", [0, 1], ids=["kms01-repeats", "kms02-repeats"])
def test_document_repeating_a_pair_is_unknown(nginx, repeater, newer_on):
    """One document has a second record of pc0001's (CMID, Windows): the
    merge refuses it as the loader does for one document, so that host is
    UNKNOWN and the other host is judged alone. Whether or not the repeating
    host's first record of pc0001 decides the merge so far (the older one
    is expiring, the newer renewed 2 days ago), and the host first or last."""
    recs = [[client(1, 170)], [client(1, 170)]]
    recs[newer_on] = [client(1, 2)]
    recs[0] += healthy(10, 24)
    recs[1] += healthy(40, 24)
    recs[repeater].append(dict(recs[repeater][0]))
    names = ["kms01.corp.example", "kms02.corp.example"]
    docs = {n: doc(n, r) for n, r in zip(names, recs)}
    folder = "fr/repeat-%d-%d" % (repeater, newer_on)
    res = check(nginx, folder, docs)
    why = ("127.0.0.1:%d: status document %s: $.clients[25]: CMID %s and product Windows "
           "already in an earlier record"
           % (nginx.https_port, nginx.https_url("/%s/%s.json" % (folder, names[repeater])),
              cmid(1)))
    other = "kms%02d" % (2 - repeater)
    note = merged_note([(other, 25)], 25)
    if newer_on == repeater:   # the other host's expiring record decides
        assert res.state == "WARNING", res
        assert res.first == ("KMS RENEWAL WARNING - 1 of 25 clients loses activation "
                             "within 30 days (0 within 7 days); +1 more"), res
        assert res.perf_text == perf(25, expiring=1, min_days=min_days(170)), res
        assert res.long == [EXPIRING_LINE.replace("(kms01)", "(%s)" % other),
                            "[UNKNOWN] " + why, note], res
    else:
        assert res.state == "UNKNOWN", res
        assert res.first == "KMS RENEWAL UNKNOWN - " + why, res
        assert res.perf_text == perf(25, min_days=min_days(3)), res
        assert res.long == ["[UNKNOWN] " + why,
                            "[OK] none of 25 clients loses activation within 30 days",
                            note], res


def test_every_host_unusable(nginx):
    missing = [nginx.https_url("/fr/none/kms0%d.json" % i) for i in (1, 2)]
    res = run(PLUGIN, *url_args(missing), "--cacert", nginx.ca)
    assert res.state == "UNKNOWN", res
    assert res.perf_text == "", res
    assert res.long[-2:] == ["[UNKNOWN] 127.0.0.1:%d: HTTP 404 Not Found from %s"
                             % (nginx.https_port, u) for u in missing], res
