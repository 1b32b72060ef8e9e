"""Issue 14 items 2, 14 and 15 through the three document plugins: values
the schema forbids are UNKNOWN naming their JSON path (they once read as
"KMS running on port 70000" or "no last request time"), a UTF-8 BOM is
skipped and a UTF-16 document refused by name, from a file and over http,
and a year 0000 prints as 0000.

Owns: documents built per test from packaging/samples/healthy.json, broken
in one place, and the exact first line a user would see."""
import copy
import calendar
import json
import math
import os

import pytest

import harness
from harness import run, SAMPLES

PLUGINS = {"check_kms_count": "COUNT", "check_kms_service": "SERVICE",
           "check_kms_renewal": "RENEWAL"}

with open(os.path.join(SAMPLES, "healthy.json"), encoding="utf-8") as _f:
    HEALTHY = json.load(_f)


def mutate(path, value):
    d = copy.deepcopy(HEALTHY)
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


def write(tmp_path, data, name="doc.json"):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(p)


# ---- item 2: impossible values ------------------------------------------------

BAD_VALUES = [
    (("host", "port"), 70000, "$.host.port: 70000 is not a port number (1..65535)"),
    (("host", "port"), 65536, "$.host.port: 65536 is not a port number (1..65535)"),
    (("host", "port"), 0, "$.host.port: 0 is not a port number (1..65535)"),
    (("host", "port"), -1, "$.host.port: -1 is not a port number (1..65535)"),
    (("host", "port"), 4294967295, "$.host.port: 4294967295 is not a port number (1..65535)"),
    (("host", "activation_interval_minutes"), -1,
     "$.host.activation_interval_minutes: -1 is negative"),
    (("host", "renewal_interval_minutes"), -10080,
     "$.host.renewal_interval_minutes: -10080 is negative"),
    (("products", 0, "grace_remaining_minutes"), -5,
     "$.products[0].grace_remaining_minutes: -5 is negative"),
    (("products", 1, "grace_remaining_minutes"), -1,
     "$.products[1].grace_remaining_minutes: -1 is negative"),
    (("products", 0, "current_count"), -2,
     "$.products[0].current_count: -2 is negative (only -1, for no count, is allowed)"),
    (("products", 0, "current_count"), -9223372036854775808,
     "$.products[0].current_count: -9223372036854775808 is negative (only -1, for no "
     "count, is allowed)"),
    (("products", 0, "requests", "failed"), -1, "$.products[0].requests.failed: -1 is negative"),
    (("products", 1, "requests", "total"), -7, "$.products[1].requests.total: -7 is negative"),
    (("clients", 0, "state_expires_in_minutes"), -1,
     "$.clients[0].state_expires_in_minutes: -1 is negative"),
    (("clients", 5, "state_expires_in_minutes"), -43200,
     "$.clients[5].state_expires_in_minutes: -43200 is negative"),
    (("clients", 0, "required_count"), 0, "$.clients[0].required_count: 0 is below the minimum 1"),
    (("clients", 2, "required_count"), -1,
     "$.clients[2].required_count: -1 is below the minimum 1"),
    (("clients", 0, "license_state"), -1,
     "$.clients[0].license_state: -1 is not a license state (0..6)"),
    (("events", 0, "id"), -1, "$.events[0].id: -1 is not an event id (0..65535)"),
    (("events", 0, "id"), 4294967295, "$.events[0].id: 4294967295 is not an event id (0..65535)"),
    (("host", "name"), "", "$.host.name: empty"),
]


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
@pytest.mark.parametrize("path,value,message", BAD_VALUES)
def test_impossible_value_is_unknown_with_its_path(tmp_path, plugin, path, value, message):
    doc = write(tmp_path, mutate(path, value))
    res = run(plugin, "-u", doc)
    assert res.code == 3, res
    assert res.first == "KMS %s UNKNOWN - status document %s: %s" % (PLUGINS[plugin], doc,
                                                                      message), res
    assert res.perf == {}, res


