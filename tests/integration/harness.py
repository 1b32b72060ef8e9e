"""Integration-test harness shared by every plugin's tests.

- plugin(name): path of a built plugin (KMS_BUILD, default build/).
- run(name, *args, env=None, timeout=30): run a plugin, return a Result with
  exit code, first line, state word, summary, perfdata (parsed and checked
  against the output contract) and long output lines. KMS_WRAPPER (e.g. a
  valgrind command line) is put in front of every invocation.
- free_port(): a free loopback port.
- Peer: a real server process started for a test, waited on until it
  answers, and always stopped (use as a context manager or fixture).
"""
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("KMS_BUILD", os.path.join(ROOT, "build"))
WRAPPER = shlex.split(os.environ.get("KMS_WRAPPER", ""))
UNDER_VALGRIND = any("valgrind" in w for w in WRAPPER)
SAMPLES = os.path.join(ROOT, "packaging", "samples")
# the fixed "now" the sample documents are written against
SAMPLE_NOW = "2026-11-25T14:00:00Z"

STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
LINE1_MAX = 100  # characters before " | ": what a phone shows (common/text.h)

# 'label'=value[UOM];[warn];[crit];[min];[max]
_PERF_ITEM = re.compile(
    r"""('(?P<ql>[^'=]+)'|(?P<l>[^'=\s]+))=(?P<v>-?\d+(\.\d+)?)(?P<u>[a-zA-Z%]*)"""
    r"""(;(?P<w>[^;\s]*))?(;(?P<c>[^;\s]*))?(;(?P<mn>-?\d+(\.\d+)?)?)?(;(?P<mx>-?\d+(\.\d+)?)?)?(?=\s|$)""")
