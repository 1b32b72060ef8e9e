"""Packaging (issue 9): the Nagios definitions, the Icinga 2 definitions
against the plugins' --help, the Debian package and the RPM.

- Debian's nagios4 validates a minimal main configuration that loads
  packaging/nagios/*.cfg (`nagios4 -v`), and every command line of
  kms-plugins.cfg, macros expanded as Nagios would, runs its plugin with the
  expected state.
- Every option of the Icinga 2 CheckCommands exists in the plugin's --help,
  and every option of --help is reachable from the CheckCommand.
- `make deb` builds the package; its control data, its files (extracted with
  dpkg-deb -x), lintian (no error), and `dpkg --root` installing it into a
  private root where the installed plugins run. `make rpm` likewise where
  rpmbuild exists.

The package builds take about a minute each: KMS_SKIP_SLOW=1 skips them."""
import os
import re
import shutil
import subprocess

import pytest

import harness
from harness import ROOT, SAMPLES

NAGIOS4 = "/usr/sbin/nagios4"
NAGIOS_DIR = os.path.join(ROOT, "packaging", "nagios")
ICINGA_CONF = os.path.join(ROOT, "packaging", "icinga2", "kms-plugins.conf")
PLUGINS = ["check_kms_host", "check_kms_dns", "check_kms_count",
           "check_kms_renewal", "check_kms_service", "check_kms_clients"]
VERSION = re.search(r'#define KMS_VERSION "([^"]+)"',
                    open(os.path.join(ROOT, "common", "version.h")).read()).group(1)

slow = pytest.mark.skipif(os.environ.get("KMS_SKIP_SLOW") == "1",
                          reason="KMS_SKIP_SLOW=1: package builds skipped")


def built(name):
    if not os.path.exists(harness.plugin(name)):
        pytest.skip("%s is not built yet" % name)


# --- Nagios ------------------------------------------------------------------

NAGIOS_BASE = """
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}
define command {
    command_name    notify-none
    command_line    /bin/true
}
define command {
    command_name    check-host-alive
    command_line    /bin/true
}
define contact {
    contact_name                  oncall
    alias                         On call
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     d,u,r
    service_notification_options  w,u,c,r
    host_notification_commands    notify-none
    service_notification_commands notify-none
}
define host {
    name                  generic-host
    check_period          24x7
    max_check_attempts    3
    notification_period   24x7
    notification_interval 60
    contacts              oncall
    register              0
}
define service {
    name                  generic-service
    check_period          24x7
    max_check_attempts    3
    check_interval        10
    retry_interval        2
    notification_period   24x7
    notification_interval 60
    contacts              oncall
    register              0
}
"""


def nagios_main(tmp, cfg_files):
    base = tmp / "base.cfg"
    base.write_text(NAGIOS_BASE)
    (tmp / "resource.cfg").write_text("$USER1$=%s\n" % harness.BUILD)
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    group = subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip()
    lines = ["log_file=%s/nagios.log" % tmp, "cfg_file=%s" % base,
             "resource_file=%s/resource.cfg" % tmp, "check_result_path=%s" % tmp,
             "lock_file=%s/nagios.lock" % tmp, "temp_file=%s/nagios.tmp" % tmp,
             "status_file=%s/status.dat" % tmp,
             "object_cache_file=%s/objects.cache" % tmp,
             "precached_object_file=%s/objects.precache" % tmp,
             "nagios_user=%s" % user, "nagios_group=%s" % group,
             "illegal_macro_output_chars=`~$&|'\"<>"]
    lines += ["cfg_file=%s" % f for f in cfg_files]
    main = tmp / "nagios.cfg"
    main.write_text("\n".join(lines) + "\n")
    return str(main)


