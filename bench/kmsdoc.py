"""Shared helpers of the two Python comparison checks (bench/): what an admin
would write with nagiosplugin and the standard json module - load the whole
document, then loop over it."""
import datetime
import json
import os

WINDOWS = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE = {"0ff1ce15-a989-479d-af46-f275c6370663": "Office 2013+",
          "59a52881-a989-479d-af46-f275c6370663": "Office 2010"}


def parse_time(text):
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def now():
    fixed = os.environ.get("KMS_PLUGINS_NOW")
    if fixed:
        return parse_time(fixed)
    return datetime.datetime.now(datetime.timezone.utc).timestamp()


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "kms-status" or doc.get("version") != 1:
        raise ValueError("not a kms-status v1 document")
    return doc


def age_seconds(doc, t_now):
    return t_now - parse_time(doc["generated_at"])
