"""The graphs an admin looks at, end to end on loopback (issue 20).

Static part (always runs): packaging/icingaweb2/kms-plugins.ini follows the
rules of Icinga Web 2's graphite module (icingaweb2-module-graphite 1.2,
library/Graphite/Graphing/Templates.php): section names, one check_command
per template naming a kms_* CheckCommand of packaging/icinga2/kms-plugins.conf,
every metrics filter starting with $service_name_template$, every function
using $metric$; every CheckCommand has a template; the Grafana dashboard
reads the same paths.

Pipeline (module fixture): a carbon-cache (Debian graphite-carbon) with its
own carbon.conf and whisper directory, graphite-web's render API (Debian
graphite-web, its Django WSGI app under wsgiref with its own settings and
sqlite database) reading carbon's cache, and an Icinga 2 (icinga2-bin, as
test_icinga2.py starts it) with the GraphiteWriter (enable_send_thresholds)
and the shipped CheckCommands checking every second:
kms_count/renewal/service/clients on a status document the test rewrites in
three stages (the Windows count falls 40, 30, 20 while clients expire and
lose activation), a fleet kms_service over two documents, kms_host against
the impacket KMS RPC peer (-H and -D through dnsmasq), kms_dns against
dnsmasq. Every template's targets are then rendered by graphite-web as JSON
(the data points, in order) and as PNG (the size asked for).

Icinga Web 2 (where Debian's icingaweb2, its monitoring and graphite modules,
php-cli, php-pgsql, postgresql-15, icinga2-ido-pgsql and chromium are
installed, as root): a PostgreSQL cluster of its own (run as the user
postgres) with the IDO schema, which the same Icinga 2 fills through an
IdoPgsqlConnection; Icinga Web 2 under PHP's built-in server (a router logs
in "admin" as an external user) with the monitoring module on that IDO and
the graphite module on our graphite-web and templates. The test checks the
module picks our templates on the service pages and renders them, and takes
a headless Chromium screenshot of the renewal service's page whose pixels
hold the template's curves.

KMS_GRAPHS_PNG_DIR=docs writes the README's pictures (graphs-count.png,
graphs-renewal.png, graphs-icingaweb.png) from this run.

Under ASan or valgrind builds the pipeline is skipped (the plugins' speed is
not what it tests and CI runs the suite three times); the static part runs.
"""
import configparser
import json
import os
import pwd
import re
import shutil
import struct
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
from test_icinga2 import ICINGA2, Icinga, icinga_value, substitute

TEMPLATES = os.path.join(harness.ROOT, "packaging", "icingaweb2", "kms-plugins.ini")
DASHBOARD = os.path.join(harness.ROOT, "packaging", "grafana", "kms-plugins.json")
COMMANDS_CONF = os.path.join(harness.ROOT, "packaging", "icinga2", "kms-plugins.conf")
CARBON = "/usr/bin/carbon-cache"
GRAPHITE_WEB = "/usr/lib/python3/dist-packages/graphite/wsgi.py"
PNG_DIR = os.environ.get("KMS_GRAPHS_PNG_DIR")

HOST = "kms01"
# service name -> (CheckCommand, vars)
SERVICES = {
    "count": ("kms_count", {"kms_status_url": "$doc$"}),
    "renewal": ("kms_renewal", {"kms_status_url": "$doc$"}),
    "service": ("kms_service", {"kms_status_url": "$doc$"}),
    "service-fleet": ("kms_service", {"kms_status_url": ["$doc$", "$doc2$"],
                                      "kms_service_idle_per_host": True}),
    "clients": ("kms_clients", {"kms_status_url": "$cloned$",
                                "kms_clients_domain": ["corp.example", "lab.example"]}),
    "rpc": ("kms_host", {"kms_host_port": "$rpc_port$", "kms_host_warning": 1,
                         "kms_host_critical": 5}),
    "rpc-domain": ("kms_host", {"kms_host_domain": "corp.example",
                                "kms_host_dns_server": "$dns_server$"}),
    "dns": ("kms_dns", {"kms_dns_expect": ["kms01.corp.example"],
                        "kms_dns_port": "$rpc_port$"}),
}
# (Windows count, clients expiring, clients lost) of the three stages
STAGES = [(40, 0, 0), (30, 2, 1), (20, 4, 2)]


# ---- the templates, read as the graphite module reads them -----------------