@pytest.mark.skipif(not os.path.exists(NAGIOS4), reason="nagios4-core not installed")
def test_nagios4_validates_definitions(tmp_path):
    cfgs = sorted(os.path.join(NAGIOS_DIR, f) for f in os.listdir(NAGIOS_DIR)
                  if f.endswith(".cfg"))
    assert [os.path.basename(c) for c in cfgs] == ["example-services.cfg", "kms-plugins.cfg"]
    p = subprocess.run([NAGIOS4, "-v", nagios_main(tmp_path, cfgs)],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "Total Warnings: 0" in out and "Total Errors:   0" in out, out
    assert "Checked 6 services." in out, out
    # 7 kms commands + notify-none + check-host-alive of the base
    assert "Checked 9 commands." in out, out


@pytest.mark.skipif(not os.path.exists(NAGIOS4), reason="nagios4-core not installed")
def test_nagios4_rejects_a_broken_command_file(tmp_path):
    """The validation above can fail: a command referring to an undefined
    command does."""
    bad = tmp_path / "bad.cfg"
    with open(os.path.join(NAGIOS_DIR, "kms-plugins.cfg")) as f:
        bad.write_text(f.read().replace("command_name    check_kms_count",
                                        "command_name    check_kms_cnt"))
    p = subprocess.run([NAGIOS4, "-v", nagios_main(
        tmp_path, [str(bad), os.path.join(NAGIOS_DIR, "example-services.cfg")])],
        capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "check_kms_count" in p.stdout


def nagios_commands():
    text = open(os.path.join(NAGIOS_DIR, "kms-plugins.cfg")).read()
    return dict(re.findall(r"command_name\s+(\S+)\s*\n\s*command_line\s+(.+)", text))


def expand(line, macros):
    for k, v in macros.items():
        line = line.replace("$%s$" % k, v)
    assert "$" not in line, "unexpanded macro in %r" % line
    return line


@pytest.mark.parametrize("command,doc,arg1,state", [
    ("check_kms_count", "healthy.json", "", 0),
    ("check_kms_count", "below-threshold.json", "", 2),
    ("check_kms_renewal", "expiring.json", "--days 30", 2),
    ("check_kms_renewal", "healthy.json", "", 0),
    ("check_kms_service", "dns-failure.json", "", 1),
    ("check_kms_clients", "cloned.json", "--domain corp.example", 2),
    ("check_kms_clients", "healthy.json", "", 0),
])
def test_nagios_document_commands_run(command, doc, arg1, state):
    """The command line as Nagios runs it (through /bin/sh, macros expanded)."""
    built(command)
    line = expand(nagios_commands()[command], {
        "USER1": harness.BUILD, "_HOSTKMS_STATUS_URL": os.path.join(SAMPLES, doc),
        "ARG1": arg1})
    p = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW))
    assert p.returncode == state, (line, p.stdout, p.stderr)
    assert p.stdout.startswith("KMS "), p.stdout


def test_nagios_network_commands_run(kms_rpc_server, dnsmasq):
    built("check_kms_host")
    built("check_kms_dns")
    dns = dnsmasq({"domain": "corp.example", "srv": [("kms01.corp.example", 1688, 0, 100)],
                   "hosts": {"kms01.corp.example": ["127.0.0.1"]}})
    cmds = nagios_commands()
    env = dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW)
    cases = [
        ("check_kms_host", "-p %d" % kms_rpc_server.port, 0),
        ("check_kms_host", "-p %d -t 3" % harness.free_port(), 2),
        ("check_kms_dns", "-s %s -e kms01.corp.example" % dns.server, 0),
        ("check_kms_dns", "-s %s -e kms02.corp.example" % dns.server, 2),
    ]
    for command, arg1, state in cases:
        line = expand(cmds[command], {"USER1": harness.BUILD, "HOSTADDRESS": "127.0.0.1",
                                      "_HOSTKMS_DOMAIN": "corp.example", "ARG1": arg1})
        p = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True,
                           timeout=30, env=env)
        assert p.returncode == state, (line, p.stdout, p.stderr)
    assert kms_rpc_server.pdu_types() == [11], "one bind, nothing else"


# --- Icinga 2 definitions vs --help --------------------------------------------

def icinga_commands():
    """{object or template name: (imports, set of argument keys)}"""
    text = open(ICINGA_CONF).read()
    out = {}
    for m in re.finditer(r'^(?:object|template) CheckCommand "([^"]+)" \{\n(.*?)^\}',
                         text, re.S | re.M):
        body = m.group(2)
        out[m.group(1)] = (re.findall(r'^\timport "([^"]+)"', body, re.M),
                           set(re.findall(r'^\t\t"(-[^"]+)" = \{', body, re.M)))
    return out


def command_args(name, cmds):
    imports, keys = cmds.get(name, ([], set()))
    keys = set(keys)
    for i in imports:
        keys |= command_args(i, cmds)
    return keys


