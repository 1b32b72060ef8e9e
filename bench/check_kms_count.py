#!/usr/bin/python3
"""check_kms_count written the way an admin would with nagiosplugin: the
current count per product against 25/30 (Windows) or 5/7 (Office), and a
7-day forecast from the client inventory (WARNING when the count would fall
below the critical threshold). For the benchmark only (bench/run.py)."""
import argparse
import math

import nagiosplugin

import kmsdoc

DAY = 86400


class KmsCount(nagiosplugin.Resource):
    def __init__(self, path, forecast_days):
        self.path, self.forecast_days = path, forecast_days

    def probe(self):
        doc = kmsdoc.load(self.path)
        t_now = kmsdoc.now()
        yield nagiosplugin.Metric("age", kmsdoc.age_seconds(doc, t_now), "s", context="age")
        renewal = (doc["host"].get("renewal_interval_minutes") or 10080) * 60
        now_min = math.floor(t_now / 60) * 60
        today = int(now_min // DAY)
        for p in doc["products"]:
            app = (p.get("application_id") or "").lower()
            label = "Windows" if app == kmsdoc.WINDOWS else kmsdoc.OFFICE.get(app, p["name"])
            count = p.get("current_count")
            if count is None:
                count = -1
            cap = 50 if app == kmsdoc.WINDOWS else 10
            ctx = "windows" if app == kmsdoc.WINDOWS else "other"
            yield nagiosplugin.Metric(label, count, min=0, max=cap, context=ctx)
            if "clients" not in doc or doc["clients"] is None:
                continue
            active, drops = 0, {}
            for c in doc["clients"]:
                if (c.get("application_id") or "").lower() != app or not c.get("last_request_at"):
                    continue
                last = math.floor(kmsdoc.parse_time(c["last_request_at"]) / 60) * 60
                age = max(0, now_min - last)
                if age > 30 * DAY:
                    continue
                if age <= renewal + 2 * DAY:
                    active += 1
                else:
                    day = min(max(int((last + 30 * DAY) // DAY) - today, 0), 30)
                    drops[day] = drops.get(day, 0) + 1
            lapsing = sum(drops.values())
            excess = max(0, active + lapsing - count)
            floor_count = min(active, cap)
            crit = 25 if ctx == "windows" else 5
            forecast, dropped = count, 0
            for day in range(self.forecast_days + 1):
                dropped += drops.get(day, 0)
                fc = max(count - max(0, dropped - excess), floor_count)
                forecast = min(forecast, fc)
            yield nagiosplugin.Metric(label + " forecast", forecast,
                                      context="fc_" + ctx)


@nagiosplugin.guarded
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-u", "--url", required=True)
    ap.add_argument("--forecast-days", type=int, default=7)
    ap.add_argument("--max-age", type=int, default=3600)
    args = ap.parse_args()
    check = nagiosplugin.Check(
        KmsCount(args.url, args.forecast_days),
        nagiosplugin.ScalarContext("age", critical="%d" % args.max_age),
        nagiosplugin.ScalarContext("windows", "30:", "25:"),
        nagiosplugin.ScalarContext("other", "7:", "5:"),
        nagiosplugin.ScalarContext("fc_windows", "25:"),
        nagiosplugin.ScalarContext("fc_other", "5:"))
    check.name = "KMS COUNT"
    check.main()


if __name__ == "__main__":
    main()