_UOMS = {"", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"}
_RANGE = re.compile(r"^@?(~|-?\d+(\.\d+)?)?(:(-?\d+(\.\d+)?)?)?$")


def plugin(name):
    return os.path.join(BUILD, name)


def sanitized(name):
    """True when the built plugin carries ASan: its shadow memory and
    quarantine make its RSS not the plugin's own."""
    try:
        with open(plugin(name), "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False

def tool(name):
    return os.path.join(BUILD, "tests", name)


def parse_perfdata(text):
    """Parse a perfdata string; raise AssertionError on anything Icinga 2 or
    Nagios would reject or misread."""
    items = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _PERF_ITEM.match(text, pos)
        assert m, "malformed perfdata at %r" % text[pos:]
        label = m.group("ql") or m.group("l")
        assert label not in items, "duplicate perfdata label %r" % label
        uom = m.group("u")
        assert uom in _UOMS, "bad UOM %r in %r" % (uom, m.group(0))
        for part in ("w", "c"):
            val = m.group(part)
            if val:
                assert _RANGE.match(val), "bad threshold %r" % val
        items[label] = {
            "value": float(m.group("v")), "uom": uom,
            "warn": m.group("w") or "", "crit": m.group("c") or "",
            "min": m.group("mn"), "max": m.group("mx"), "raw": m.group(0),
        }
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    # exponent notation, NaN and inf cannot match the value pattern above
    return items


class Result:
    def __init__(self, args, proc, elapsed):
        self.args = args
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        lines = self.stdout.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.lines = lines
        first = lines[0] if lines else ""
        head, _, perf = first.partition("|")
        # line1: the first line as printed, at most LINE1_MAX characters.
        # A summary too long for it is cut there with "..." and follows
        # whole on line 2; first and summary are then that whole text (what
        # the tests assert), and long starts after it.
        self.line1 = head.rstrip()
        self.perf_text = perf.strip()
        self.perf = parse_perfdata(self.perf_text) if self.perf_text else {}
        self.long = lines[1:]
        self.cut = False
        m = re.match(r"^(KMS \S+ (?:OK|WARNING|CRITICAL|UNKNOWN) - )(.*)$", self.line1)
        if m and m.group(2).endswith("...") and self.long and \
                self.long[0].startswith(m.group(2)[:-3]) and self.long[0] != m.group(2):
            self.cut = True
            self.first = m.group(1) + self.long[0]
            self.long = self.long[1:]
        else:
            self.first = self.line1
        m = re.match(r"^KMS (\S+) (OK|WARNING|CRITICAL|UNKNOWN)(?: - (.*))?$", self.line1)
        self.aspect = m.group(1) if m else None
        self.state = m.group(2) if m else None
        m = re.match(r"^KMS \S+ (?:OK|WARNING|CRITICAL|UNKNOWN) - (.*)$", self.first)
        self.summary = m.group(1) if m else None

    def __repr__(self):
        return "<exit %s after %.2fs: %r stderr=%r>" % (
            self.code, self.elapsed, self.stdout[:2000], self.stderr[-2000:])


def run(name, *args, env=None, timeout=60, check_contract=True, stdin=None, wrapper=None):
    """Run plugin `name` with args. Asserts the output contract unless told
    not to: exit code 0-3, first line "KMS X STATE - ..." whose state matches
    the exit code, under 8 KB, nothing printed on a crash."""
    full_env = dict(os.environ)
    full_env.setdefault("KMS_PLUGINS_NOW", SAMPLE_NOW)
    if env:
        full_env.update(env)
    cmd = (WRAPPER if wrapper is None else wrapper) + [plugin(name)] + [str(a) for a in args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env,
                          timeout=timeout, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    res = Result(cmd, proc, time.monotonic() - t0)
    if check_contract:
        assert res.code != 99, "valgrind reported errors: %r" % res
        assert res.code in STATES, "exit code %s: %r" % (res.code, res)
        assert res.state == STATES[res.code], "state word vs exit code: %r" % res
        assert len(res.stdout.encode()) <= 8192, "output over 8 KB: %r" % res
        # every first line, in every state, fits a phone
        assert len(res.line1) <= LINE1_MAX, "line 1 is %d characters: %r" % (len(res.line1), res)
        assert "AddressSanitizer" not in res.stderr and "runtime error" not in res.stderr, res
    return res


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET):
    """A port free for both TCP and UDP on loopback at the time of asking."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    for _ in range(50):
        s = socket.socket(family, kind)
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.socket(family, socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM)
        try:
            other.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            other.close()
    raise RuntimeError("no free port")


def wait_tcp(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class ThreadedServer:
    """A scripted TCP peer on a free loopback port, one thread a connection:
    subclasses write _serve(conn). start() returns self; stop() always
    ends every thread it started."""

    def __init__(self):
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.threads = []

    def _serve(self, conn):
        raise NotImplementedError

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(3)
        self.sock.close()


class Peer:
    """A server process for a test. ready() is a callable that returns True
    once the peer answers; stop() is always called (context manager)."""

    def __init__(self, cmd, ready, name, cwd=None, env=None, log=None):
        self.cmd, self.ready, self.name = cmd, ready, name
        self.cwd, self.env, self.log = cwd, env, log
        self.proc = None

    def start(self, timeout=15.0):
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s before it was ready (%s)"
                                   % (self.name, self.proc.returncode, self.log))
            if self.ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s not ready after %.0f s" % (self.name, timeout))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- the three output formats of one result (issue 16) -----------------------

_OUTPUT_SCHEMA = os.path.join(ROOT, "packaging", "schema", "check-output.schema.json")
_output_validator = None


def output_validator():
    """The JSON Schema validator of --output-format json / mp-test-json."""
    global _output_validator
    if _output_validator is None:
        import json
        import jsonschema
        with open(_OUTPUT_SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        _output_validator = jsonschema.Draft202012Validator(schema)
    return _output_validator


def _bound(b):
    return {"-inf": float("-inf"), "inf": float("inf")}.get(b, b)


def range_violated(rng, value):
    """Nagios range semantics of a JSON warn/crit object."""
    inside = _bound(rng["start"]) <= value <= _bound(rng["end"])
    return inside if rng["alert_on_inside"] else not inside


_RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}


def metric_verdict(pd):
    if "crit" in pd and range_violated(pd["crit"], pd["value"]):
        return "CRITICAL"
    if "warn" in pd and range_violated(pd["warn"], pd["value"]):
        return "WARNING"
    return "OK"


def walk_checks(checks):
    """Every subcheck of a JSON tree, depth first, parents before children."""
    for sc in checks:
        yield sc
        yield from walk_checks(sc.get("checks", []))


def assert_invariant(doc):
    """No state hides a metric: a subcheck is at least as bad as each of its
    metrics' own warn/crit verdicts and as each child; the check is the worst
    of its top-level subchecks. So an OK check has no metric over its warn or
    crit, a metric over crit means CRITICAL, over warn at least WARNING."""
    worst = "OK"
    for sc in doc["checks"]:
        if _RANK[sc["state"]] > _RANK[worst]:
            worst = sc["state"]
    if doc["checks"]:
        assert doc["state"] == worst, "check state %s, worst subcheck %s: %r" % (
            doc["state"], worst, doc)
    for sc in walk_checks(doc["checks"]):
        for pd in sc.get("perfdata", []):
            v = metric_verdict(pd)
            assert _RANK[sc["state"]] >= _RANK[v], \
                "metric %r is %s by its own thresholds under a %s subcheck: %r" % (
                    pd["label"], v, sc["state"], doc)
            assert _RANK[doc["state"]] >= _RANK[v], (pd, doc)
        for kid in sc.get("checks", []):
            assert _RANK[sc["state"]] >= _RANK[kid["state"]], (sc, doc)


def json_labels(doc):
    return [pd["label"] for sc in walk_checks(doc["checks"]) for pd in sc.get("perfdata", [])]


def run_formats(name, *args, env=None, timeout=60, canon=None):
    """Run one check three times, as text, json and mp-test-json, and assert
    they agree: the state (json's exit code is text's, mp-test-json exits
    0), line 1's summary, every perfdata label and value, in order; both
    documents validate against packaging/schema/check-output.schema.json
    and satisfy assert_invariant. canon, when given, maps each run's Result
    to the one compared: for a check that measures (times differ from run
    to run), it sets the measured values to those of the text run. Returns
    (text Result, json document)."""
    import json
    canon = canon or (lambda r: r)
    text = canon(run(name, *args, env=env, timeout=timeout))
    docs = []
    for fmt in ("json", "mp-test-json"):
        # Under valgrind (make valgrind) only the text run is wrapped: the
        # JSON renderer's memory is checked by test_result under valgrind,
        # fuzz_render and the ASan pass of every run here, and wrapping all
        # three runs tripled the valgrind pass for no new finding.
        res = canon(run(name, "--output-format", fmt, *args, env=env, timeout=timeout,
                        check_contract=False, wrapper=[] if UNDER_VALGRIND else None))
        assert res.code != 99, "valgrind reported errors: %r" % res
        assert "AddressSanitizer" not in res.stderr and "runtime error" not in res.stderr, res
        assert len(res.lines) == 1, "%s is one line: %r" % (fmt, res)
        doc = json.loads(res.stdout)
        errs = sorted(e.message for e in output_validator().iter_errors(doc))
        assert not errs, (errs, doc)
        assert res.code == (0 if fmt == "mp-test-json" else text.code), (fmt, res, text)
        docs.append(doc)
    assert docs[0] == docs[1], "json and mp-test-json print the same document"
    doc = docs[0]
    assert doc["state"] == text.state, (doc, text)
    head = re.match(r"^KMS \S+ \S+(?: - (.*))?$", text.line1)
    assert doc["summary"] == (head.group(1) or ""), (doc["summary"], text.line1)
    assert json_labels(doc) == list(text.perf), (json_labels(doc), text.perf_text)
    for sc in walk_checks(doc["checks"]):
        for pd in sc.get("perfdata", []):
            assert abs(text.perf[pd["label"]]["value"] - pd["value"]) <= 1e-9 * max(1, abs(pd["value"])), \
                (pd, text.perf[pd["label"]])
    assert_invariant(doc)
    return text, doc