def help_options(plugin):
    """[(short or None, long)] of every option --help lists."""
    p = subprocess.run([harness.plugin(plugin), "--help"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p
    return re.findall(r"^ (?:(-\w), )?(--[\w-]+)", p.stdout, re.M)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_icinga_command_matches_help(plugin):
    built(plugin)
    cmds = icinga_commands()
    name = "kms_" + plugin[len("check_kms_"):]
    assert name in cmds, sorted(cmds)
    keys = command_args(name, cmds)
    opts = help_options(plugin)
    known = {o for pair in opts for o in pair if o}
    assert keys - known == set(), "CheckCommand %s passes options %s --help does not list" % (
        name, sorted(keys - known))
    missing = [lng for short, lng in opts
               if lng not in ("--help", "--version") and lng not in keys and short not in keys]
    assert missing == [], "options of %s --help the CheckCommand %s cannot pass" % (plugin, name)
    # the command runs the plugin of the same name from PluginContribDir
    text = open(ICINGA_CONF).read()
    assert 'command = [ PluginContribDir + "/%s" ]' % plugin in text


# --- Debian package ------------------------------------------------------------

@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if not shutil.which("dpkg-buildpackage"):
        pytest.skip("dpkg-buildpackage missing (make deps)")
    out = tmp_path_factory.mktemp("deb")
    p = subprocess.run(["make", "-C", ROOT, "deb", "BUILD=%s" % out],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert debs == ["kms-plugins_%s_%s.deb" % (VERSION, subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip())], debs
    return os.path.join(out, debs[0])


def deb_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True,
                          text=True, check=True).stdout.strip()


@slow
def test_deb_control(deb):
    assert deb_field(deb, "Package") == "kms-plugins"
    assert deb_field(deb, "Version") == VERSION
    depends = deb_field(deb, "Depends")
    assert "libjansson4" in depends and "libc6" in depends, depends
    # libcurl is dlopen()ed for http(s) only: recommended, never a dependency
    assert "curl" not in depends, depends
    assert deb_field(deb, "Recommends") == "libcurl4"
    info = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], capture_output=True,
                          text=True, check=True).stdout.split()
    assert info == ["/etc/nagios-plugins/config/kms-plugins.cfg"]


@slow
def test_deb_files(deb, tmp_path):
    subprocess.run(["dpkg-deb", "-x", deb, str(tmp_path)], check=True)
    plugdir = tmp_path / "usr/lib/nagios/plugins"
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files", "plugins", "packaging/man"],
                             capture_output=True, text=True, check=True).stdout.split()
    want_plugins = sorted(os.path.basename(f)[:-2] for f in tracked
                          if re.match(r"plugins/check_kms_\w+\.c$", f))
    assert sorted(os.listdir(plugdir)) == want_plugins
    for f in tracked:
        if f.startswith("packaging/man/") and f.endswith(".1"):
            assert (tmp_path / "usr/share/man/man1" / (os.path.basename(f) + ".gz")).exists(), f
    conf = tmp_path / "usr/share/icinga2/include/plugins-contrib.d/kms-plugins.conf"
    assert conf.read_text() == open(ICINGA_CONF).read()
    # where icingaweb2-module-graphite reads its own templates (GraphingTrait:
    # the module's base dir + /templates, recursively)
    ini = tmp_path / "usr/share/icingaweb2/modules/graphite/templates/kms-plugins.ini"
    assert ini.read_text() == open(os.path.join(ROOT, "packaging", "icingaweb2",
                                                "kms-plugins.ini")).read()
    dash = tmp_path / "usr/share/doc/kms-plugins/grafana/kms-plugins.json"
    assert dash.read_text() == open(os.path.join(ROOT, "packaging", "grafana",
                                                 "kms-plugins.json")).read()
    nag = tmp_path / "etc/nagios-plugins/config/kms-plugins.cfg"
    assert nag.read_text() == open(os.path.join(NAGIOS_DIR, "kms-plugins.cfg")).read()
    doc = tmp_path / "usr/share/doc/kms-plugins"
    for f in ("copyright", "README.md.gz", "DESIGN.md.gz", "examples/example.conf",
              "examples/example-services.cfg", "exporter/kms-status-exporter.ps1",
              "exporter/README.md.gz", "samples/healthy.json",
              "samples/kms-status-v1.schema.json", "schema/check-output.schema.json",
              # -SelfTest reads its fixtures beside the script, uncompressed
              "exporter/fixtures/mixed-requests.json",
              "exporter/fixtures/expected/mixed-requests.json"):
        assert (doc / f).exists(), f
    for name in want_plugins:
        exe = plugdir / name
        p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=10)
        assert p.returncode == 0 and VERSION in p.stdout, (name, p)
        needed = subprocess.run(["readelf", "-d", str(exe)], capture_output=True,
                                text=True, check=True).stdout
        assert "libcurl" not in needed, "%s links libcurl (it must dlopen it)" % name
    # the packaged plugin on the packaged sample
    p = subprocess.run([str(plugdir / "check_kms_count"), "-u", str(doc / "samples/healthy.json")],
                       capture_output=True, text=True, timeout=10,
                       env=dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW))
    assert p.returncode == 0 and p.stdout.startswith("KMS COUNT OK"), p


