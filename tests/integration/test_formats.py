"""One result, three renderings; no state hides a metric (issue 16).

Every document plugin (count, renewal, service, clients) over every sample and a
range of generated documents, with default and tightened thresholds, run as
text, json and mp-test-json through harness.run_formats: the three agree
(state, exit code, line 1's summary, every perfdata label and value), both
JSON documents validate against packaging/schema/check-output.schema.json,
and the invariant holds: when a check says OK no metric violates its own
warn/crit, a metric over crit means CRITICAL, over warn at least WARNING,
a parent is never better than a child.  The network plugins (host, dns) run
the same assertions against their real peers in test_host.py and
test_dns.py."""
import os
import subprocess
import sys

import pytest

from harness import SAMPLES, run, run_formats

# every bundled sample, so a new one is swept without editing this list
SAMPLE_NAMES = sorted(f[:-len(".json")] for f in os.listdir(SAMPLES) if f.endswith(".json"))
GENERATE = os.path.join(SAMPLES, "generate.py")

# Generated fleets: small and large, each profile, lapsing clients early and
# late in the 30-day window.
GENERATED = [
    ["--clients", "1", "--seed", "2"],
    ["--clients", "24", "--seed", "3"],
    ["--clients", "25", "--seed", "4", "--profile", "windows-only"],
    ["--clients", "200", "--seed", "5", "--profile", "servers-only"],
    ["--clients", "1000", "--seed", "6"],
    ["--clients", "60", "--lapsing", "40", "--lapse-day", "1"],
    ["--clients", "60", "--lapsing", "40", "--lapse-day", "29"],
]

# Option sets per plugin: defaults, then thresholds that every state can
# cross.
OPTIONS = {
    "check_kms_count": [[], ["-w", "40:", "-c", "30:"], ["-w", "~:0", "-c", "~:1"]],
    "check_kms_renewal": [[], ["-w", "0", "-c", "1"], ["-w", "1000000", "-c", "1000000"],
                          ["--days", "1"], ["--days", "180"]],
    "check_kms_service": [[], ["--idle", "1m"], ["-w", "0", "-c", "0"]],
    "check_kms_clients": [[], ["--domain", "corp.example"], ["--burst", "0", "-w", "100"],
                          ["-w", "~:0", "-c", "~:1", "--domain", "example"],
                          ["--domain", "other.example", "--foreign-critical", "5"]],
}
PLUGINS = sorted(OPTIONS)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    d = tmp_path_factory.mktemp("generated")
    paths = []
    for i, args in enumerate(GENERATED):
        p = d / ("gen%d.json" % i)
        subprocess.run([sys.executable, GENERATE, "--out", str(p), *args], check=True,
                       timeout=120)
        paths.append(str(p))
    return paths


@pytest.mark.parametrize("name", PLUGINS)
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_samples_agree_in_every_format(name, sample):
    path = os.path.join(SAMPLES, sample + ".json")
    for opts in OPTIONS[name]:
        run_formats(name, "-u", path, *opts)


@pytest.mark.parametrize("name", PLUGINS)
def test_generated_documents_agree_in_every_format(name, generated):
    seen = set()
    for path in generated:
        for opts in OPTIONS[name]:
            text, doc = run_formats(name, "-u", path, *opts)
            seen.add(doc["state"])
    # the sweep is worth something only if it reaches more than one state
    assert len(seen) >= 2, (name, seen)


@pytest.mark.parametrize("name", PLUGINS)
def test_unknown_format_is_unknown(name):
    res = run(name, "--output-format", "yaml", "-u", os.path.join(SAMPLES, "healthy.json"))
    assert res.code == 3
    assert res.line1 == ("KMS %s UNKNOWN - unknown --output-format 'yaml' "
                         "(text, json or mp-test-json)" % name[len("check_kms_"):].upper())


@pytest.mark.parametrize("name", PLUGINS)
def test_die_prints_the_document_shape(name):
    import json
    for fmt, code in (("json", 3), ("mp-test-json", 0)):
        res = run(name, "--output-format", fmt, "-u", "/nonexistent/doc.json",
                  check_contract=False)
        assert res.code == code, res
        doc = json.loads(res.stdout)
        assert doc == {"state": "UNKNOWN", "checks": [],
                       "summary": "cannot open /nonexistent/doc.json: No such file or directory"}
