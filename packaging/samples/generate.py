#!/usr/bin/python3
"""Deterministic generator of synthetic kms-status v1 documents.

Owns: a seeded, streaming writer of status documents with N clients, for
tests and benchmarks of the document plugins (check_kms_count,
check_kms_renewal, check_kms_service).  The same arguments give the same
bytes.  Clients are written one at a time, so a 1,000,000-client document
(about 450 MB) needs no more memory than a 10-client one.

Streaming means the products (whose current_count is computed from the
clients) come after "clients" in the output; JSON key order carries no
meaning and the plugins do not depend on it.

The formatting helpers (iso, guid) are also used by make_samples.py.
"""
import argparse
import calendar
import random
import sys

WINDOWS_APP = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE_APP = "0ff1ce15-a989-479d-af46-f275c6370663"

MIN = 60
HOUR = 3600
DAY = 86400
VALIDITY_DAYS = 180            # an activation lasts 180 days
COUNT_WINDOW = 30 * DAY        # the count holds clients seen in 30 days
RENEWAL_MINUTES = 7 * 24 * 60  # VLRenewalInterval, 10080

# Synthetic SKU ids (stable, not Microsoft's real ones): the plugins only
# carry sku_id through, they do not interpret it.
SKUS = {
    "pc": ["5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01", "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e02"],
    "server": ["5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c2e01", "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c2e02"],
    "office": ["5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c3e01"],
}

PROFILES = {
    # name: (share of servers, share of Office clients)
    "mixed": (0.10, 0.20),
    "windows-only": (0.10, 0.0),
    "servers-only": (1.0, 0.0),
}

_DATE_CACHE = {}


def parse_time(text):
    """RFC 3339 'YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)' -> epoch seconds (int)."""
    t = text.strip()
    offset = 0
    if t[-1] in "Zz":
        t = t[:-1]
    elif len(t) > 6 and t[-6] in "+-" and t[-3] == ":":
        sign = 1 if t[-6] == "+" else -1
        offset = sign * (int(t[-5:-3]) * HOUR + int(t[-2:]) * MIN)
        t = t[:-6]
    else:
        raise ValueError("not an RFC 3339 time with offset: %r" % text)
    date, _, clock = t.replace("t", "T").replace(" ", "T").partition("T")
    y, mo, d = (int(x) for x in date.split("-"))
    hh, mm, ss = clock.split(":")
    secs = calendar.timegm((y, mo, d, int(hh), int(mm), int(float(ss)), 0, 0, 0))
    return secs - offset


def iso(epoch):
    """Epoch seconds -> 'YYYY-MM-DDTHH:MM:SSZ' (cached per day: fast)."""
    days, rest = divmod(int(epoch), DAY)
    prefix = _DATE_CACHE.get(days)
    if prefix is None:
        tm = __import__("time").gmtime(days * DAY)
        prefix = "%04d-%02d-%02dT" % (tm.tm_year, tm.tm_mon, tm.tm_mday)
        _DATE_CACHE[days] = prefix
    h, rest = divmod(rest, HOUR)
    m, s = divmod(rest, MIN)
    return "%s%02d:%02d:%02dZ" % (prefix, h, m, s)


def guid(rng):
    """A random GUID string from rng (version-4 layout)."""
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-a%s-%s" % (h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])


def jstr(value):
    """JSON value text for a timestamp or None."""
    return "null" if value is None else '"%s"' % iso(value)


def names_json(names, count):
    """names_seen and names_seen_count members (leading comma) for the list
    of (name, epoch) pairs, most recent first."""
    return (',"names_seen":[%s],"names_seen_count":%d'
            % (",".join('{"name":"%s","last_request_at":%s}' % (n, jstr(t))
                        for n, t in names), count))


