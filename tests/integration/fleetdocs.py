"""Documents of a KMS fleet for the fleet tests (issue 17): one document per
KMS host, made from a bundled sample with its host renamed, served over
https by the nginx peer.

    docs = {"kms01.corp.example": fleet_doc("healthy.json", "kms01.corp.example"),
            "kms02.corp.example": fleet_doc("healthy.json", "kms02.corp.example")}
    urls = serve_fleet(nginx, "count/moved", docs)   # {name: https URL}
    run(PLUGIN, *url_args(urls.values()), "--cacert", nginx.ca)
"""
import copy
import json
import os

import harness

_cache = {}


def fleet_doc(sample, name):
    """A deep copy of packaging/samples/<sample> (a dict) with host.name
    set to name; change it as the test needs."""
    if sample not in _cache:
        with open(os.path.join(harness.SAMPLES, sample), encoding="utf-8") as f:
            _cache[sample] = json.load(f)
    doc = copy.deepcopy(_cache[sample])
    doc["host"]["name"] = name
    return doc


def product(doc, family):
    """The product of doc whose application id is Windows' ("windows") or
    Office 2013+'s ("office")."""
    want = {"windows": "55c92734-d682-4d71-983e-d6ec3f16059f",
            "office": "0ff1ce15-a989-479d-af46-f275c6370663"}[family]
    return next(p for p in doc["products"] if p.get("application_id") == want)


def client(doc, name):
    """The client record of doc named name."""
    return next(c for c in doc["clients"] if c.get("name") == name)


def serve_fleet(nginx, folder, docs):
    """Serve each document (a dict, or bytes/str as they are) at
    /<folder>/<name>.json; returns {name: https URL} in the order given."""
    urls = {}
    for name, doc in docs.items():
        data = doc if isinstance(doc, (bytes, str)) else json.dumps(doc)
        path = "/%s/%s.json" % (folder.strip("/"), name)
        nginx.put(path, data)
        urls[name] = nginx.https_url(path)
    return urls


def url_args(urls):
    """["-u", url1, "-u", url2, ...]"""
    out = []
    for u in urls:
        out += ["-u", u]
    return out


# What line 1 says of kms02 when its document was generated 2026-11-25 11:00
# UTC, 3 h before the sample time, under each --stale-state
# (pytest.mark.parametrize("args,state", STALE_CASES, ids=STALE_IDS)).
STALE_WHY = ("kms02: status document is 3 h old (generated 2026-11-25 11:00 UTC, max 1 h): "
             "is the exporter's scheduled task running?")
STALE_CASES = [((), "UNKNOWN"), (("--stale-state", "WARNING"), "WARNING"),
               (("--stale-state", "CRITICAL"), "CRITICAL")]
STALE_IDS = ["default", "warning", "critical"]
