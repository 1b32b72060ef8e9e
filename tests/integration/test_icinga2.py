"""Icinga 2 runs the packaged CheckCommands (issue 9).

Debian's icinga2 loads the ITL, plugins-contrib and
packaging/icinga2/kms-plugins.conf from a private configuration (its own
ConfigDir, DataDir, LogDir ... under a temporary directory, PluginContribDir
pointing at the build directory) and
- validates it (`icinga2 daemon -C`);
- runs as a daemon with the API feature (TLS certificates made here with
  openssl, an ApiUser with a random password on a free loopback port), checks
  every plugin each second against the suite's real peers: the impacket KMS
  RPC server, dnsmasq with SRV records, nginx serving packaging/samples;
- the test reads every service back from GET /v1/objects/services and
  asserts its state, and has Icinga's own parser (parse_performance_data
  through /v1/console/execute-script) read every perfdata item back with
  the value the plugin printed. Icinga's log must not mention invalid
  perfdata.

The daemon is always stopped (process group SIGTERM, then SIGKILL).
KMS_PLUGINS_NOW is put in the daemon's environment, which Icinga passes on to
the plugins, so the samples are fresh."""
import base64
import grp
import json
import os
import pwd
import re
import secrets
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import harness
from fleetdocs import fleet_doc
from peers.dnsmasq import Dnsmasq
from peers.rpc import RpcServer, KMS_IFACE

ICINGA2 = "/usr/lib/x86_64-linux-gnu/icinga2/sbin/icinga2"
CONTRIB_D = "/usr/share/icinga2/include/plugins-contrib.d"
CONF = os.path.join(harness.ROOT, "packaging", "icinga2", "kms-plugins.conf")
EXAMPLE = os.path.join(harness.ROOT, "packaging", "icinga2", "example.conf")
NODE = "kms-test-node"

pytestmark = pytest.mark.skipif(not os.path.exists(ICINGA2),
                                reason="Debian's icinga2-bin is not installed (make deps)")