def client_json(c):
    """One client dict (epoch-second times) -> its JSON text; with a
    "names_seen" key ([(name, epoch)], most recent first) the record
    carries names_seen and names_seen_count too."""
    names = c.get("names_seen")
    sku = "null" if c["sku_id"] is None else '"%s"' % c["sku_id"]
    return (
        '{"name":"%s","cmid":"%s","sku_id":%s,"application_id":"%s",'
        '"virtual":%s,"required_count":%d,"first_seen_at":%s,'
        '"last_request_at":%s,"last_result":"%s","last_success_at":%s,'
        '"license_state":%d,"state_expires_in_minutes":%d%s}'
        % (c["name"], c["cmid"], sku, c["application_id"],
           "true" if c["virtual"] else "false", c["required_count"],
           jstr(c["first_seen_at"]), jstr(c["last_request_at"]),
           c["last_result"], jstr(c["last_success_at"]),
           c["license_state"], c["state_expires_in_minutes"],
           "" if names is None else names_json(names, len(names))))


# Clone groups of --clones N: the extra machines per shared CMID cycle
# through these sizes (groups of 2, 3, 5 and 10 machines), the last group
# taking what is left.
CLONE_EXTRAS = (1, 2, 4, 9)
CLONE_WINDOW = 9 * DAY         # the renewal interval + 2 days


def clone_groups(n):
    """The extra machines of each shared CMID, for n clones in all."""
    groups, i = [], 0
    while n > 0:
        k = min(n, CLONE_EXTRAS[i % len(CLONE_EXTRAS)])
        groups.append(k)
        n -= k
        i += 1
    return groups


class Clones:
    """Names for --clones: a group of cloned machines behind one record's
    CMID, and one renamed machine. Its own RNG, so the records' other
    fields are drawn exactly as without --clones."""

    def __init__(self, seed, now, n):
        self.rng = random.Random(seed * 1000003 + 17)
        self.now = now
        self.groups = clone_groups(n)
        self.next_clone = 1

    def holders(self):
        """How many records carry the groups and the rename (the last
        ones of the document)."""
        return len(self.groups) + 1 if self.groups else 0

    def share(self, c, extra):
        """c's CMID is also sent by `extra` clones, each with a request of
        its own within the last 9 days and before c's (c stays the record's
        newest name and request)."""
        names = [(c["name"], c["last_request_at"])]
        lo = self.now - CLONE_WINDOW + HOUR
        for _ in range(extra):
            at = lo + self.rng.randrange(max(1, c["last_request_at"] - lo))
            names.append(("clone%05d.corp.example" % self.next_clone, at))
            self.next_clone += 1
        names.sort(key=lambda nt: (-nt[1], nt[0]))
        c["names_seen"] = names

    def rename(self, c):
        """c was called desktop-NNNNN until 40-50 days ago: that name
        stopped long before c's began (and c was first seen before)."""
        old_at = self.now - 40 * DAY - self.rng.randrange(10 * DAY)
        c["first_seen_at"] = min(c["first_seen_at"], old_at - 30 * DAY)
        c["names_seen"] = [(c["name"], c["last_request_at"]),
                           ("desktop-%05d.corp.example" % self.rng.randrange(100000), old_at)]

    def apply(self, c, k):
        """Names for the k-th holder (0-based): the groups, then the rename."""
        if k < len(self.groups):
            self.share(c, self.groups[k])
        else:
            self.rename(c)


# --edition-failures SKU:N[:CODE[:KIND]]: what KIND makes of a record
EDITION_KINDS = {"server": (WINDOWS_APP, 5), "pc": (WINDOWS_APP, 25), "office": (OFFICE_APP, 5)}
EDITION_DEFAULT_CODE = "0xC004F042"   # product not served by this host


