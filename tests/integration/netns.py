"""Run a plugin where the system resolver cannot reach off this machine:
inside a network namespace of the test's own (only a loopback interface),
with /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf bind-mounted from
a temp directory so that every name lookup goes to a dnsmasq on the
namespace's 127.0.0.1:53, which answers NXDOMAIN for every name it was not
given ("hosts"). Name-failure tests use this instead of asking the real
resolver, which may sit off the machine.

    res = netns.run("check_kms_host", "-H", "kms01.corp.invalid")
    res = netns.run("check_kms_host", "-H", "kms01.corp.example",
                    hosts={"kms01.corp.example": ["::1"]})
    res.queries    # names dnsmasq was asked, in order

Needs unshare(1) (util-linux), ip(8) and dnsmasq; as root `unshare -n -m`,
otherwise a user namespace too (`-r`). available() says whether it works
here; tests skip otherwise, never fall back to the real resolver."""
import functools
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness

DNSMASQ = "/usr/sbin/dnsmasq"

# inside the namespace: loopback up, the resolver files replaced, dnsmasq
# started (it daemonises only once its sockets are bound), the command run,
# dnsmasq stopped; the command's exit code is the script's
_SCRIPT = r"""
set -e
T="$1"; shift
ip link set lo up
for f in resolv.conf hosts nsswitch.conf; do
    mount --bind "$T/$f" "/etc/$f"
done
if [ -s "$T/dnsmasq.args" ]; then
    xargs -a "$T/dnsmasq.args" -d '\n' "$DNSMASQ"
fi
set +e
"$@"
rc=$?
[ -s "$T/pid" ] && kill "$(cat "$T/pid")"
exit $rc
"""


def _unshare():
    base = ["unshare", "--net", "--mount", "--propagation", "private"]
    return base if os.geteuid() == 0 else base[:1] + ["--map-root-user"] + base[1:]


@functools.lru_cache(maxsize=1)
def available():
    """None when namespaces work here, else why not."""
    for tool in ("unshare", "ip", "mount", "xargs"):
        if shutil.which(tool) is None:
            return "%s not installed" % tool
    if not os.path.exists(DNSMASQ):
        return "dnsmasq not installed"
    try:
        p = subprocess.run(_unshare() + ["sh", "-c", "ip link set lo up"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as e:
        return "unshare: %s" % e
    if p.returncode != 0:
        return "unshare: %s" % p.stderr.strip()
    return None


class Result(harness.Result):
    queries = []


def run(name, *args, hosts=None, dns=True, env=None, timeout=60):
    """Run plugin `name` in a fresh network namespace whose only resolver
    is a loopback dnsmasq knowing `hosts` ({name: [addresses]}) and
    answering NXDOMAIN for every other name; dns=False runs no resolver at
    all (nothing listens on 127.0.0.1:53). Checks the output contract as
    harness.run does; .queries lists the names dnsmasq was asked."""
    tmp = tempfile.mkdtemp(prefix="kms-netns-")
    try:
        with open(os.path.join(tmp, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        with open(os.path.join(tmp, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n")
        with open(os.path.join(tmp, "nsswitch.conf"), "w") as f:
            f.write("hosts: files dns\n")
        log = os.path.join(tmp, "dnsmasq.log")
        dargs = []
        if dns:
            dargs = ["--conf-file=/dev/null", "--port=53", "--listen-address=127.0.0.1",
                     "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-negcache",
                     "--user=root", "--pid-file=%s" % os.path.join(tmp, "pid"),
                     "--log-queries", "--log-facility=%s" % log,
                     # every name is local: unknown ones are NXDOMAIN
                     "--local=/#/"]
            for host, addrs in (hosts or {}).items():
                for a in addrs:
                    dargs.append("--host-record=%s,%s" % (host, a))
        with open(os.path.join(tmp, "dnsmasq.args"), "w") as f:
            f.write("\n".join(dargs))
        full_env = dict(os.environ, DNSMASQ=DNSMASQ)
        full_env.setdefault("KMS_PLUGINS_NOW", harness.SAMPLE_NOW)
        if env:
            full_env.update(env)
        cmd = harness.WRAPPER + [harness.plugin(name)] + [str(a) for a in args]
        t0 = time.monotonic()
        proc = subprocess.run(_unshare() + ["sh", "-c", _SCRIPT, "sh", tmp] + cmd,
                              capture_output=True, text=True, env=full_env,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        res = Result(cmd, proc, time.monotonic() - t0)
        res.queries = []
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                res.queries = re.findall(r"query\[\w+\] (\S+) from", f.read())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert res.code != 99, "valgrind reported errors: %r" % res
    assert res.code in harness.STATES, "exit code %s: %r" % (res.code, res)
    assert res.state == harness.STATES[res.code], "state word vs exit code: %r" % res
    assert "AddressSanitizer" not in res.stderr and "runtime error" not in res.stderr, res
    return res