# service name -> (command, service vars, expected state, {perf label: value})
# value None: the label must be there, any value.
SERVICES = {
    "host-rpc": ("kms_host", {"kms_host_port": "$rpc_port$"}, 0,
                 {"time": None, "connect": None, "bind": None}),
    "host-closed": ("kms_host", {"kms_host_port": "$closed_port$", "kms_timeout": 3}, 2, {}),
    # -D instead of -H: the SRV record names the impacket server's port
    "host-domain": ("kms_host", {"kms_host_domain": "corp.example",
                                 "kms_host_dns_server": "$dns_server$"}, 0,
                    {"hosts_ok": 1}),
    "dns": ("kms_dns", {"kms_dns_expect": ["kms01.corp.example"], "kms_dns_port": "$rpc_port$",
                        "kms_dns_probe": True}, 0,
            {"records": 1, "expected_found": 1, "rogue": 0, "time": None}),
    "dns-rogue": ("kms_dns", {"kms_dns_expect": ["kms02.corp.example"],
                              "kms_dns_port": "$rpc_port$"}, 2,
                  {"records": 1, "expected_found": 0, "rogue": 1}),
    "count-healthy": ("kms_count", {"kms_status_url": "$doc_base$/healthy.json"}, 0,
                      {"Windows": 31, "Office 2013+": None, "Windows lapsing": 0}),
    "count-below": ("kms_count", {"kms_status_url": "$doc_base$/below-threshold.json"}, 2,
                    {"Windows": 18, "Windows active": 14, "Windows lapsing": 4}),
    "count-https": ("kms_count", {"kms_status_url": "$doc_https$/healthy.json",
                                  "kms_cacert": "$test_ca$"}, 0, {"Windows": 31}),
    "count-404": ("kms_count", {"kms_status_url": "$doc_base$/missing.json"}, 3, {}),
    "renewal-healthy": ("kms_renewal", {"kms_status_url": "$doc_base$/healthy.json"}, 0,
                        {"expiring": 0, "expired": 0, "known": 43}),
    "renewal-expiring": ("kms_renewal", {"kms_status_url": "$doc_base$/expiring.json"}, 2,
                         {"expiring": 15, "expired": 4, "known": 34, "failing": 15}),
    "renewal-warn-only": ("kms_renewal", {"kms_status_url": "$doc_base$/below-threshold.json",
                                          "kms_renewal_warning": 4, "kms_renewal_critical": 10},
                          1, {"expiring": 5}),
    "service-healthy": ("kms_service", {"kms_status_url": "$doc_base$/healthy.json"}, 0,
                        {"failing": 0, "idle": 840, "Windows idle": 840,
                         "Office 2013+ idle": 2820, "Windows requests total": 5120}),
    # the newest Office request is 47 min old, Windows 14 min: over 40 min
    "service-product-idle": ("kms_service", {"kms_status_url": "$doc_base$/healthy.json",
                                             "kms_service_product_idle": 40}, 1,
                             {"Windows idle": 840, "Office 2013+ idle": 2820}),
    "service-dns-failure": ("kms_service", {"kms_status_url": "$doc_base$/dns-failure.json"}, 1,
                            {"failing": 0}),
    "service-below": ("kms_service", {"kms_status_url": "$doc_base$/below-threshold.json",
                                      "kms_service_warning": 5, "kms_service_critical": 9,
                                      "kms_service_idle": 0}, 1, {"failing": 8}),
    "service-not-kms": ("kms_service", {"kms_status_url": "$doc_base$/not-kms.json"}, 2, {}),
    # kms_extra_opts renders "--extra-opts SECTION@FILE" as two words; the
    # ini file's critical=40: makes the healthy count of 31 CRITICAL
    "count-extra-opts": ("kms_count", {"kms_status_url": "$doc_base$/healthy.json",
                                       "kms_extra_opts": "kms-test@$extra_ini$"}, 2,
                         {"Windows": 31}),
    # -v lines come after the status line in what Icinga stores
    "renewal-verbose": ("kms_renewal", {"kms_status_url": "$doc_base$/healthy.json",
                                        "kms_verbose": True}, 0, {"known": 43}),
    # an array of URLs: one service over the fleet's documents, -u repeated
    "count-fleet": ("kms_count", {"kms_status_url": ["$doc_base$/healthy.json",
                                                     "$doc_base$/kms02.json"]}, 0,
                    {"kms01 Windows": 31, "kms02 Windows": 31}),
    "service-fleet": ("kms_service", {"kms_status_url": ["$doc_base$/healthy.json",
                                                         "$doc_base$/kms02.json"],
                                      "kms_service_idle_per_host": True}, 0,
                      {"kms01 idle": 840, "kms02 idle": 840, "kms02 failing": 0}),
    "host-verbose": ("kms_host", {"kms_host_port": "$rpc_port$", "kms_verbose": True}, 0,
                     {"time": None}),
    # kms_clients_domain is an array: --domain repeated
    "clients-cloned": ("kms_clients", {"kms_status_url": "$doc_base$/cloned.json",
                                       "kms_clients_domain": ["corp.example", "lab.example"]},
                       2, {"machines_sharing": 17, "cmids_shared": 2, "foreign": 1}),
    "clients-healthy": ("kms_clients", {"kms_status_url": "$doc_base$/healthy.json",
                                        "kms_clients_burst": 0}, 0, {"clients": 43}),
}