def read_templates():
    """{template: {"check_command": [...], "curves": [(name, filter, function)],
    "urlparams": {...}}} in file order; raises on what the module rejects."""
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str   # curve names keep their case, as PHP's ini reader
    with open(TEMPLATES, encoding="utf-8") as f:
        cp.read_file(f)
    raw = {}
    for section in cp.sections():
        m = re.match(r"\A(.+)\.(graph|metrics_filters|urlparams|functions)\Z", section)
        assert m, "bad section name %r (the module refuses the file)" % section
        raw.setdefault(m.group(1), {})[m.group(2)] = {
            k: v.strip().strip('"') for k, v in cp.items(section)}
    out = {}
    for name, t in raw.items():
        graph = t.get("graph", {})
        assert set(graph) == {"check_command"}, (name, graph)
        filters = t.get("metrics_filters", {})
        assert filters, "template %s has no metrics_filters" % name
        functions = t.get("functions", {})
        assert set(functions) <= set(filters), (name, "function without a curve")
        curves = []
        for curve, flt in filters.items():
            macros = re.findall(r"\$([^$]*)\$", flt)
            assert macros.count("service_name_template") == 1 and \
                "host_name_template" not in macros and flt.startswith(
                    "$service_name_template$.perfdata."), (name, curve, flt)
            fn = functions.get(curve, "$metric$")
            assert "$metric$" in fn, (name, curve, fn)
            assert fn.count("$") % 2 == 0 and flt.count("$") % 2 == 0, (name, curve)
            curves.append((curve, flt, fn))
        out[name] = {"check_command": [c.strip() for c in graph["check_command"].split(",")],
                     "curves": curves, "urlparams": t.get("urlparams", {})}
    return out


def packaged_commands():
    with open(COMMANDS_CONF, encoding="utf-8") as f:
        return re.findall(r'^object CheckCommand "(kms_[a-z]+)"', f.read(), re.M)


def escape_label(label):
    """Icinga 2.13's GraphiteWriter::EscapeMetricLabel: a perfdata label is one
    path node with ' ', '\\' and '/' turned into '_' ('.' is kept, '::' -> '.')."""
    for c in (" ", "\\", "/"):
        label = label.replace(c, "_")
    return label.replace("::", ".")


def resolve(text, variables):
    for k, v in variables.items():
        text = text.replace("$%s$" % k, v)
    return text


def first_metric_glob(flt):
    """The metrics filter as Graphite glob below perfdata (macros -> '*')."""
    rest = flt[len("$service_name_template$.perfdata."):]
    return re.sub(r"\$[^$]*\$", "*", rest)


def test_templates_follow_the_module_rules():
    t = read_templates()
    commands = packaged_commands()
    assert sorted(commands) == ["kms_clients", "kms_count", "kms_dns", "kms_host",
                                "kms_renewal", "kms_service"], commands
    used = {c for v in t.values() for c in v["check_command"]}
    assert used == set(commands), (sorted(used), commands)
    for name, v in t.items():
        assert name.startswith("kms-"), name   # no clash with the module's own
        assert "title" in v["urlparams"], name


def test_templates_cover_the_plugins_perfdata():
    """Every perfdata label the document plugins print on the bundled samples
    is drawn by some template of its command (or is a known leftover), so a
    label renamed in a plugin breaks this test, not just a graph."""
    t = read_templates()
    leftovers = {"kms_renewal": {"known", "failing", "no_deadline"},
                 "kms_service": {r".*_requests_(?!total|failed).*"}}
    env = dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW)
    for command in ("kms_count", "kms_renewal", "kms_service", "kms_clients"):
        plugin = "check_kms_" + command[4:]
        if not os.path.exists(harness.plugin(plugin)):
            pytest.skip("%s is not built" % plugin)
        globs = [first_metric_glob(flt).rsplit(".", 1)[0]
                 for v in t.values() if command in v["check_command"]
                 for (_, flt, _) in v["curves"]]
        pats = [re.compile("\\A" + re.escape(g).replace("\\*", ".*") + "\\Z") for g in globs]
        pats += [re.compile("\\A" + p + "\\Z") for p in leftovers.get(command, ())]
        for sample in ("healthy", "expiring", "cloned", "below-threshold"):
            r = subprocess.run([harness.plugin(plugin), "-u",
                                os.path.join(harness.SAMPLES, sample + ".json")],
                               capture_output=True, text=True, env=env, timeout=60)
            perf = r.stdout.split("\n")[0].partition("|")[2]
            for label in harness.parse_perfdata(perf):
                node = escape_label(label)
                assert any(p.match(node) for p in pats), (command, sample, label)


# ---- the pipeline ----------------------------------------------------------

def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


class Graphite:
    """carbon-cache + graphite-web on loopback under tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.storage = os.path.join(tmp, "storage")
        self.whisper = os.path.join(self.storage, "whisper")
        for d in (self.whisper, os.path.join(tmp, "log"), os.path.join(tmp, "weblog"),
                  os.path.join(tmp, "conf")):
            os.makedirs(d, exist_ok=True)
        self.line_port = harness.free_port()
        self.pickle_port = harness.free_port()
        self.query_port = harness.free_port()
        self.web_port = harness.free_port()
        conf = os.path.join(tmp, "conf")
        with open(os.path.join(conf, "carbon.conf"), "w") as f:
            f.write("""[cache]