@pytest.mark.parametrize("port", [1, 1688, 65535])
def test_ports_in_range_are_named(tmp_path, port):
    res = run("check_kms_service", "-u", write(tmp_path, mutate(("host", "port"), port)))
    assert res.code == 0, res
    assert res.first.startswith("KMS SERVICE OK - kms01.corp.example: KMS running, "), res
    assert "[OK] KMS enabled on kms01.corp.example, port %d" % port in res.long, res


def test_grace_state_without_expiry_is_not_a_minus_one(tmp_path):
    """state_expires_in_minutes -1 once read as absent: "no last request
    time or state expiry"; null still means that, -1 is refused."""
    d = mutate(("clients", 0, "license_state"), 2)
    d["clients"][0]["state_expires_in_minutes"] = None
    res = run("check_kms_renewal", "-v", "-u", write(tmp_path, d))
    assert res.code != 3, res
    assert any("no last request time or state expiry" in l for l in res.long), res
    d["clients"][0]["state_expires_in_minutes"] = -1
    path = write(tmp_path, d, "minus.json")
    res = run("check_kms_renewal", "-u", path)
    assert res.first == ("KMS RENEWAL UNKNOWN - status document %s: $.clients[0]."
                         "state_expires_in_minutes: -1 is negative" % path), res


# ---- item 14: byte-order marks and UTF-16 -----------------------------------

RAW = json.dumps(HEALTHY, indent=1).encode()
U16 = "is UTF-16; the exporter writes UTF-8"
UTF16_FORMS = {
    "le-bom": b"\xff\xfe" + RAW.decode().encode("utf-16-le"),
    "be-bom": b"\xfe\xff" + RAW.decode().encode("utf-16-be"),
    "le": RAW.decode().encode("utf-16-le"),
    "be": RAW.decode().encode("utf-16-be"),
    "python-utf16": RAW.decode().encode("utf-16"),
    "le-crlf-indent": ("\r\n  " + RAW.decode()).encode("utf-16-le"),
}


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_utf8_bom_is_skipped(tmp_path, plugin):
    plain = run(plugin, "-u", write(tmp_path, RAW, "plain.json"))
    for lead in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\xef\xbb\xbf  \n"):
        res = run(plugin, "-u", write(tmp_path, lead + RAW, "bom.json"))
        assert res.code == plain.code == 0, res
        assert res.stdout == plain.stdout, res


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
@pytest.mark.parametrize("form", sorted(UTF16_FORMS))
def test_utf16_document_is_refused_by_name(tmp_path, plugin, form):
    path = write(tmp_path, UTF16_FORMS[form], "u16.json")
    res = run(plugin, "-u", path)
    assert res.code == 3, res
    assert res.first == "KMS %s UNKNOWN - status document %s %s" % (PLUGINS[plugin], path, U16), res


def test_bom_and_utf16_over_http(nginx):
    nginx.put("enc/plain.json", RAW)
    nginx.put("enc/bom.json", b"\xef\xbb\xbf" + RAW)
    for form, data in UTF16_FORMS.items():
        nginx.put("enc/%s.json" % form, data)
    for plugin, aspect in PLUGINS.items():
        plain = run(plugin, "-u", nginx.http_url("/enc/plain.json"))
        assert plain.code == 0, plain
        for scheme in ("http", "https"):
            url = (nginx.http_url if scheme == "http" else nginx.https_url)("/enc/bom.json")
            res = run(plugin, "-u", url, "--cacert", nginx.ca)
            assert res.stdout == plain.stdout, res
        for form in UTF16_FORMS:
            url = nginx.https_url("/enc/%s.json" % form)
            res = run(plugin, "-u", url, "--cacert", nginx.ca)
            assert res.code == 3, res
            assert res.first == "KMS %s UNKNOWN - status document %s %s" % (aspect, url, U16), res


# ---- item 15: year 0000 -----------------------------------------------------