def parse_edition_failures(text):
    """'SKU:N[:CODE[:KIND]]' -> (sku or None for 'none', n, code, kind); raise
    ValueError naming what is wrong."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise ValueError("expected SKU:N[:CODE[:KIND]], got %r" % text)
    sku, n = parts[0].strip().lower(), parts[1]
    code = parts[2] if len(parts) > 2 and parts[2] else EDITION_DEFAULT_CODE
    kind = parts[3] if len(parts) > 3 else "server"
    if sku != "none" and not (len(sku) == 36 and all(ch in "0123456789abcdef-" for ch in sku)):
        raise ValueError("SKU %r is not a GUID (or none)" % parts[0])
    if not n.isdigit() or int(n) < 1:
        raise ValueError("N %r is not a count >= 1" % n)
    if not (code.lower().startswith("0x") and len(code) <= 10 and
            all(ch in "0123456789abcdefABCDEF" for ch in code[2:]) and len(code) > 2):
        raise ValueError("CODE %r is not an HRESULT (0x...)" % code)
    if kind not in EDITION_KINDS:
        raise ValueError("KIND %r is not one of %s" % (kind, ", ".join(sorted(EDITION_KINDS))))
    return (None if sku == "none" else sku, int(n), code, kind)


class EditionFailures:
    """The records of --edition-failures: machines of one edition whose
    last request failed with CODE, new (never activated: OOB grace), each
    heard from 1 h + i min before now. Their own RNG, written after the
    other records, so those are byte for byte what they are without."""

    def __init__(self, seed, now, specs):
        self.rng = random.Random(seed * 1000003 + 29)
        self.now = now
        self.specs = specs
        self.next = 1

    def clients(self):
        for sku, n, code, kind in self.specs:
            app, need = EDITION_KINDS[kind]
            for _ in range(n):
                i = self.next
                self.next += 1
                last = self.now - HOUR - i * MIN
                yield {
                    "name": "ed%05d.corp.example" % i, "cmid": guid(self.rng),
                    "sku_id": sku, "application_id": app,
                    "virtual": kind == "server", "required_count": need,
                    "first_seen_at": last - 3 * DAY, "last_request_at": last,
                    "last_result": code, "last_success_at": None, "license_state": 2,
                    "state_expires_in_minutes": 27 * 1440,
                }


class Fleet:
    """Draws clients of the realistic mix from one seeded RNG."""

    def __init__(self, seed, now, profile):
        self.rng = random.Random(seed)
        self.now = now
        self.server_share, self.office_share = PROFILES[profile]
        self.complete_since = (now - 420 * DAY) // DAY * DAY

    def _base(self, i):
        rng = self.rng
        r = rng.random()
        if r < self.office_share:
            kind, app, need = "office", OFFICE_APP, 5
        elif r < self.office_share + self.server_share * (1 - self.office_share):
            kind, app, need = "server", WINDOWS_APP, 5
        else:
            kind, app, need = "pc", WINDOWS_APP, 25
        name = ("srv%06d" if kind == "server" else "pc%06d") % i
        return {
            "name": name + ".corp.example", "cmid": guid(rng),
            "sku_id": rng.choice(SKUS[kind]), "application_id": app,
            "virtual": rng.random() < (0.8 if kind == "server" else 0.2),
            "required_count": need,
        }

    def _first_seen(self, last):
        lo = self.complete_since
        return lo + int(self.rng.random() * max(0, last - lo))

    def client(self, i):
        """The i-th client of the mix (categories in % of clients):
        78 renewing weekly, 8 silent for months, 6 in a grace state,
        5 licensed but failing, 3 unlicensed or in notification mode."""
        rng, now = self.rng, self.now
        c = self._base(i)
        r = rng.random() * 100
        if r < 78:        # renewing weekly, licensed
            last = now - rng.randrange(7 * DAY)
            c.update(last_request_at=last, last_result="0x0", last_success_at=last,
                     license_state=1,
                     state_expires_in_minutes=(VALIDITY_DAYS * 1440 - RENEWAL_MINUTES
                                               - rng.randrange(120)))
        elif r < 86:      # silent for months: last success 100-200 days ago
            last = now - 100 * DAY - rng.randrange(100 * DAY)
            c.update(last_request_at=last, last_result="0x0", last_success_at=last,
                     license_state=1,
                     state_expires_in_minutes=(VALIDITY_DAYS * 1440 - RENEWAL_MINUTES
                                               - rng.randrange(120)))
        elif r < 92:      # grace: OOB (never activated), OOT (expired), extended
            state = rng.choice((2, 2, 3, 6))
            last = now - rng.randrange(2 * HOUR)
            success = None if state == 2 else now - (VALIDITY_DAYS + 1) * DAY - rng.randrange(60 * DAY)
            c.update(last_request_at=last,
                     last_result=rng.choice(("0xC004F038", "0xC004F038", "0xC004F074")),
                     last_success_at=success, license_state=state,
                     state_expires_in_minutes=1 + rng.randrange(30 * 1440))
        elif r < 97:      # licensed, renewal failing
            last = now - rng.randrange(DAY)
            success = now - 20 * DAY - rng.randrange(150 * DAY)
            c.update(last_request_at=last,
                     last_result=rng.choice(("0xC004F038", "0xC004F038", "0xC004F074")),
                     last_success_at=success, license_state=1,
                     state_expires_in_minutes=max(0, VALIDITY_DAYS * 1440 - (last - success) // MIN))
        else:             # unlicensed or notification mode
            last = now - rng.randrange(3 * DAY)
            success = None if rng.random() < 0.5 else now - (VALIDITY_DAYS + 30) * DAY - rng.randrange(90 * DAY)
            c.update(last_request_at=last, last_result="0xC004F038",
                     last_success_at=success, license_state=rng.choice((0, 5)),
                     state_expires_in_minutes=0)
        c["first_seen_at"] = self._first_seen(c["last_success_at"] or c["last_request_at"])
        return c

    def lapsing_client(self, i, day):
        """A licensed Windows PC whose last request was (30 - day) days + 1 h
        ago: it leaves the count `day` days from now, minus one hour."""
        c = self._base(i)
        c.update(name="pc%06d.corp.example" % i, application_id=WINDOWS_APP,
                 sku_id=SKUS["pc"][0], required_count=25)
        last = self.now - (30 - day) * DAY - HOUR
        c.update(last_request_at=last, last_result="0x0", last_success_at=last,
                 license_state=1,
                 state_expires_in_minutes=VALIDITY_DAYS * 1440 - RENEWAL_MINUTES)
        c["first_seen_at"] = self._first_seen(last)
        return c

    def active_pc(self, i):
        """A licensed Windows PC that renewed within the last 6 days."""
        c = self._base(i)
        c.update(name="pc%06d.corp.example" % i, application_id=WINDOWS_APP,
                 sku_id=SKUS["pc"][0], required_count=25)
        last = self.now - HOUR - self.rng.randrange(5 * DAY)
        c.update(last_request_at=last, last_result="0x0", last_success_at=last,
                 license_state=1,
                 state_expires_in_minutes=VALIDITY_DAYS * 1440 - RENEWAL_MINUTES)
        c["first_seen_at"] = self._first_seen(last)
        return c


class Tally:
    """Per-product counters gathered while the clients stream out."""

    def __init__(self):
        self.seen30 = {WINDOWS_APP: 0, OFFICE_APP: 0}
        self.req = {app: dict(total=0, failed=0, unlicensed=0, licensed=0, oob_grace=0,
                              oot_grace=0, non_genuine_grace=0, notification=0)
                    for app in (WINDOWS_APP, OFFICE_APP)}
        self.any_pc = False
        self.last_request = None

    def add(self, c, now):
        app = c["application_id"]
        if now - c["last_request_at"] <= COUNT_WINDOW:
            self.seen30[app] += 1
        if c["required_count"] == 25:
            self.any_pc = True
        if self.last_request is None or c["last_request_at"] > self.last_request:
            self.last_request = c["last_request_at"]
        # Request counters since the service started (about 26 weeks of
        # history per client); a rough but consistent breakdown.
        r = self.req[app]
        n = 26
        r["total"] += n
        key = {0: "unlicensed", 1: "licensed", 2: "oob_grace", 3: "oot_grace",
               4: "non_genuine_grace", 5: "notification", 6: "oob_grace"}[c["license_state"]]
        if c["last_result"] != "0x0":
            r["failed"] += 2
            r[key] += n - 2
        else:
            r[key] += n


def products_json(tally, profile, lapsing):
    """The products array text, counts consistent with the clients."""
    win_cap = 50 if tally.any_pc or profile != "servers-only" else 10
    items = [("Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel", WINDOWS_APP,
              min(win_cap, tally.seen30[WINDOWS_APP]))]
    if PROFILES[profile][1] > 0 and not lapsing:
        items.append(("Office 16, Office16ProPlusKMSHostVL_KMS_Host edition", OFFICE_APP,
                      min(10, tally.seen30[OFFICE_APP])))
    out = []
    for name, app, count in items:
        r = tally.req[app]
        reqs = ",".join('"%s":%d' % (k, r[k]) for k in
                        ("total", "failed", "unlicensed", "licensed", "oob_grace",
                         "oot_grace", "non_genuine_grace", "notification"))
        out.append('{"name":"%s","application_id":"%s","license_status":1,'
                   '"grace_remaining_minutes":0,"current_count":%d,"requests":{%s}}'
                   % (name, app, count, reqs))
    return "[\n" + ",\n".join(out) + "\n]"


def write_document(out, n, seed, now, profile="mixed", lapsing=0, lapse_day=3,
                   names_seen=False, clones=0, edition_failures=()):
    """Write one document with n clients (and the records of
    edition_failures, parse_edition_failures() tuples, after them) to the
    binary stream out."""
    fleet = Fleet(seed, now, profile)
    tally = Tally()
    cl = Clones(seed, now, clones)
    first_holder = n - cl.holders() + 1
    names_seen = names_seen or clones > 0
    generated = now - 5 * MIN
    out.write((
        '{"format":"kms-status","version":1,"generated_at":"%s",\n'
        '"host":{"name":"kms01.corp.example","kms_enabled":true,"port":1688,'
        '"service_state":"running","dns_publishing":true,'
        '"activation_interval_minutes":120,"renewal_interval_minutes":10080},\n'
        '"clients_complete_since":"%s",\n"clients":[\n'
        % (iso(generated), iso(fleet.complete_since))).encode())
    buf = []
    for i in range(1, n + 1):
        if i >= first_holder:
            c = fleet.active_pc(i)
            cl.apply(c, i - first_holder)
        elif lapsing:
            c = fleet.lapsing_client(i, lapse_day) if i <= lapsing else fleet.active_pc(i)
        else:
            c = fleet.client(i)
        if names_seen and "names_seen" not in c:
            c["names_seen"] = [(c["name"], c["last_request_at"])]
        tally.add(c, now)
        buf.append(client_json(c))
        if len(buf) >= 4096:
            out.write((",\n".join(buf) + (",\n" if i < n or edition_failures else "")).encode())
            buf = []
    for c in EditionFailures(seed, now, edition_failures).clients():
        if names_seen:
            c["names_seen"] = [(c["name"], c["last_request_at"])]
        tally.add(c, now)
        buf.append(client_json(c))
    if buf:
        out.write(",\n".join(buf).encode())
    events = [
        '{"id":12294,"at":"%s","hresult":"0x0","message":"Publishing the Key Management Service (KMS) to DNS in the \'corp.example\' domain is successful."}'
        % iso(now - 3 * HOUR - 17 * MIN),
    ]
    out.write(('\n],\n"events":[%s],\n"products":%s\n}\n'
               % (",".join(events), products_json(tally, profile, lapsing))).encode())


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a synthetic kms-status v1 document (deterministic: "
                    "the same arguments give the same bytes).",
        epilog="Mix (profile mixed): 78%% renewing weekly, 8%% silent for months "
               "(last success 100-200 days ago), 6%% in grace (states 2/3/6, failing "
               "0xC004F038/0xC004F074), 5%% licensed but failing, 3%% unlicensed or "
               "in notification; ~10%% of Windows clients are servers (required_count "
               "5), ~20%% of clients are Office (application id 0ff1ce15-...). "
               "current_count = clients with a request in the last 30 days, capped "
               "at 50 (Windows; 10 on a servers-only fleet) and 10 (Office). "
               "With --lapsing L: the first L clients are licensed Windows PCs whose "
               "last request was exactly (30 - D) days + 1 h before --now, so they "
               "leave the count at now + D days - 1 h; the other N - L clients are "
               "Windows PCs that renewed 1 h to 5 days before --now (active); no other "
               "client is lapsing; only the Windows product is written, current_count "
               "= min(50, N). "
               "With --names-seen: every client record carries names_seen (its own "
               "name and last request) and names_seen_count 1. With --clones C "
               "(implies --names-seen): C extra machines share the CMIDs of the last "
               "records, in groups of 1, 2, 4, 9 extra machines in turn (2, 3, 5, 10 "
               "machines per CMID; the last group takes the rest), named "
               "cloneNNNNN.corp.example, each with its own request within the last 9 "
               "days and before the record's own; the record after the groups is a "
               "rename (an old name desktop-NNNNN whose last request was 40-50 days "
               "ago). These G + 1 records are Windows PCs that renewed 1 h to 5 days "
               "before --now; the other records are the same as without --clones "
               "(and without --names-seen the output is byte for byte what it was). "
               "With --edition-failures SKU:N[:CODE[:KIND]]: N records more, after the "
               "others (which stay byte for byte as without), named edNNNNN.corp.example, "
               "new machines (first seen 3 days before their request, OOB grace, no "
               "success) of edition SKU whose last request 1 h + i min before --now "
               "failed with CODE: e.g. Windows Server 2025 Standard "
               "(7dc26449-db21-4e09-ba37-28f2958506a6) against an older host key. "
               "Products follow the clients in the output.")
    ap.add_argument("--clients", type=int, default=1000, metavar="N", help="number of clients (default 1000)")
    ap.add_argument("--seed", type=int, default=1, metavar="S", help="RNG seed (default 1)")
    ap.add_argument("--now", default="2026-11-25T14:00:00Z", metavar="RFC3339",
                    help="reference time; generated_at is 5 min before it (default 2026-11-25T14:00:00Z)")
    ap.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="mixed",
                    help="client mix: mixed (default), windows-only (no Office), servers-only")
    ap.add_argument("--lapsing", type=int, default=0, metavar="L",
                    help="L Windows clients that drop out of the count on day D (see below)")
    ap.add_argument("--lapse-day", type=int, default=3, metavar="D",
                    help="day (1-29) on which the --lapsing clients leave the count (default 3)")
    ap.add_argument("--names-seen", action="store_true",
                    help="give every client names_seen (its own name) and names_seen_count 1")
    ap.add_argument("--clones", type=int, default=0, metavar="C",
                    help="C extra machines sharing CMIDs in groups, plus one rename (see below)")
    ap.add_argument("--edition-failures", action="append", default=[],
                    metavar="SKU:N[:CODE[:KIND]]",
                    help="N more records of edition SKU (a GUID, or none for no sku_id) whose "
                         "last request failed with CODE (default 0xC004F042) an hour ago; "
                         "KIND server (default, Windows, count 5), pc (Windows, 25) or office "
                         "(Office 2013+, 5); repeatable (see below)")
    a = ap.parse_args(argv)
    try:
        editions = [parse_edition_failures(e) for e in a.edition_failures]
    except ValueError as e:
        ap.error("--edition-failures: %s" % e)
    if a.clients < 0 or not 0 <= a.lapsing <= a.clients:
        ap.error("need 0 <= --lapsing <= --clients")
    if a.clones < 0:
        ap.error("--clones must be >= 0")
    holders = len(clone_groups(a.clones)) + 1 if a.clones else 0
    if holders > a.clients - a.lapsing:
        ap.error("--clones %d needs %d clients besides the --lapsing ones"
                 % (a.clones, holders))
    if not 1 <= a.lapse_day <= 29:
        ap.error("--lapse-day must be 1..29")
    try:
        now = parse_time(a.now)
    except (ValueError, IndexError) as e:
        ap.error("--now: %s" % e)
    if a.out:
        with open(a.out, "wb") as f:
            write_document(f, a.clients, a.seed, now, a.profile, a.lapsing, a.lapse_day,
                           a.names_seen, a.clones, editions)
    else:
        write_document(sys.stdout.buffer, a.clients, a.seed, now, a.profile, a.lapsing,
                       a.lapse_day, a.names_seen, a.clones, editions)
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