STORAGE_DIR = %(s)s/
LOCAL_DATA_DIR = %(w)s/
CONF_DIR = %(c)s/
LOG_DIR = %(t)s/log/
PID_DIR = %(t)s/
DATABASE = whisper
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 1000
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = %(lp)d
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = %(pp)d
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = %(qp)d
ENABLE_LOGROTATION = False
""" % {"s": self.storage, "w": self.whisper, "c": conf, "t": tmp,
       "lp": self.line_port, "pp": self.pickle_port, "qp": self.query_port})
        # one-second points for an hour: every check is a data point
        with open(os.path.join(conf, "storage-schemas.conf"), "w") as f:
            f.write("[all]\npattern = .*\nretentions = 1s:1h\n")
        with open(os.path.join(conf, "storage-aggregation.conf"), "w") as f:
            f.write("[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = last\n")
        self.carbon = harness.Peer(
            [CARBON, "--config=" + os.path.join(conf, "carbon.conf"), "--nodaemon",
             "--pidfile=" + os.path.join(tmp, "carbon.pid"), "--logdir=" + os.path.join(tmp, "log"),
             "start"],
            lambda: harness.wait_tcp("127.0.0.1", self.line_port, 0.2) and
            harness.wait_tcp("127.0.0.1", self.query_port, 0.2),
            "carbon-cache", log=os.path.join(tmp, "carbon.out"))
        web = os.path.join(tmp, "web")
        os.makedirs(web)
        with open(os.path.join(web, "kms_graphite_settings.py"), "w") as f:
            f.write("""from graphite.settings import *  # noqa: F401,F403
SECRET_KEY = "kms-plugins-test-only"
STORAGE_DIR = %(s)r
WHISPER_DIR = %(w)r
STANDARD_DIRS = [WHISPER_DIR]
LOG_DIR = %(t)r + "/weblog"
INDEX_FILE = %(t)r + "/index"
DATABASES = {"default": {"NAME": %(t)r + "/graphite.db",
                         "ENGINE": "django.db.backends.sqlite3"}}
CARBONLINK_HOSTS = ["127.0.0.1:%(qp)d:a"]
ALLOWED_HOSTS = ["127.0.0.1"]
""" % {"s": self.storage, "w": self.whisper, "t": tmp, "qp": self.query_port})
        with open(os.path.join(web, "serve.py"), "w") as f:
            f.write("""import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "kms_graphite_settings"
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
from django.core.wsgi import get_wsgi_application
from wsgiref.simple_server import make_server, WSGIRequestHandler
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(),
            handler_class=Quiet).serve_forever()