def fmt_duration(s):
    s = int(math.floor(abs(s)))
    d, h = s // 86400, s % 86400 // 3600
    return "%d d %d h" % (d, h) if h else "%d d" % d


def unix(text):
    """Seconds of an RFC 3339 UTC time, for any year 0000-9999."""
    y, mo, rest = int(text[:4]), int(text[5:7]), text[8:]
    d, hh, mm = int(rest[:2]), int(text[11:13]), int(text[14:16])
    # proleptic Gregorian days from 0000-03-01, as common/timeutil.c
    yy = y - (mo <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60


@pytest.mark.parametrize("generated", ["0000-01-01T00:00:00Z", "0000-02-29T12:30:00Z",
                                       "0001-01-01T00:00:00Z", "0099-12-31T23:59:00Z",
                                       "0999-06-15T08:00:00Z", "1899-12-31T23:59:00Z"])
def test_old_years_print_with_four_digits(tmp_path, generated):
    assert unix("1970-01-01T00:00:00Z") == 0
    assert unix(harness.SAMPLE_NOW) == calendar.timegm((2026, 11, 25, 14, 0, 0))
    res = run("check_kms_count", "-u", write(tmp_path, mutate(("generated_at",), generated)))
    age = fmt_duration(unix(harness.SAMPLE_NOW) - unix(generated))
    assert res.first == ("KMS COUNT UNKNOWN - status document is %s old (generated %s %s UTC, "
                         "max 1 h): is the exporter's scheduled task running?"
                         % (age, generated[:10], generated[11:16])), res


def test_year_9999_in_the_future(tmp_path):
    res = run("check_kms_service", "-u",
              write(tmp_path, mutate(("generated_at",), "9999-12-31T23:59:00Z")))
    age = fmt_duration(unix("9999-12-31T23:59:00Z") - unix(harness.SAMPLE_NOW))
    assert res.first == ("KMS SERVICE UNKNOWN - status document is dated %s in the future "
                         "(generated 9999-12-31 23:59 UTC, now 2026-11-25 14:00 UTC): check "
                         "the clocks" % age), res


# ---- item 13: names that would rearrange or break lines -------------------------

BREAKERS = ["\u0085", "\u2028", "\u2029", "\u202e", "\u202d", "\u200f", "\u200e",
            "\u2066", "\u2069", "\u061c", "\r\n", "\x1b", "|"]


@pytest.mark.parametrize("ch", BREAKERS, ids=[hex(ord(c[0])) for c in BREAKERS])
def test_host_and_client_names_cannot_break_lines(tmp_path, ch):
    """A host or client name from the document carrying a line or paragraph
    separator, NEL or a bidi control comes out as one space ('|' as '/'),
    on line 1 and in the long output, through every document plugin."""
    d = mutate(("host", "name"), "kms01%scorp.example" % ch)
    d["clients"][0]["name"] = "pc%sevil" % ch
    d["clients"][0]["license_state"] = 0   # listed by check_kms_renewal
    clean = "".join("/" if c == "|" else " " for c in ch)   # one space per character
    want_host = "kms01%scorp.example" % clean
    path = write(tmp_path, d)
    for plugin in PLUGINS:
        res = run(plugin, "-u", path, "--max-list", "50") if plugin == "check_kms_renewal" \
            else run(plugin, "-u", path)
        out = res.stdout
        for bad in ("\u0085", "\u2028", "\u2029", "\u202e", "\u202d", "\u200f", "\u200e",
                    "\u2066", "\u2069", "\u061c", "\r", "\x1b"):
            assert bad not in out, (plugin, res)
        # one '|' at most, the perfdata separator: the name's became '/'
        assert res.stdout.split("\n")[0].count("|") <= 1, (plugin, res)
        assert all("|" not in ln for ln in res.long), (plugin, res)
        if plugin == "check_kms_service":
            assert res.first.startswith("KMS SERVICE OK - %s: " % want_host), res
        if plugin == "check_kms_renewal":
            assert any(("pc%sevil" % clean) in ln for ln in res.long), res
