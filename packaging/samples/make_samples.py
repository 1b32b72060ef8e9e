#!/usr/bin/python3
"""Writes the sample status documents of packaging/samples/ (deterministic).

Owns: the seven hand-shaped samples described in README.md beside it, all
written against the fixed "now" 2026-11-25T14:00:00Z (the tests run the
plugins with KMS_PLUGINS_NOW set to it).  Every client is placed on purpose:
the comments say which count, deadline or failure it makes.

Usage: /usr/bin/python3 packaging/samples/make_samples.py [OUTDIR]
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import (DAY, HOUR, MIN, OFFICE_APP, SKUS, WINDOWS_APP,  # noqa: E402
                      guid, iso, parse_time)

NOW = parse_time("2026-11-25T14:00:00Z")
GENERATED = NOW - 5 * MIN                     # 13:55:00Z
FULL = 180 * 1440                             # an activation's validity, minutes
RENEWED = FULL - 7 * 1440                     # reported by a weekly renewer

WIN_HOST = "Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel"
OFFICE_HOST = "Office 16, Office16ProPlusKMSHostVL_KMS_Host edition"


class Builder:
    """Client records for one sample, GUIDs from a seeded RNG."""

    def __init__(self, seed, complete_since, names_seen=False):
        self.rng = random.Random(seed)
        self.complete_since = complete_since
        self.names_seen = names_seen   # every record carries names_seen
        self.clients = []

    def add(self, name, kind, last_request, result="0x0", last_success="same",
            state=1, expires=None, virtual=None, names=None, names_count=None,
            first_seen=None):
        """kind: pc (needs 25), server or office (need 5); times in epoch s;
        last_success "same" = last_request; expires: minutes (default: a
        licensed client's remaining validity as reported at the request).
        names: [(name, epoch)], most recent first, the names that sent this
        CMID (default, when the builder reports names: the client's own);
        names_count: how many ever (default: as many as listed); first_seen:
        epoch (default: drawn between complete_since and the last success)."""
        rng = self.rng
        if last_success == "same":
            last_success = last_request
        if expires is None:
            expires = RENEWED if state == 1 else 0
        anchor = last_success if last_success is not None else last_request
        span = max(0, anchor - self.complete_since)
        if first_seen is None:
            first_seen = self.complete_since + (rng.randrange(span) // 60 * 60 if span else 0)
        self.clients.append({
            "name": name,
            "cmid": guid(rng),
            "sku_id": SKUS[kind][rng.randrange(len(SKUS[kind]))],
            "application_id": OFFICE_APP if kind == "office" else WINDOWS_APP,
            "virtual": (kind == "server") if virtual is None else virtual,
            "required_count": 25 if kind == "pc" else 5,
            "first_seen_at": iso(first_seen),
            "last_request_at": iso(last_request),
            "last_result": result,
            "last_success_at": None if last_success is None else iso(last_success),
            "license_state": state,
            "state_expires_in_minutes": expires,
        })
        if names is None and self.names_seen:
            names = [(name, last_request)]
        if names is not None:
            self.clients[-1]["names_seen"] = [{"name": n, "last_request_at": iso(t)}
                                              for n, t in names]
            self.clients[-1]["names_seen_count"] = (len(names) if names_count is None
                                                    else names_count)

    def shared(self, names, kind, result="0x0", last_success="same", state=1,
               expires=None, first_seen=None):
        """One record for machines cloned without sysprep /generalize: they
        send one CMID, so the host keeps one record, named after the newest
        request. names: [(name, epoch)] in any order."""
        names = sorted(names, key=lambda nt: (-nt[1], nt[0]))
        self.add(names[0][0], kind, names[0][1], result, last_success, state,
                 expires, names=names, first_seen=first_seen)

    def weekly(self, names, kind, newest=NOW - 14 * MIN):
        """Clients renewing weekly, their last requests spread over 7 days."""
        step = 7 * DAY // max(1, len(names))
        for i, name in enumerate(names):
            jitter = self.rng.randrange(step // 2 + 1) if i else 0
            self.add(name, kind, newest - i * step - jitter)


def pcs(a, b):
    return ["pc%04d.corp.example" % i for i in range(a, b + 1)]


def servers(a, b):
    return ["srv%03d.corp.example" % i for i in range(a, b + 1)]


def host(name="kms01.corp.example", enabled=True):
    return {"name": name, "kms_enabled": enabled, "port": 1688,
            "service_state": "running", "dns_publishing": enabled,
            "activation_interval_minutes": 120, "renewal_interval_minutes": 10080}


def product(name, app, count, requests, status=1):
    keys = ("total", "failed", "unlicensed", "licensed", "oob_grace", "oot_grace",
            "non_genuine_grace", "notification")
    return {"name": name, "application_id": app, "license_status": status,
            "grace_remaining_minutes": 0, "current_count": count,
            "requests": None if requests is None else dict(zip(keys, requests))}


def document(host_obj, products, builder=None, events=()):
    doc = {"format": "kms-status", "version": 1, "generated_at": iso(GENERATED),
           "host": host_obj, "products": products}
    if builder is not None:
        doc["clients_complete_since"] = iso(builder.complete_since)
        doc["clients"] = builder.clients
    doc["events"] = list(events)
    return doc


def ev12294(at, domain=None):
    """A 12294; domain (exporter 1.2 writes it) only when given, so the
    samples of before issue 19 stay as they were."""
    ev = {"id": 12294, "at": iso(at), "hresult": "0x0",
          "message": "Publishing the Key Management Service (KMS) to DNS in "
                     "the '%s' domain is successful." % (domain or "corp.example")}
    if domain:
        ev["domain"] = domain
    return ev


def ev12293(at, hresult, meaning, domain):
    return {"id": 12293, "at": iso(at), "hresult": hresult, "domain": domain,
            "message": "An error occurred while trying to publish the Key Management "
                       "Service (KMS) to DNS in the '%s' domain. Info: %s, %s."
                       % (domain, hresult, meaning)}


def healthy(seed=11):
    """Windows 31 (25 PCs + 6 servers), Office 2013+ 10 (12 clients, the count caps at 10); all renew weekly."""
    b = Builder(seed, parse_time("2026-03-01T00:00:00Z"))
    b.weekly(pcs(1, 25), "pc")
    b.weekly(servers(1, 6), "server", newest=NOW - 2 * HOUR)
    b.weekly(pcs(1, 12), "office", newest=NOW - 47 * MIN)
    return b, [product(WIN_HOST, WINDOWS_APP, 31, (5120, 0, 2, 5012, 98, 0, 0, 8)),
               product(OFFICE_HOST, OFFICE_APP, 10, (1930, 0, 0, 1904, 26, 0, 0, 0))]


def below_threshold():
    """Windows 18 = 14 active + 4 lapsing (leave by 2026-12-02); the PCs
    get 0xC004F038 (count insufficient); servers still activate."""
    b = Builder(21, parse_time("2026-03-01T00:00:00Z"))
    b.weekly(servers(1, 6), "server", newest=NOW - 31 * MIN)                # 6 active
    for i, name in enumerate(pcs(1, 5)):                                  # 5 new PCs, OOB grace
        b.add(name, "pc", NOW - (23 + 17 * i) * MIN, "0xC004F038", None, 2,
              expires=(26 - 4 * i) * 1440 + 300)
    for i, name in enumerate(pcs(6, 8)):                                  # 3 licensed, renewal fails
        b.add(name, "pc", NOW - (40 + 25 * i) * MIN, "0xC004F038",
              NOW - (60 + 9 * i) * DAY, 1, expires=(120 - 9 * i) * 1440)
    for i, name in enumerate(pcs(9, 12)):                                 # 4 lapsing: 23-24 days ago
        b.add(name, "pc", parse_time("2026-11-01T08:00:00Z") + i * 7 * HOUR)
    for i, name in enumerate(pcs(13, 21)):                                # 9 gone: moved to another KMS
        b.add(name, "pc", parse_time("2026-10-10T09:00:00Z") + i * DAY)
    b.weekly(pcs(22, 29), "office", newest=NOW - 52 * MIN)                # Office 8
    return b, [product(WIN_HOST, WINDOWS_APP, 18, (4310, 512, 40, 3650, 108, 0, 0, 0)),
               product(OFFICE_HOST, OFFICE_APP, 8, (1210, 0, 0, 1210, 0, 0, 0, 0))]


def expiring():
    """Windows 22 (PCs fail 0xC004F038): 15 clients lose activation within
    30 days (8 within 7), 4 already lost; inventory since 2026-05-01."""
    b = Builder(31, parse_time("2026-05-01T00:00:00Z"))
    b.weekly(servers(1, 6), "server", newest=NOW - 26 * MIN)                # 6 counted
    # 8 licensed PCs trying to renew and failing: 1..20 days left (counted)
    for i, (name, left) in enumerate(zip(pcs(1, 8), (1, 2, 4, 7, 10, 14, 17, 20))):
        success = NOW - (180 - left) * DAY - 5 * HOUR
        b.add(name, "pc", NOW - (35 + 41 * i) * MIN, "0xC004F038", success, 1,
              expires=left * 1440)
    # 3 licensed PCs silent since their last success: 5, 12, 19 days left
    for name, left in zip(pcs(9, 11), (5, 12, 19)):
        b.add(name, "pc", NOW - (180 - left) * DAY - 3 * HOUR)
    # grace PCs retrying every 2 h: OOB grace 2, 5, 9 days left; OOT 3 days
    for i, (name, left) in enumerate(zip(pcs(12, 14), (2, 5, 9))):
        b.add(name, "pc", NOW - (50 + 20 * i) * MIN, "0xC004F038", None, 2,
              expires=left * 1440 + 50 + 20 * i)
    b.add(pcs(15, 15)[0], "pc", NOW - 75 * MIN, "0xC004F038", NOW - 183 * DAY, 3,
          expires=3 * 1440 + 75)
    # already lost: 2 in notification, 1 unlicensed, 1 silent 186 days
    b.add(pcs(16, 16)[0], "pc", NOW - 3 * HOUR, "0xC004F038", NOW - 200 * DAY, 5, expires=0)
    b.add(pcs(17, 17)[0], "pc", NOW - 9 * HOUR, "0xC004F038", None, 5, expires=0)
    b.add(pcs(18, 18)[0], "pc", NOW - 2 * DAY, "0xC004F038", None, 0, expires=0)
    b.add(pcs(19, 19)[0], "pc", NOW - 186 * DAY)
    # 1 PC that renewed 12 days ago, while the count was still >= 25
    b.add(pcs(20, 20)[0], "pc", NOW - 12 * DAY - 4 * HOUR)
    b.weekly(pcs(21, 28), "office", newest=NOW - 33 * MIN)                # Office 8
    return b, [product(WIN_HOST, WINDOWS_APP, 22, (3904, 377, 51, 3280, 180, 12, 0, 61)),
               product(OFFICE_HOST, OFFICE_APP, 8, (980, 0, 0, 980, 0, 0, 0, 0))]


def cloned():
    """Windows count 21 although 36 machines ask: 17 of them share 2 CMIDs
    (12 VDI desktops from one image, 5 kiosks from another, never run
    through sysprep /generalize), so the count sees 2 of them; every client
    OS fails with 0xC004F038. Also a rename (pc0011 was desktop-4f7k2q9
    until 2026-10-12), two foreign clients (HOME-PC without a domain, a lab
    VM under lab.example) and 6 servers; every record carries names_seen.
    No burst: the inventory is small and first seen over months."""
    b = Builder(61, parse_time("2026-03-01T00:00:00Z"), names_seen=True)
    b.weekly(servers(1, 6), "server", newest=NOW - 38 * MIN)              # 6 active
    # 12 VDI desktops, new from one image: OOB grace, retrying every 2 h
    b.shared([("vdi%02d.corp.example" % k, NOW - (9 + 7 * k) * MIN) for k in range(1, 13)],
             "pc", "0xC004F038", None, 2, expires=27 * 1440 + 600,
             first_seen=NOW - 3 * DAY + 600 * MIN)
    # 5 kiosks cloned from an activated image: licensed, renewals failing,
    # each powered on on its own day within the last 6 days
    b.shared([("kiosk%02d.corp.example" % k, NOW - k * DAY - (3 + 11 * k) * MIN)
              for k in range(1, 6)],
             "pc", "0xC004F038", NOW - 19 * DAY, 1, expires=161 * 1440)
    for i, name in enumerate(pcs(1, 10)):                                 # 10 licensed, renewal fails
        b.add(name, "pc", NOW - (25 + 113 * i) * MIN, "0xC004F038",
              NOW - (12 + 4 * i) * DAY, 1, expires=(168 - 4 * i) * 1440)
    # a rename: the old name stopped 44 days ago, long before the new began
    renamed = NOW - 2 * HOUR - 17 * MIN
    b.add("pc0011.corp.example", "pc", renamed, "0xC004F038", NOW - 30 * DAY, 1,
          expires=150 * 1440, first_seen=parse_time("2026-04-20T08:12:00Z"),
          names=[("pc0011.corp.example", renamed),
                 ("desktop-4f7k2q9.corp.example", parse_time("2026-10-12T16:40:00Z"))])
    # foreign: a home PC over VPN (no domain) and a lab VM
    b.add("HOME-PC", "pc", NOW - 3 * HOUR - 5 * MIN, "0xC004F038", None, 2,
          expires=12 * 1440, virtual=False, first_seen=NOW - 18 * DAY - 3 * HOUR - 5 * MIN)
    b.add("vm07.lab.example", "pc", NOW - 51 * MIN, "0xC004F038", None, 2,
          expires=20 * 1440, virtual=True, first_seen=NOW - 10 * DAY - 51 * MIN)
    return b, [product(WIN_HOST, WINDOWS_APP, 21, (2480, 604, 0, 1690, 790, 0, 0, 0))]


def samples():
    b, prods = healthy()
    yield "healthy", document(host(), prods, b,
                              [ev12294(parse_time("2026-11-25T06:12:40Z"))])
    b, prods = below_threshold()
    yield "below-threshold", document(host(), prods, b,
                                      [ev12294(parse_time("2026-11-25T02:30:05Z"))])
    b, prods = expiring()
    yield "expiring", document(host(), prods, b,
                               [ev12294(parse_time("2026-11-25T04:44:21Z"))])
    yield "not-kms", document(
        host("srv042.corp.example", enabled=False),
        [product("Windows(R), ServerDatacenter edition", WINDOWS_APP, -1, None)],
        Builder(41, parse_time("2026-10-01T00:00:00Z")))
    b, prods = healthy(seed=51)
    yield "dns-failure", document(host(), prods, b, [
        ev12294(parse_time("2026-11-24T09:10:00Z")),
        {"id": 12293, "at": "2026-11-25T13:02:11Z", "hresult": "0x8007232A",
         "message": "An error occurred while trying to publish the Key Management "
                    "Service (KMS) to DNS in the 'corp.example' domain. "
                    "Info: 0x8007232A, DNS server failure."}])
    b, prods = cloned()
    yield "cloned", document(host(), prods, b,
                             [ev12294(parse_time("2026-11-25T05:21:09Z"))])
    # issue 19: a host publishing in three domains (DnsDomainPublishList):
    # corp.example failed at 03:00 and recovered at 06:12; branch.example
    # keeps failing since 13:02 (its last 12294 yesterday 09:10); lab.example
    # is listed but has no 12294 at all (never published within 1 d)
    b, prods = healthy(seed=71)
    h = host()
    h["dns_publish_domains"] = ["corp.example", "branch.example", "lab.example"]
    yield "dns-domains", document(h, prods, b, [
        ev12294(parse_time("2026-11-24T09:10:00Z"), "branch.example"),
        ev12293(parse_time("2026-11-25T03:00:00Z"), "0x8007232A", "DNS server failure",
                "corp.example"),
        ev12294(parse_time("2026-11-25T06:12:40Z"), "corp.example"),
        ev12293(parse_time("2026-11-25T13:02:11Z"), "0x8007232B", "DNS name does not exist",
                "branch.example")])


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, doc in samples():
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