def icinga_value(v):
    if isinstance(v, list):
        return "[ " + ", ".join(icinga_value(x) for x in v) + " ]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def make_certs(certs):
    """CA and node certificate (CN = NodeName, SAN 127.0.0.1) where the
    ApiListener looks for them: DataDir/certs/."""
    os.makedirs(certs)

    def ossl(*args):
        subprocess.run(["openssl"] + list(args), cwd=certs, check=True,
                       capture_output=True)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=kms-test Icinga CA", "-keyout", "ca.key", "-out", "ca.crt",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + NODE,
         "-keyout", NODE + ".key", "-out", NODE + ".csr")
    with open(os.path.join(certs, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:%s\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth,clientAuth\n" % NODE)
    ossl("x509", "-req", "-in", NODE + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", NODE + ".crt")
    return os.path.join(certs, "ca.crt")


class Icinga:
    """A private Icinga 2 instance under tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.dirs = {k: os.path.join(tmp, k.lower()) for k in
                     ("ConfigDir", "DataDir", "LogDir", "CacheDir", "SpoolDir",
                      "InitRunDir", "ZonesDir")}
        for d in self.dirs.values():
            os.makedirs(d, exist_ok=True)
        self.conf = os.path.join(self.dirs["ConfigDir"], "icinga2.conf")
        self.log = os.path.join(self.dirs["LogDir"], "icinga2.log")
        self.out = os.path.join(tmp, "daemon.out")
        self.port = harness.free_port()
        self.password = "pw-" + secrets.token_hex(12)
        self.proc = None

    def defines(self):
        args = ["-D%s=%s" % (k, v) for k, v in self.dirs.items()]
        args += ["-DRunAsUser=" + pwd.getpwuid(os.getuid()).pw_name,
                 "-DRunAsGroup=" + grp.getgrgid(os.getgid()).gr_name]
        return args

    def cmd(self, *extra):
        return [ICINGA2, "daemon", "-c", self.conf] + self.defines() + list(extra)

    def write_config(self, body, api=True):
        # plugins-contrib.d file by file, leaving out an installed copy of
        # our own definitions (the package puts kms-plugins.conf there)
        contrib = "\n".join('include "%s"' % os.path.join(CONTRIB_D, f)
                            for f in sorted(os.listdir(CONTRIB_D))
                            if f.endswith(".conf") and f != "kms-plugins.conf")
        with open(self.conf, "w") as f:
            f.write("""
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = %(build)s
const NodeName = %(node)s
const ZoneName = %(node)s
const TicketSalt = ""
include <itl>
include <plugins>
%(contrib)s
include %(kms)s

object FileLogger "test-log" { path = %(log)s; severity = "information" }
""" % {"build": json.dumps(harness.BUILD), "node": json.dumps(NODE),
       "contrib": contrib, "kms": json.dumps(CONF), "log": json.dumps(self.log)})
            if api:
                f.write("""
object CheckerComponent "checker" { }
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = %(port)d
  accept_config = false
  accept_commands = false
}
object ApiUser "test" { password = %(pw)s; permissions = [ "*" ] }
""" % {"port": self.port, "pw": json.dumps(self.password)})
            f.write(body)

    def validate(self):
        return subprocess.run(self.cmd("-C"), capture_output=True, text=True, timeout=60)

    def start(self, env):
        out = open(self.out, "ab")
        self.proc = subprocess.Popen(self.cmd(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        out.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass

    def api(self, path, body=None, method=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path),
                                     method=method or ("POST" if body is not None else "GET"))
        req.add_header("Accept", "application/json")
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("test:" + self.password).encode()).decode())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, data=data, context=ctx, timeout=10) as r:
            return json.loads(r.read().decode())

    def read_log(self):
        text = ""
        for p in (self.log, self.out):
            try:
                with open(p, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text


def substitute(v, macros):
    """v with the test's $macros$ filled in (in each string of a list too)."""
    if isinstance(v, list):
        return [substitute(x, macros) for x in v]
    if isinstance(v, str):
        for m, real in macros.items():
            v = v.replace("$%s$" % m, str(real))
    return v


def service_config(macros):
    """Host kms01 with the test's addresses, one Service object per entry of
    SERVICES, every one checked each second, hard on the first result."""
    out = ['object Host "kms01" {',
           '  check_command = "dummy"',
           '  address = "127.0.0.1"',
           '  vars.kms_domain = "corp.example"',
           '  vars.kms_dns_server = %s' % json.dumps(macros["dns_server"]),
           '  enable_active_checks = false',
           '}']
    for name, (command, svars, _, _) in sorted(SERVICES.items()):
        out += ['object Service %s {' % json.dumps(name),
                '  host_name = "kms01"',
                '  check_command = %s' % json.dumps(command),
                '  check_interval = 1s',
                '  retry_interval = 1s',
                '  max_check_attempts = 1']
        for k, v in svars.items():
            v = substitute(v, macros)
            out.append('  vars.%s = %s' % (k, icinga_value(v)))
        out.append('}')
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def icinga_run(nginx):
    """Starts the peers and the daemon, waits until every service has a check
    result, yields (Icinga, {service name: attrs}); always stops everything."""
    for name in ("healthy", "below-threshold", "expiring", "dns-failure", "not-kms", "cloned"):
        nginx.put_sample(name + ".json", "samples/%s.json" % name)
    nginx.put("samples/kms02.json", json.dumps(fleet_doc("healthy.json", "kms02.corp.example")))
    tmp = tempfile.mkdtemp(prefix="kms-icinga2-")
    rpc = RpcServer(KMS_IFACE, "127.0.0.1", tmp)
    dns = Dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", rpc.port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    ic = Icinga(os.path.join(tmp, "icinga2"))
    try:
        rpc.peer.start()
        dns.start()
        ic.ca = make_certs(os.path.join(ic.dirs["DataDir"], "certs"))
        extra_ini = os.path.join(tmp, "kms-extra.ini")
        with open(extra_ini, "w") as f:
            f.write("[kms-test]\ncritical=40:\nwarning=45:\n")
        macros = {"rpc_port": rpc.port, "closed_port": harness.free_port(),
                  "extra_ini": extra_ini,
                  "doc_base": nginx.http_url("/samples"),
                  "doc_https": nginx.https_url("/samples"),
                  "test_ca": nginx.ca, "dns_server": dns.server}
        ic.write_config(service_config(macros))
        v = ic.validate()
        assert v.returncode == 0, "icinga2 daemon -C failed:\n" + v.stdout + v.stderr

        env = dict(os.environ)
        env["KMS_PLUGINS_NOW"] = harness.SAMPLE_NOW
        ic.start(env)
        deadline = time.monotonic() + 45
        results = {}
        while time.monotonic() < deadline:
            assert ic.proc.poll() is None, "icinga2 exited:\n" + ic.read_log()[-4000:]
            try:
                data = ic.api("/v1/objects/services?attrs=state&attrs=last_check_result"
                              "&attrs=state_type")
            except (OSError, urllib.error.URLError, ssl.SSLError):
                time.sleep(0.3)
                continue
            results = {r["name"].split("!", 1)[1]: r["attrs"] for r in data["results"]}
            if len(results) == len(SERVICES) and all(
                    a.get("last_check_result") for a in results.values()):
                break
            time.sleep(0.3)
        missing = [n for n in SERVICES if not (results.get(n) or {}).get("last_check_result")]
        assert not missing, "no check result for %s after 45 s:\n%s" % (
            missing, ic.read_log()[-4000:])
        yield ic, results
    finally:
        ic.stop()
        dns.stop()
        rpc.peer.stop()


def test_validate_packaged_definitions_alone(tmp_path):
    """icinga2 daemon -C on the ITL + plugins-contrib + kms-plugins.conf and
    the example file: names do not collide with the ITL and every command
    and apply rule compiles."""
    ic = Icinga(str(tmp_path))
    with open(EXAMPLE) as f:
        example = f.read()
    ic.write_config(example + """
object Host "kms01.corp.example" {
  import "kms-host"
  address = "127.0.0.1"
  vars.kms_status_url = "https://kms01.corp.example/kms-status.json"
  vars.kms_domain = "corp.example"
}
object Host "kms-fleet" {
  check_command = "dummy"
  vars.kms_fleet_urls = [ "https://kms01.corp.example/kms-status.json",
                          "https://kms02.corp.example/kms-status.json" ]
}
""", api=False)
    v = ic.validate()
    assert v.returncode == 0, v.stdout + v.stderr
    out = v.stdout + v.stderr
    # the six commands of the example on the KMS host, the four fleet
    # services on the fleet host, nothing else
    m = re.search(r"Instantiated (\d+) Services?", out)
    assert m and int(m.group(1)) == 10, out


def service_ids():
    return sorted(SERVICES)


@pytest.mark.parametrize("name", service_ids())
def test_state_and_perfdata(icinga_run, name):
    ic, results = icinga_run
    command, _, want_state, want_perf = SERVICES[name]
    plugin = "check_kms_" + command[len("kms_"):]
    if not os.path.exists(harness.plugin(plugin)):
        pytest.skip("%s is not built yet" % plugin)
    cr = results[name]["last_check_result"]
    assert cr["output"].startswith("KMS "), cr
    argv = cr["command"]
    assert argv[0] == harness.plugin(plugin), argv
    if name == "host-rpc":   # -H defaults to the host's address
        assert argv[argv.index("-H") + 1] == "127.0.0.1", argv
    if command == "kms_host":   # no time thresholds unless asked for
        assert "-w" not in argv and "-c" not in argv, argv
    if name == "count-extra-opts":
        i = argv.index("--extra-opts")
        assert argv[i + 1].startswith("kms-test@") and argv[i + 1].endswith("kms-extra.ini"), argv
        assert cr["output"].startswith("KMS COUNT CRITICAL - "), cr
    lines = cr["output"].split("\n")
    assert re.match(r"^KMS [A-Z]+ (OK|WARNING|CRITICAL|UNKNOWN)( - |$)", lines[0]), cr
    if name.endswith("-verbose"):
        assert "-v" in argv, argv
    if name == "renewal-verbose":
        assert lines[0].startswith("KMS RENEWAL OK - "), cr
        assert any(re.match(r"^43 clients: 43 known", ln) for ln in lines[1:]), cr
    if name == "host-verbose":
        assert lines[0].startswith("KMS HOST OK - 127.0.0.1:"), cr
    if name == "clients-cloned":
        assert [argv[i + 1] for i, a in enumerate(argv) if a == "--domain"] == \
            ["corp.example", "lab.example"], argv
    if name == "service-fleet":
        assert "--idle-per-host" in argv, argv
    if name == "service-product-idle":
        assert argv[argv.index("--product-idle") + 1] == "40", argv
        assert lines[0].rstrip() == ("KMS SERVICE WARNING - Office 2013+ idle 47 min while Windows "
                                     "clients still renew (limit 40 min)"), cr
    if name.endswith("-fleet"):
        urls = [argv[i + 1] for i, a in enumerate(argv) if a == "-u"]
        assert [u.rsplit("/", 1)[1] for u in urls] == ["healthy.json", "kms02.json"], argv
    if name == "host-domain":   # -D replaces -H
        assert "-H" not in argv and argv[argv.index("-D") + 1] == "corp.example", argv
    if name == "dns":
        assert "--probe" in argv and argv.count("-e") == 1, argv
    if name == "dns-rogue":
        assert "--probe" not in argv, argv
    assert int(results[name]["state"]) == want_state, cr
    assert cr["exit_status"] == want_state, cr
    perf = cr.get("performance_data") or []
    if want_perf:
        assert perf, "no performance data parsed for %s: %r" % (name, cr)
    if not perf:
        return
    # Icinga's own parser: every item parses, values as the plugin wrote them
    script = "[ %s ].map(p => parse_performance_data(p))" % ", ".join(
        json.dumps(p) for p in perf)
    res = ic.api("/v1/console/execute-script",
                 {"command": script, "session": "kms-test"})["results"][0]
    assert res["code"] == 200, res
    parsed = {p["label"]: p for p in res["result"]}
    assert len(parsed) == len(perf), (perf, parsed)
    for label, value in want_perf.items():
        assert label in parsed, (label, parsed)
        if value is not None:
            assert parsed[label]["value"] == value, (label, parsed[label])
        else:
            assert parsed[label]["value"] >= 0, parsed[label]
    for label in ("time", "connect", "bind"):
        if label in parsed:
            assert 0 <= parsed[label]["value"] < 30, parsed[label]
    # each value as the plugin wrote it (the harness's own parser of the contract)
    ours = harness.parse_perfdata(" ".join(perf))
    assert sorted(ours) == sorted(parsed), (ours, parsed)
    for label, item in ours.items():
        assert parsed[label]["value"] == pytest.approx(item["value"]), (label, item, parsed[label])
    if "time" in parsed:
        assert parsed["time"]["unit"] == "seconds", parsed["time"]


def test_no_invalid_perfdata_logged(icinga_run):
    ic, _ = icinga_run
    log = ic.read_log()
    assert "Ignoring invalid perfdata" not in log
    assert "invalid perfdata" not in log.lower()
    assert "critical/" not in log, log[-4000:]