""")
        self.web = harness.Peer(
            ["/usr/bin/python3", os.path.join(web, "serve.py"), str(self.web_port)],
            self._web_ready, "graphite-web", log=os.path.join(tmp, "web.out"))
        self.url = "http://127.0.0.1:%d" % self.web_port

    def _web_ready(self):
        try:
            return http_get(self.url + "/metrics/find?query=*", 1)[0] == 200
        except OSError:
            return False

    def start(self):
        self.carbon.start(30)
        self.web.start(60)

    def stop(self):
        self.web.stop()
        self.carbon.stop()

    def render(self, targets, fmt="json", **params):
        q = [("target", t) for t in targets] + [("format", fmt)] if fmt else \
            [("target", t) for t in targets]
        q += sorted(params.items())
        return http_get(self.url + "/render?" + urllib.parse.urlencode(q), 30)

    def series(self, targets, **params):
        st, ctype, body = self.render(targets, "json", **params)
        assert st == 200 and "json" in ctype, (st, ctype, body[:300])
        return json.loads(body)

    def find(self, query):
        st, _, body = http_get(self.url + "/metrics/find?" + urllib.parse.urlencode(
            {"query": query}))
        assert st == 200
        # "id", not "text": graphite-web 1.1 shows a '+' of a node as ' ' in text
        return sorted(n["id"].rsplit(".", 1)[-1] for n in json.loads(body))


PG_BIN = "/usr/lib/postgresql/15/bin"
IDO_SCHEMA = "/usr/share/icinga2-ido-pgsql/schema/pgsql.sql"
ICINGAWEB = "/usr/share/icingaweb2/public/index.php"
PHP = "/usr/bin/php"
CHROMIUM = "/usr/bin/chromium"
WEB_PARTS = (("postgresql-15", PG_BIN + "/postgres"), ("icinga2-ido-pgsql", IDO_SCHEMA),
             ("icingaweb2", ICINGAWEB),
             ("icingaweb2-module-monitoring", "/usr/share/icingaweb2/modules/monitoring"),
             ("icingaweb2-module-graphite", "/usr/share/icingaweb2/modules/graphite"),
             ("php-cli", PHP), ("php-pgsql", "/usr/share/php8.2-pgsql/pgsql/pdo_pgsql.ini"),
             ("chromium", CHROMIUM))


def icingaweb_skip_reason():
    missing = [pkg for pkg, path in WEB_PARTS if not os.path.exists(path)]
    if missing:
        return "Icinga Web 2 step skipped: Debian package(s) %s not installed" % ", ".join(missing)
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "Icinga Web 2 step skipped: no user postgres (postgresql-common makes it)"
    if os.geteuid() != 0:
        return ("Icinga Web 2 step skipped: PostgreSQL for the IDO runs as the user postgres, "
                "which needs root to start")
    return None


class IcingaWeb:
    """PostgreSQL (a cluster of its own, as user postgres) with the IDO schema
    that Icinga 2's IdoPgsqlConnection fills, and Icinga Web 2 (monitoring
    module on that IDO, graphite module on our graphite-web, our templates
    from the source tree) under PHP's built-in server with a router that
    logs in "admin" as an external user."""

    def __init__(self, tmp, graphite_url):
        self.tmp = tmp
        self.pg_dir = os.path.join(tmp, "pg")
        os.makedirs(self.pg_dir)
        # postgres must reach its directory through ours (mkdtemp makes 0700)
        for d in (os.path.dirname(tmp), tmp):
            os.chmod(d, 0o755)
        shutil.chown(self.pg_dir, "postgres", "postgres")
        self.pg_port = harness.free_port()
        self.web_port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % self.web_port
        self.pg = harness.Peer(
            ["runuser", "-u", "postgres", "--", PG_BIN + "/postgres", "-D",
             os.path.join(self.pg_dir, "data"), "-h", "127.0.0.1", "-p", str(self.pg_port),
             "-k", self.pg_dir, "-c", "fsync=off"],
            lambda: harness.wait_tcp("127.0.0.1", self.pg_port, 0.2), "postgres",
            log=os.path.join(tmp, "pg.log"))
        conf = os.path.join(tmp, "icingaweb2")
        self.conf = conf
        self.log = os.path.join(tmp, "icingaweb2.log")
        files = {
            "config.ini": '[global]\nconfig_backend = "ini"\nmodule_path = '
                          '"/usr/share/icingaweb2/modules"\n\n[logging]\nlog = "file"\n'
                          'file = "%s"\nlevel = "ERROR"\n' % self.log,
            "resources.ini": '[icinga_ido]\ntype = "db"\ndb = "pgsql"\nhost = "127.0.0.1"\n'
                             'port = "%d"\ndbname = "icinga"\nusername = "postgres"\n'
                             'password = ""\ncharset = "utf8"\n' % self.pg_port,
            "authentication.ini": '[autologin]\nbackend = "external"\n',
            "roles.ini": '[admins]\nusers = "admin"\npermissions = "*"\n',
            "modules/monitoring/backends.ini": '[icinga]\ntype = "ido"\nresource = "icinga_ido"\n',
            "modules/monitoring/config.ini": '[security]\nprotected_customvars = "*pw*"\n',
            "modules/graphite/config.ini": '[graphite]\nurl = "%s"\n' % graphite_url,
        }
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(conf, name)), exist_ok=True)
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
        os.makedirs(os.path.join(conf, "enabledModules"))
        for m in ("monitoring", "graphite"):
            os.symlink("/usr/share/icingaweb2/modules/" + m,
                       os.path.join(conf, "enabledModules", m))
        # the templates as the package installs them would be read from the
        # module's own dir; the source tree's file goes where an admin's
        # copy would (the module reads both)
        os.makedirs(os.path.join(conf, "modules/graphite/templates"))
        shutil.copy(TEMPLATES, os.path.join(conf, "modules/graphite/templates"))
        router = os.path.join(tmp, "router.php")
        with open(router, "w") as f:
            f.write("""<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path !== '/' && is_file('/usr/share/icingaweb2/public' . $path)) {
    return false;
}
$_SERVER['REMOTE_USER'] = 'admin';
putenv('ICINGAWEB_CONFIGDIR=%s');
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = '/usr/share/icingaweb2/public/index.php';
require '/usr/share/icingaweb2/public/index.php';
""" % conf)
        self.php = harness.Peer(
            [PHP, "-S", "127.0.0.1:%d" % self.web_port, router],
            lambda: harness.wait_tcp("127.0.0.1", self.web_port, 0.2), "php -S",
            cwd="/usr/share/icingaweb2/public", log=os.path.join(tmp, "php.out"))

    def start(self):
        subprocess.run(["runuser", "-u", "postgres", "--", PG_BIN + "/initdb", "-D",
                        os.path.join(self.pg_dir, "data"), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True, timeout=120, cwd=self.pg_dir)
        self.pg.start(30)
        psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(self.pg_port), "-U", "postgres"]
        subprocess.run(psql + ["-c", "CREATE DATABASE icinga"], check=True,
                       capture_output=True, timeout=60)
        subprocess.run(psql + ["-d", "icinga", "-f", IDO_SCHEMA], check=True,
                       capture_output=True, timeout=60)
        self.php.start(15)

    def ido_config(self):
        return ('object IdoPgsqlConnection "ido" {\n  host = "127.0.0.1"\n  port = %d\n'
                '  user = "postgres"\n  password = ""\n  database = "icinga"\n}\n'
                % self.pg_port)

    def stop(self):
        self.php.stop()
        self.pg.stop()


def stage_doc(count, expiring, lost):
    """healthy.json with the Windows count set, `expiring` licensed clients
    whose renewal fails (last success 173 days ago: 7 days left, failing
    0xC004F038 an hour ago) and `lost` clients in notification."""
    doc = fleet_doc("healthy.json", "kms01.corp.example")
    doc["products"][0]["current_count"] = count
    for c in doc["clients"][10:10 + expiring]:
        c.update(last_success_at="2026-06-05T14:00:00Z", last_result="0xC004F038",
                 last_request_at="2026-11-25T13:00:00Z")
    for c in doc["clients"][20:20 + lost]:
        c.update(license_state=5, state_expires_in_minutes=0)
    # DNS publishing per domain, failing in as many domains as clients are
    # lost: branch.example's 12293 after its 12294, then lab.example's
    # 12294 gone (never published within the look-back)
    doc["host"]["dns_publish_domains"] = ["corp.example", "branch.example", "lab.example"]
    doc["events"] = [e for e in doc.get("events", []) if e.get("id") not in (12293, 12294)]
    published = ["corp.example", "branch.example"] + (["lab.example"] if lost < 2 else [])
    for d in published:
        doc["events"].append({"id": 12294, "at": "2026-11-25T05:00:00Z", "domain": d})
    if lost >= 1:
        doc["events"].append({"id": 12293, "at": "2026-11-25T12:00:00Z", "domain": "branch.example",
                              "hresult": "0x8007232B"})
    return doc


def write_atomic(path, doc):
    with open(path + ".new", "w", encoding="utf-8") as f:
        json.dump(doc, f)
    os.replace(path + ".new", path)


def plugin_perf(command, argv, env):
    r = subprocess.run([harness.plugin("check_kms_" + command[4:])] + argv,
                       capture_output=True, text=True, env=env, timeout=60)
    return harness.parse_perfdata(r.stdout.split("\n")[0].partition("|")[2])


def prefix(service):
    return "icinga2.%s.services.%s.%s" % (HOST, service.replace(".", "_"), SERVICES[service][0])


def fold(xs):
    """xs with consecutive repeats folded: the values a graph steps through."""
    out = []
    for x in xs:
        if not out or out[-1] != x:
            out.append(x)
    return out


def values(series):
    """The non-null values of a Graphite series, consecutive repeats folded."""
    return fold([v for v, _ in series["datapoints"] if v is not None])


ICINGA_CONFIG = """
object CheckerComponent "checker" { }
object GraphiteWriter "graphite" {
  host = "127.0.0.1"
  port = %(carbon_port)d
  enable_send_thresholds = true
}
object Host %(host)s {
  check_command = "dummy"
  enable_active_checks = false
  address = "127.0.0.1"
  vars.kms_domain = "corp.example"
  vars.kms_dns_server = %(dns_server)s
}
/* every check each second, one data point a second in carbon */
template Service "kms-graphs" {
  host_name = %(host)s
  max_check_attempts = 1
  check_interval = 1s
  retry_interval = 1s
}
"""


def icinga_config(macros, graphite):
    out = [ICINGA_CONFIG % {"carbon_port": graphite.line_port, "host": json.dumps(HOST),
                            "dns_server": json.dumps(macros["dns_server"])}]
    for name, (command, svars) in sorted(SERVICES.items()):
        out.append('object Service %s {\n  import "kms-graphs"\n  check_command = %s'
                   % (json.dumps(name), json.dumps(command)))
        out += ['  vars.%s = %s' % (k, icinga_value(substitute(v, macros)))
                for k, v in svars.items()]
        out.append('}')
    return "\n".join(out) + "\n"


def pipeline_skip_reason():
    missing = [p for p, path in (("graphite-carbon", CARBON), ("graphite-web", GRAPHITE_WEB),
                                 ("icinga2-bin", ICINGA2)) if not os.path.exists(path)]
    if missing:
        return "Debian package(s) %s not installed (make deps)" % ", ".join(missing)
    for p in ("check_kms_count", "check_kms_renewal", "check_kms_service",
              "check_kms_clients", "check_kms_host", "check_kms_dns"):
        if not os.path.exists(harness.plugin(p)):
            return "%s is not built" % p
    if harness.WRAPPER or harness.sanitized("check_kms_count"):
        return ("graph pipeline skipped under sanitizer/valgrind builds: it tests "
                "Icinga 2 -> carbon -> graphite-web, not the plugins' memory, and "
                "the plain run covers it")
    return None


@pytest.fixture(scope="module")
def pipeline():
    reason = pipeline_skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tempfile.mkdtemp(prefix="kms-graphs-")
    graphite = Graphite(os.path.join(tmp, "graphite"))
    rpc = RpcServer(KMS_IFACE, "127.0.0.1", tmp)
    dns = Dnsmasq({"domain": "corp.example",
                   "srv": [("kms01.corp.example", rpc.port, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    ic = Icinga(os.path.join(tmp, "icinga2"))
    web_reason = icingaweb_skip_reason()
    web = None if web_reason else IcingaWeb(os.path.join(tmp, "web"), graphite.url)
    doc = os.path.join(tmp, "kms01.json")
    doc2 = os.path.join(tmp, "kms02.json")
    cloned = os.path.join(tmp, "cloned.json")
    env = dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW)
    try:
        graphite.start()
        rpc.peer.start()
        dns.start()
        write_atomic(doc, stage_doc(*STAGES[0]))
        write_atomic(doc2, fleet_doc("healthy.json", "kms02.corp.example"))
        write_atomic(cloned, fleet_doc("cloned.json", "kms01.corp.example"))
        clients = plugin_perf("kms_clients", ["-u", cloned, "--domain", "corp.example",
                                              "--domain", "lab.example"], env)
        macros = {"doc": doc, "doc2": doc2, "cloned": cloned, "rpc_port": rpc.port,
                  "dns_server": dns.server}
        body = icinga_config(macros, graphite)
        web_error = None
        if web:
            # a broken Icinga Web fails its own tests, not the graphite ones
            try:
                web.start()
                body += web.ido_config()
            except (OSError, RuntimeError, subprocess.SubprocessError) as e:
                web_error = "Icinga Web 2 did not start: %r %s" % (
                    e, getattr(e, "stderr", "") or "")
                web.stop()
                web = None
        ic.write_config(body, api=False)
        v = ic.validate()
        assert v.returncode == 0, "icinga2 daemon -C failed:\n" + v.stdout + v.stderr
        started = int(time.time()) - 2
        ic.start(env)
        expected = []   # per stage: {service: {label: value}} as the plugins say
        for stage in STAGES:
            write_atomic(doc, stage_doc(*stage))
            want = {s: plugin_perf(SERVICES[s][0], ["-u", doc], env)
                    for s in ("count", "renewal", "service")}
            expected.append(want)
            # wait until graphite-web shows this stage's values, then hold it
            # for two more checks so every stage is at least two data points
            probes = [(prefix("count") + ".perfdata.Windows.value", stage[0]),
                      (prefix("renewal") + ".perfdata.expiring.value", stage[1]),
                      (prefix("renewal") + ".perfdata.expired.value", stage[2]),
                      (prefix("service") + ".perfdata.failing.value",
                       want["service"]["failing"]["value"])]
            deadline = time.monotonic() + 40
            while True:
                assert ic.proc.poll() is None, "icinga2 exited:\n" + ic.read_log()[-3000:]
                got = graphite.series([p for p, _ in probes], **{"from": "-20s"})
                last = {s["target"]: values(s)[-1:] for s in got}
                if all(last.get(p) == [w] for p, w in probes):
                    break
                assert time.monotonic() < deadline, (
                    "graphite-web never showed stage %r: %r\n%s" % (
                        stage, last, ic.read_log()[-3000:]))
                time.sleep(0.3)
            time.sleep(2.5)
        yield {"graphite": graphite, "from": started, "until": int(time.time()) + 2,
               "expected": expected, "clients": clients, "icinga": ic,
               "web": web, "web_reason": web_reason, "web_error": web_error, "tmp": tmp}
    finally:
        ic.stop()
        if web:   # None when it failed to start (stopped then)
            web.stop()
        dns.stop()
        rpc.peer.stop()
        graphite.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def template_targets(template, service, variables):
    """The render targets the module would ask for: each curve's metrics
    filter resolved for this service and these macro values, put into its
    function."""
    out = []
    for curve, flt, fn in template["curves"]:
        metric = resolve(flt, dict(variables, service_name_template=prefix(service)))
        out.append((curve, resolve(fn, dict(variables, metric=metric))))
    return out


# template -> (service, macro values, expected folded values per curve or
# None for "present, any values"; a curve missing from the dict must have no
# data in this scenario)
def cases(exp, clients):
    counts = [s[0] for s in STAGES]
    ren = [e["renewal"] for e in exp]
    svc = [e["service"] for e in exp]

    return {
        "kms-count": ("count", {"product": "Windows"},
                      {"count": counts, "threshold": [25.0]}),
        "kms-count-forecast": ("count", {"product": "Office_2013+"},
                               {"active": fold([e["count"]["Office 2013+ active"]["value"]
                                                for e in exp]),
                                "lapsing": fold([e["count"]["Office 2013+ lapsing"]["value"]
                                                 for e in exp])}),
        "kms-renewal": ("renewal", {}, {
            "expiring": [s[1] for s in STAGES], "expired": [s[2] for s in STAGES],
            "warn": fold([float(r["at_risk"]["warn"]) for r in ren]),
            "crit": fold([float(r["at_risk"]["crit"]) for r in ren])}),
        "kms-renewal-days-left": ("renewal", {}, {"min_days_left": None}),
        "kms-service-failing": ("service", {}, {
            "failing": fold([s["failing"]["value"] for s in svc]),
            "warn": fold([float(s["failing"]["warn"]) for s in svc]),
            "crit": fold([float(s["failing"]["crit"]) for s in svc])}),
        "kms-service-failing-share": ("service", {"who": ""}, {
            "share": fold([100.0 * s["failing"]["value"] / float(s["failing"]["max"])
                           for s in svc])}),
        "kms-service-idle": ("service", {}, {
            "idle": [pytest.approx(svc[0]["idle"]["value"] / 3600.0)],
            "warn": [pytest.approx(12.0)]}),
        "kms-service-idle-each": ("service-fleet", {"what": "kms02"},
                                  {"idle": [pytest.approx(840 / 3600.0)]}),
        "kms-service-dns": ("service", {"who": ""}, {
            # stage_doc(): no domain failing, then branch.example, then
            # lab.example too
            "dns_failing": [0.0, 1.0, 2.0]}),
        "kms-service-requests": ("service", {"product": "Windows"},
                                 {"failed": None, "total": None}),
        "kms-host-rpc": ("rpc", {}, {"time": None, "connect": None, "bind": None,
                                     "warn": [1000.0], "crit": [5000.0]}),
        "kms-host-published": ("rpc-domain", {}, {"hosts_ok": [1.0]}),
        "kms-dns-records": ("dns", {}, {"records": [1.0], "expected_found": [1.0],
                                        "rogue": [0.0]}),
        "kms-dns-time": ("dns", {}, {"time": None}),
        "kms-clients-clones": ("clients", {}, {
            "machines_sharing": [clients["machines_sharing"]["value"]],
            "cmids_shared": [clients["cmids_shared"]["value"]],
            "warn": [float(clients["machines_sharing"]["warn"])],
            "crit": [float(clients["machines_sharing"]["crit"])]}),
        "kms-clients-inventory": ("clients", {}, {
            "clients": [clients["clients"]["value"]], "new_24h": [clients["new_24h"]["value"]],
            "foreign": [clients["foreign"]["value"]],
            "new_warn": [float(clients["new_24h"]["warn"])]}),
    }


def test_icinga_writes_the_paths_the_templates_read(pipeline):
    """GraphiteWriter of Icinga 2.13: one node per label, spaces -> '_',
    '+' kept; thresholds only where the plugin wrote a plain number."""
    g = pipeline["graphite"]
    labels = g.find(prefix("count") + ".perfdata.*")
    assert labels == ["Office_2013+", "Office_2013+_active", "Office_2013+_lapsing",
                      "Windows", "Windows_active", "Windows_lapsing"], labels
    # "30:" / "25:" ranges are dropped by Icinga: no warn/crit for a count
    assert g.find(prefix("count") + ".perfdata.Windows.*") == ["max", "min", "value"]
    assert g.find(prefix("renewal") + ".perfdata.at_risk.*") == [
        "crit", "max", "min", "value", "warn"]


@pytest.mark.parametrize("name", sorted(read_templates()))
def test_template_renders(pipeline, name):
    g = pipeline["graphite"]
    template = read_templates()[name]
    service, variables, want = cases(pipeline["expected"], pipeline["clients"])[name]
    assert SERVICES[service][0] in template["check_command"], (name, service)
    rng = {"from": str(pipeline["from"]), "until": str(pipeline["until"])}
    targets = template_targets(template, service, variables)
    for curve, target in targets:
        got = g.series([target], **rng)
        if curve not in want:
            assert got == [] or all(v is None for v, _ in got[0]["datapoints"]), (curve, got)
            continue
        assert len(got) == 1, (name, curve, target, got)
        vals = values(got[0])
        assert vals, "no data for %s curve %s: %s" % (name, curve, target)
        if want[curve] is not None:
            assert vals == want[curve], (name, curve, target, vals)
        if name == "kms-host-rpc" and curve in ("time", "connect", "bind"):
            assert all(0 < v < 5000 for v in vals), (curve, vals)   # ms
    # the picture, as the module asks for it (its defaults and the template's)
    params = dict(rng, width="640", height="300", bgcolor="white", fgcolor="black",
                  majorGridLineColor="0000003F", lineMode="connected", graphType="line",
                  drawNullAsZero="false", tz="UTC")
    for k, v in template["urlparams"].items():
        params[k] = resolve(v, variables)
    st, ctype, png = g.render([t for _, t in targets], None, **params)
    assert st == 200 and ctype == "image/png", (st, ctype)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:16]
    assert png[12:16] == b"IHDR" and struct.unpack(">II", png[16:24]) == (640, 300)
    assert len(png) > 2000, len(png)   # curves and text, not an empty frame
    if PNG_DIR and name in ("kms-count", "kms-renewal"):
        with open(os.path.join(PNG_DIR, "graphs-%s.png" % name[4:]), "wb") as f:
            f.write(png)


def test_dashboard_reads_the_same_paths(pipeline):
    """Every Graphite target of the Grafana dashboard, with $host = kms01,
    returns data (the count panel the stages' values, by product; dns_failing
    only where the built plugin writes it); the dashboard is importable
    (one Graphite input, a $host variable)."""
    g = pipeline["graphite"]
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    assert [i["pluginId"] for i in dash["__inputs"]] == ["graphite"]
    assert [v["name"] for v in dash["templating"]["list"]] == ["host"]
    rng = {"from": str(pipeline["from"]), "until": str(pipeline["until"])}
    seen = {}
    for panel in dash["panels"]:
        for t in panel["targets"]:
            assert t["datasource"]["uid"] == "${DS_GRAPHITE}", panel["title"]
            target = t["target"].replace("$host", HOST)
            assert not re.search(r"\$[A-Za-z_{]", target), target   # no other variable
            got = g.series([target], **rng)
            assert got and all(values(s) for s in got), (panel["title"], target, got)
            seen.update({s["target"]: values(s) for s in got})
            if panel["title"] == "KMS count per product":   # counts only
                assert not [s for s in got if s["target"].endswith(("_active", "_lapsing"))]
    assert seen["count.Windows"] == [s[0] for s in STAGES], seen
    assert seen["count.Windows activation threshold"] == [25.0], seen
    assert seen["count.Office_2013+"] == [10.0], seen
    assert seen["count.Windows_active"] and seen["count.Office_2013+_lapsing"], sorted(seen)
    assert seen["renewal.expiring"] == [s[1] for s in STAGES], seen
    assert seen["renewal.at_risk.warn"] and seen["service.failing.crit"], sorted(seen)
    assert "service-fleet.kms02_idle" in seen and "service.failing" in seen, sorted(seen)
    assert "rpc.time" in seen and "dns.records" in seen and "rpc-domain.hosts_ok" in seen
    assert "clients.machines_sharing.crit" in seen, sorted(seen)


def icingaweb_graph_urls(web, service):
    """The graph image URLs of a service's page in Icinga Web 2 (all graphs:
    graphs_limit=-1), once the IDO knows the service."""
    page = web.url + "/monitoring/service/show?host=%s&service=%s&graphs_limit=-1" % (
        HOST, service)
    deadline = time.monotonic() + 60
    body = b""
    while time.monotonic() < deadline:
        try:
            body = http_get(page, 30)[2]
        except OSError as e:
            body = str(e).encode()
        if b"data-actualimageurl" in body:
            break
        time.sleep(1)
    urls = [u.decode().replace("&amp;", "&") for u in
            re.findall(rb'data-actualimageurl="([^"]+)"', body)]
    assert urls, "no graph on the page of %s:\n%s" % (service, body[-3000:])
    return page, urls


def test_icingaweb_picks_the_templates(pipeline):
    """Icinga Web 2's graphite module (Debian 1.2.2), on the IDO that Icinga 2
    fills, picks our templates for kms_count and kms_renewal and renders each
    graph as a PNG of the size it asks for. A label with '+' ('Office 2013+')
    is listed but the module answers "No such graph" for it: its
    MetricsQuery::escapeMetricStep turns the '+' of the macro value into '_'
    (Office_2013_); graphite-web itself and the Grafana dashboard draw it
    (test_template_renders, test_dashboard_reads_the_same_paths)."""
    web = pipeline["web"]
    if pipeline["web_error"]:
        pytest.fail(pipeline["web_error"])
    if not web:
        pytest.skip(pipeline["web_reason"])
    shown = {}
    for service in ("count", "renewal"):
        for u in icingaweb_graph_urls(web, service)[1]:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)
            if "template" not in q:
                continue   # the module's default graphs of labels no template draws
            key = (service, q["template"][0], q.get("product", [""])[0])
            try:
                st, ctype, png = http_get(web.url + u, 60)
                shown[key] = struct.unpack(">II", png[16:24]) if ctype.startswith(
                    "image/png") else ctype
            except urllib.error.HTTPError as e:
                shown[key] = e.code
    assert shown == {
        ("count", "kms-count", "Windows"): (440, 220),
        ("count", "kms-count-forecast", "Windows"): (440, 220),
        ("count", "kms-count", "Office_2013+"): 404,
        ("count", "kms-count-forecast", "Office_2013+"): 404,
        ("renewal", "kms-renewal", ""): (440, 220),
        ("renewal", "kms-renewal-days-left", ""): (440, 220),
    }, shown


def test_icingaweb_service_page_shows_the_graph(pipeline):
    """Headless Chromium shows the renewal service's page in Icinga Web 2 with
    its graphs drawn: the screenshot holds pixels of the expiring (#ffaa44)
    and lost (#ff5566) curves of the kms-renewal template."""
    web = pipeline["web"]
    if pipeline["web_error"]:
        pytest.fail(pipeline["web_error"])
    if not web:
        pytest.skip(pipeline["web_reason"])
    page = icingaweb_graph_urls(web, "renewal")[0] + "&graph_range=60"
    shot = os.path.join(pipeline["tmp"], "icingaweb.png")
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--no-first-run", "--window-size=1280,1100",
                        "--virtual-time-budget=20000", "--screenshot=" + shot, page],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HOME=pipeline["tmp"]))
    assert os.path.exists(shot), r.stderr[-3000:]
    with open(shot, "rb") as f:
        png = f.read()
    if PNG_DIR:
        with open(os.path.join(PNG_DIR, "graphs-icingaweb.png"), "wb") as f:
            f.write(png)
    w, h, bpp, rows = png_pixels(png)
    assert (w, h) == (1280, 1100)
    assert count_color(rows, bpp, (0xff, 0xaa, 0x44)) > 50, "no expiring curve in the screenshot"
    assert count_color(rows, bpp, (0xff, 0x55, 0x66)) > 50, "no lost curve in the screenshot"


def png_pixels(png):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA,
    non-interlaced PNG, as Chromium writes its screenshots."""
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and not interlace, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def count_color(rows, bpp, rgb):
    want = bytes(rgb)
    n = 0
    for line in rows:
        for i in range(0, len(line), bpp):
            if line[i:i + 3] == want:
                n += 1
    return n