@slow
def test_deb_lintian_no_error(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian missing")
    root = ["--allow-root"] if os.geteuid() == 0 else []
    p = subprocess.run(["lintian", "--fail-on", "error"] + root + [deb], capture_output=True,
                       text=True, timeout=300)
    errors = [l for l in p.stdout.splitlines() if l.startswith("E:")]
    assert p.returncode == 0 and errors == [], p.stdout + p.stderr


@slow
def test_deb_installs_with_dpkg(deb, tmp_path):
    """dpkg -i into a private root (--root): the system is not touched; the
    installed plugin runs; dpkg -r removes it and keeps the conffile."""
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").write_text("")
    dpkg = ["dpkg", "--root=%s" % root, "--force-depends", "--force-not-root",
            "--force-script-chrootless", "--log=%s" % (tmp_path / "dpkg.log")]
    p = subprocess.run(dpkg + ["-i", deb], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    status = subprocess.run(dpkg + ["-s", "kms-plugins"], capture_output=True, text=True)
    assert "Status: install ok installed" in status.stdout, status
    exe = root / "usr/lib/nagios/plugins/check_kms_renewal"
    r = subprocess.run([str(exe), "-u", os.path.join(SAMPLES, "expiring.json")],
                       capture_output=True, text=True, timeout=10,
                       env=dict(os.environ, KMS_PLUGINS_NOW=harness.SAMPLE_NOW))
    assert r.returncode == 2 and r.stdout.startswith("KMS RENEWAL CRITICAL"), r
    p = subprocess.run(dpkg + ["-r", "kms-plugins"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not exe.exists()
    assert (root / "etc/nagios-plugins/config/kms-plugins.cfg").exists()


# --- RPM -------------------------------------------------------------------------

@slow
def test_rpm_builds(tmp_path):
    if not shutil.which("rpmbuild"):
        pytest.skip("rpmbuild missing (Debian package rpm)")
    p = subprocess.run(["make", "-C", ROOT, "rpm", "BUILD=%s" % tmp_path],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    rpms = [f for f in os.listdir(tmp_path) if f.endswith(".rpm")]
    assert len(rpms) == 1 and rpms[0].startswith("kms-plugins-%s-1." % VERSION), rpms
    files = subprocess.run(["rpm", "-qlp", str(tmp_path / rpms[0])], capture_output=True,
                           text=True, check=True).stdout.split()
    assert "/usr/share/icinga2/include/plugins-contrib.d/kms-plugins.conf" in files
    assert any(re.match(r"/usr/lib(64)?/nagios/plugins/check_kms_count$", f) for f in files), files
    assert "/usr/share/doc/kms-plugins/examples/kms-plugins.cfg" in files
    assert "/usr/share/icingaweb2/modules/graphite/templates/kms-plugins.ini" in files
    assert "/usr/share/doc/kms-plugins/grafana/kms-plugins.json" in files


def test_nagios_cfg_names_its_installed_file():
    """The .cfg's header says where the Debian package puts it; both agree
    (it once said kms.cfg)."""
    with open(os.path.join(NAGIOS_DIR, "kms-plugins.cfg")) as f:
        text = f.read()
    with open(os.path.join(ROOT, "packaging", "debian", "kms-plugins.install")) as f:
        install = f.read()
    assert "packaging/nagios/kms-plugins.cfg etc/nagios-plugins/config/" in install
    named = re.findall(r"/etc/nagios-plugins/config/[\w.-]+", text)
    assert named == ["/etc/nagios-plugins/config/kms-plugins.cfg"], named
