#!/usr/bin/python3
"""check_kms_renewal written the way an admin would with nagiosplugin: the
clients that lose activation within 30 days (or already have), WARNING above
2 % and CRITICAL above 10 % of the clients. For the benchmark only
(bench/run.py)."""
import argparse

import nagiosplugin

import kmsdoc

DAY = 86400
VALIDITY = 180 * DAY


def deadline(c, t_now):
    state = c.get("license_state")
    if state is None:
        return None
    if state in (0, 5):
        return t_now
    if state == 1:
        t = c.get("last_success_at") or c.get("last_request_at")
        return kmsdoc.parse_time(t) + VALIDITY if t else None
    if c.get("last_request_at") is None or c.get("state_expires_in_minutes") is None:
        return None
    return kmsdoc.parse_time(c["last_request_at"]) + c["state_expires_in_minutes"] * 60


class KmsRenewal(nagiosplugin.Resource):
    def __init__(self, path, days):
        self.path, self.days = path, days

    def probe(self):
        doc = kmsdoc.load(self.path)
        t_now = kmsdoc.now()
        yield nagiosplugin.Metric("age", kmsdoc.age_seconds(doc, t_now), "s", context="age")
        expiring = expired = known = 0
        for c in doc.get("clients") or []:
            known += 1
            d = deadline(c, t_now)
            if d is None:
                continue
            if d <= t_now:
                expired += 1
            elif d <= t_now + self.days * DAY:
                expiring += 1
        self.known = known
        yield nagiosplugin.Metric("lapsing", expiring + expired, min=0, max=known,
                                  context="lapsing")
        yield nagiosplugin.Metric("expired", expired, min=0, context="null")


@nagiosplugin.guarded
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-u", "--url", required=True)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--max-age", type=int, default=3600)
    args = ap.parse_args()
    res = KmsRenewal(args.url, args.days)
    check = nagiosplugin.Check(
        res, nagiosplugin.ScalarContext("age", critical="%d" % args.max_age),
        nagiosplugin.ScalarContext("null"))
    # thresholds are shares of the known clients: known only after probing
    results = check.resources[0].probe()
    metrics = list(results)
    known = res.known
    check.add(nagiosplugin.ScalarContext("lapsing", "%g" % (known * 0.02),
                                         "%g" % (known * 0.10)))
    res.probe = lambda: metrics
    check.name = "KMS RENEWAL"
    check.main()


if __name__ == "__main__":
    main()
