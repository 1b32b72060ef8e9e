"""common/fetch.c end to end, through the kms_fetch test tool, against the
nginx and drip peers (peers/nginx.py): TLS, basic auth, status codes,
redirects, size limits, timeouts, local files, and that no credential ever
shows and no binary links libcurl."""
import http.server
import os
import subprocess
import threading
import time

import pytest

import harness
from peers.httpbad import http_bad  # noqa: F401 (a fixture)
from peers.nginx import BIG_SIZE, REDIRECT_CODES, SLOW_RATE, SMALL_DOC


def fetch(*args, env=None, timeout=60):
    """Run kms_fetch (under KMS_WRAPPER) and check the output contract."""
    cmd = harness.WRAPPER + [harness.tool("kms_fetch")] + [str(a) for a in args]
    full_env = dict(os.environ)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        full_env.pop(var, None)  # tests talk to loopback only
    full_env.update(env or {})
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    res = harness.Result(cmd, proc, time.monotonic() - t0)
    assert res.code != 99, "valgrind reported errors: %r" % res
    assert res.code in harness.STATES, res
    assert res.state == harness.STATES[res.code], res
    assert res.aspect == "FETCH", res
    assert "AddressSanitizer" not in res.stderr and "runtime error" not in res.stderr, res
    return res


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def ok_summary(data):
    return "%d bytes, FNV-1a %016x" % (len(data), fnv1a(data))


def assert_ok(res, data):
    assert res.code == 0, res
    assert res.summary == ok_summary(data), res
    assert res.perf["size"]["value"] == len(data), res
    assert res.perf["size"]["uom"] == "B", res


def assert_unknown(res, summary):
    assert res.code == 3, res
    assert res.summary == summary, res


# --- TLS ---------------------------------------------------------------------

def test_https_with_right_ca(nginx):
    assert_ok(fetch("--cacert", nginx.ca, nginx.https_url("/doc.json")), SMALL_DOC)


def test_https_with_wrong_ca_names_tls_failure(nginx):
    url = nginx.https_url("/doc.json")
    res = fetch("-v", "--cacert", nginx.wrong_ca, url)
    assert_unknown(res, "TLS: unknown CA for " + url)
    # libcurl's own words stay available, at -v
    assert "SSL certificate problem: unable to get local issuer certificate" in res.stderr, res


def test_https_without_cacert_uses_system_store_and_fails(nginx):
    url = nginx.https_url("/doc.json")
    # -t 60: under valgrind, reading the whole system CA store takes seconds
    res = fetch("-t", "60", url, timeout=90)
    assert_unknown(res, "TLS: unknown CA for " + url)


def test_insecure_skips_verification_and_says_so(nginx):
    res = fetch("--insecure", "-v", "--cacert", nginx.wrong_ca,
                nginx.https_url("/doc.json"))
    assert_ok(res, SMALL_DOC)
    assert "TLS verification disabled (--insecure)" in res.stderr, res


def test_missing_cacert_file_is_named(nginx):
    url = nginx.https_url("/doc.json")
    res = fetch("--cacert", "/nonexistent/ca.pem", url)
    assert_unknown(res, "cannot open --cacert /nonexistent/ca.pem: No such file or directory")


def test_client_certificate_accepted(nginx):
    res = fetch("--cacert", nginx.ca, "--client-cert", nginx.client_cert,
                "--client-key", nginx.client_key, nginx.mtls_url("/doc.json"))
    assert_ok(res, SMALL_DOC)


def test_client_certificate_required(nginx):
    # nginx answers a missing client certificate with a 400 page
    url = nginx.mtls_url("/doc.json")
    assert_unknown(fetch("--cacert", nginx.ca, url), "HTTP 400 Bad Request from " + url)


def test_client_certificate_file_missing(nginx):
    url = nginx.mtls_url("/doc.json")
    res = fetch("--cacert", nginx.ca, "--client-cert", "/nonexistent/client.pem",
                "--client-key", nginx.client_key, url)
    assert_unknown(res, "cannot open --client-cert /nonexistent/client.pem: "
                        "No such file or directory")
    res = fetch("--cacert", nginx.ca, "--client-cert", nginx.client_cert,
                "--client-key", "/nonexistent/client.key", url)
    assert_unknown(res, "cannot open --client-key /nonexistent/client.key: "
                        "No such file or directory")


def test_client_certificate_not_a_certificate(nginx):
    url = nginx.mtls_url("/doc.json")
    res = fetch("--cacert", nginx.ca, "--client-cert", nginx.auth_file,
                "--client-key", nginx.client_key, url)
    assert_unknown(res, "TLS: bad client certificate for " + url)
    assert nginx.password not in res.stdout + res.stderr, res


# --- basic auth and credential secrecy ------------------------------------------

def test_basic_auth_with_auth_file(nginx):
    res = fetch("-vvv", "--cacert", nginx.ca, "--auth-file", nginx.auth_file,
                nginx.https_url("/auth/doc.json"))
    assert_ok(res, SMALL_DOC)
    assert nginx.password not in res.stdout + res.stderr, res
    assert "Authorization" not in res.stderr, res


def test_auth_required_without_credentials_is_401(nginx):
    url = nginx.https_url("/auth/doc.json")
    res = fetch("--cacert", nginx.ca, url)
    assert_unknown(res, "HTTP 401 Unauthorized from " + url)


def test_wrong_password_in_url_is_401_and_redacted(nginx):
    secret = "wrong-" + nginx.password
    path = "/auth/doc.json"
    url = "https://%s:%s@127.0.0.1:%d%s" % (nginx.user, secret, nginx.https_port, path)
    res = fetch("-vvv", "--cacert", nginx.ca, url)
    assert_unknown(res, "HTTP 401 Unauthorized from " + nginx.https_url(path))
    assert secret not in res.stdout + res.stderr, res
    assert nginx.user + ":" not in res.stdout + res.stderr, res


def test_right_password_in_url_never_shown(nginx):
    url = "http://%s:%s@127.0.0.1:%d/auth/doc.json" % (
        nginx.user, nginx.password, nginx.http_port)
    res = fetch("-vvv", url)
    assert_ok(res, SMALL_DOC)
    assert nginx.password not in res.stdout + res.stderr, res
    assert "the URL carries credentials, which anyone who can list processes " \
        "sees: --auth-file or --netrc keep them private" in res.stderr, res


def test_userinfo_redacted_in_connection_errors():
    port = harness.free_port()
    res = fetch("-vvv", "http://admin:hunter2-secret@127.0.0.1:%d/doc.json" % port)
    assert res.code == 3, res
    assert res.summary == "connection refused by http://127.0.0.1:%d/doc.json" % port, res
    assert "hunter2" not in res.stdout + res.stderr, res


# (not "admin:#x": libcurl would take "admin" for the host and ask the
# system resolver, off loopback)
@pytest.mark.parametrize("userinfo", ["admin:p#ss-1234", "admin:pa?ss-5678",
                                      "admin:p?a#ss-9012"])
def test_unencoded_password_in_url_never_shown(userinfo):
    # libcurl cannot parse these; its detail at -v must not quote the secret
    res = fetch("-vvv", "http://%s@127.0.0.1:9/doc.json" % userinfo)
    assert_unknown(res, "malformed URL http://127.0.0.1:9/doc.json")
    secret = userinfo.split(":", 1)[1]
    assert secret not in res.stdout + res.stderr, res


def test_netrc_file_supplies_credentials(nginx, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login %s password %s\n" % (nginx.user, nginx.password))
    netrc.chmod(0o600)
    res = fetch("-vvv", "--netrc-file", netrc, nginx.http_url("/auth/doc.json"))
    assert_ok(res, SMALL_DOC)
    assert nginx.password not in res.stdout + res.stderr, res


def test_auth_file_missing(nginx):
    res = fetch("--auth-file", "/nonexistent/auth", nginx.http_url("/auth/doc.json"))
    assert_unknown(res, "cannot open --auth-file /nonexistent/auth: "
                        "No such file or directory")


def test_auth_file_malformed_is_named_not_echoed(nginx, tmp_path):
    bad = tmp_path / "auth"
    bad.write_text("only-a-secret-token-42\n")
    res = fetch("--auth-file", bad, nginx.http_url("/auth/doc.json"))
    assert_unknown(res, "--auth-file %s: first line is not user:password" % bad)
    assert "secret-token-42" not in res.stdout + res.stderr, res


def test_auth_file_empty(nginx, tmp_path):
    empty = tmp_path / "auth"
    empty.write_text("")
    res = fetch("--auth-file", empty, nginx.http_url("/auth/doc.json"))
    assert_unknown(res, "--auth-file %s is empty: expected user:password on "
                        "its first line" % empty)


def test_auth_file_with_crlf_line(nginx, tmp_path):
    f = tmp_path / "auth"
    f.write_bytes(("%s:%s\r\nignored\n" % (nginx.user, nginx.password)).encode())
    assert_ok(fetch("--auth-file", f, nginx.http_url("/auth/doc.json")), SMALL_DOC)


# --- status codes and redirects ---------------------------------------------------

def test_404(nginx):
    url = nginx.https_url("/404")
    assert_unknown(fetch("--cacert", nginx.ca, url), "HTTP 404 Not Found from " + url)


def test_missing_document_is_404(nginx):
    url = nginx.http_url("/no-such.json")
    assert_unknown(fetch(url), "HTTP 404 Not Found from " + url)


def test_500(nginx):
    url = nginx.http_url("/500")
    assert_unknown(fetch(url), "HTTP 500 Internal Server Error from " + url)


def test_redirect_chain_of_3_followed(nginx):
    assert_ok(fetch("--cacert", nginx.ca, nginx.https_url("/r3/1")), SMALL_DOC)


def test_redirect_chain_of_6_refused(nginx):
    url = nginx.http_url("/r6/1")
    assert_unknown(fetch(url), "more than 5 redirects from " + url)


def test_redirect_to_file_refused(nginx):
    url = nginx.http_url("/to-file")
    res = fetch(url)
    assert_unknown(res, "%s redirects to file:///etc/passwd: only http and https "
                        "are followed" % url)
    assert "root:" not in res.stdout, res


def test_redirect_to_ftp_refused(nginx):
    url = nginx.http_url("/to-ftp")
    assert_unknown(fetch(url), "%s redirects to ftp://127.0.0.1/doc.json: only http "
                               "and https are followed" % url)


# --- redirects and https ---------------------------------------------------------

@pytest.mark.parametrize("code", REDIRECT_CODES)
def test_https_redirect_to_http_refused(nginx, code):
    src = nginx.https_url("/down/%d" % code)
    res = fetch("--cacert", nginx.ca, src)
    assert_unknown(res, "%s redirects to %s: refusing to leave https"
                   % (src, nginx.http_url("/doc.json")))


@pytest.mark.parametrize("path, src_path, dst", [
    # the hop that leaves https is named, not the first URL
    ("/hop/down", "/down/302", "http://127.0.0.1:{http}/doc.json"),
    ("/down-caps", "/down-caps", "http://127.0.0.1:{http}/doc.json"),
    # plain http to the https server's own port is still plain http
    ("/to-http-on-https", "/to-http-on-https", "http://127.0.0.1:{https}/doc.json"),
    # the target's user:password@ and ?token= are not shown
    ("/down-secret", "/down-secret", "http://127.0.0.1:{http}/doc.json?..."),
])
def test_https_downgrade_forms_refused(nginx, path, src_path, dst):
    res = fetch("-vvv", "--cacert", nginx.ca, nginx.https_url(path))
    dst = dst.format(http=nginx.http_port, https=nginx.https_port)
    assert_unknown(res, "%s redirects to %s: refusing to leave https"
                   % (nginx.https_url(src_path), dst))
    assert nginx.password not in res.stdout + res.stderr, res


@pytest.mark.parametrize("path", ["/up/%d" % c for c in REDIRECT_CODES] + ["/hop/up"])
def test_https_redirect_to_https_followed(nginx, path):
    assert_ok(fetch("--cacert", nginx.ca, nginx.https_url(path)), SMALL_DOC)


@pytest.mark.parametrize("path", ["/down/%d" % c for c in REDIRECT_CODES] +
                         ["/up/%d" % c for c in REDIRECT_CODES] + ["/hop/down"])
def test_http_redirect_to_http_or_https_followed(nginx, path):
    assert_ok(fetch("--cacert", nginx.ca, nginx.http_url(path)), SMALL_DOC)


@pytest.mark.parametrize("code", REDIRECT_CODES)
def test_tls_error_after_redirect_names_the_url_that_failed(nginx, code):
    # the first server is trusted, the one redirected to is not
    res = fetch("--cacert", nginx.ca, nginx.https_url("/other/%d" % code))
    assert_unknown(res, "TLS: unknown CA for " + nginx.other_url("/doc.json"))
    # and the other way round: the first hop fails, and is named
    url = nginx.https_url("/other/%d" % code)
    assert_unknown(fetch("--cacert", nginx.other_ca, url), "TLS: unknown CA for " + url)


def test_tls_error_after_redirect_through_the_plugin(nginx):
    nginx.put_sample("healthy.json", "fetch/healthy.json")
    src = nginx.https_url("/other/307")
    res = harness.run("check_kms_count", "-u", src, "--cacert", nginx.ca)
    assert res.code == 3, res
    # the URL that failed, once: the last hop, not the -u URL
    assert res.first == ("KMS COUNT UNKNOWN - TLS: unknown CA for %s"
                         % nginx.other_url("/doc.json")), res
    assert len(res.line1) == len(res.first), res   # not cut


def test_auth_file_credentials_follow_a_same_origin_redirect(nginx):
    res = fetch("--cacert", nginx.ca, "--auth-file", nginx.auth_file,
                nginx.https_url("/to-auth"))
    assert_ok(res, SMALL_DOC)


@pytest.mark.parametrize("start", ["http_url", "other_url"])
def test_auth_file_credentials_not_sent_to_another_origin(nginx, start):
    # from the http server, or the other https server, to /auth/ on the
    # https server: another scheme or port, so no Authorization header
    res = fetch("-vv", "--insecure", "--auth-file", nginx.auth_file, getattr(nginx, start)("/to-auth-other"))
    assert_unknown(res, "HTTP 401 Unauthorized from " + nginx.https_url("/auth/doc.json"))
    assert ("not sending the --auth-file credentials to %s (another host, port or "
            "scheme)" % nginx.https_url("/auth/doc.json")) in res.stderr, res
    assert nginx.password not in res.stdout + res.stderr, res


@pytest.mark.parametrize("scheme, path, summary", [
    ("http", "/304", "HTTP 304 Not Modified from {url}"),
    ("https", "/304", "HTTP 304 Not Modified from {url}"),
    ("http", "/300", "HTTP 300 Multiple Choices from {url}"),
])
def test_3xx_not_followed_names_the_status(nginx, scheme, path, summary):
    url = getattr(nginx, scheme + "_url")(path)
    res = fetch("-v", "--cacert", nginx.ca, url)
    assert_unknown(res, summary.format(url=url))
    assert "redirect not followed" not in res.stdout + res.stderr, res
    if path == "/304":
        assert "HTTP 304 answers a conditional request; the plugins send none" \
            in res.stderr, res


@pytest.mark.parametrize("path, url_path, summary", [
    ("/line-1m", "/line-1m", "HTTP header over 100 KiB from {url}"),
    ("/line-200k", "/line-200k", "HTTP header over 100 KiB from {url}"),
    ("/line-101k", "/line-101k", "HTTP header over 100 KiB from {url}"),
    ("/many", "/many", "HTTP headers over 300 KiB from {url}"),
    # after a redirect: the URL whose answer was too large
    ("/hop/line-1m", "/line-1m", "HTTP header over 100 KiB from {url}"),
    ("/hop/many", "/many", "HTTP headers over 300 KiB from {url}"),
])
def test_header_too_large_is_named(http_bad, path, url_path, summary):
    res = fetch(http_bad.url(path))
    assert_unknown(res, summary.format(url=http_bad.url(url_path)))
    assert "memory" not in res.summary, res


@pytest.mark.parametrize("path, status", [
    ("/auth/doc.json", "401 Unauthorized"),
    ("/404", "404 Not Found"),
    ("/500", "500 Internal Server Error"),
])
def test_vvv_on_error_status_logs_the_status(nginx, path, status):
    url = nginx.https_url(path)
    res = fetch("-vvv", "--cacert", nginx.ca, url)
    assert_unknown(res, "HTTP %s from %s" % (status, url))
    assert "%s: HTTP %s, body not read" % (url, status) in res.stderr, res
    assert "Failed writing" not in res.stderr, res


# --- --auth-file permissions ------------------------------------------------------

@pytest.mark.parametrize("mode, word", [
    (0o644, "readable"), (0o640, "readable"), (0o604, "readable"),
    (0o620, "writable"), (0o610, "usable"), (0o600, None), (0o400, None),
])
def test_auth_file_open_to_others_warned_at_v(nginx, tmp_path, mode, word):
    f = tmp_path / "auth"
    f.write_text("%s:%s\n" % (nginx.user, nginx.password))
    f.chmod(mode)
    url = nginx.http_url("/auth/doc.json")
    res = fetch("-v", "--auth-file", f, url)
    assert_ok(res, SMALL_DOC)
    line = "--auth-file %s is %s by others (mode %04o): chmod 600 it" % (f, word, mode)
    if word:
        assert line in res.stderr.splitlines(), res
    else:
        assert "--auth-file" not in res.stderr, res
    assert nginx.password not in res.stdout + res.stderr, res
    quiet = fetch("--auth-file", f, url)
    assert_ok(quiet, SMALL_DOC)
    assert quiet.stderr == "", quiet


# --- line 1 of every fetch error fits a phone ---------------------------------------

def _error_cases(nginx, http_bad, tmp_path):
    refused = "http://127.0.0.1:%d/kms-status.json" % harness.free_port()
    return [
        (["--cacert", nginx.wrong_ca, nginx.https_url("/count/doc.json")], "TLS: unknown CA"),
        (["--cacert", nginx.ca, nginx.https_url("/count/missing.json")], "HTTP 404"),
        (["--cacert", nginx.ca, nginx.https_url("/auth/doc.json")], "HTTP 401"),
        (["--cacert", nginx.ca, nginx.https_url("/304")], "HTTP 304"),
        ([nginx.http_url("/r6/1")], "more than 5 redirects"),
        ([http_bad.url("/line-1m")], "HTTP header over"),
        ([http_bad.url("/many")], "HTTP headers over"),
        ([refused], "connection refused"),
        (["--cacert", "/nonexistent/ca.pem", nginx.https_url("/count/doc.json")],
         "cannot open --cacert"),
        (["--max-size", "100", "--cacert", nginx.ca, nginx.https_url("/count/doc.json")],
         "body over --max-size"),
        # not here: a refused downgrade, which names two URLs
    ]


def test_fetch_errors_fit_100_characters(nginx, http_bad, tmp_path):
    """Each single-URL fetch error, as kms_fetch prints it, leaves line 1 at
    most 100 characters long for the longest plugin aspect ("RENEWAL",
    "SERVICE": two more than "FETCH"), with URLs of 30-40 characters."""
    nginx.put_sample("healthy.json", "count/doc.json")
    for args, words in _error_cases(nginx, http_bad, tmp_path):
        res = fetch(*args)
        assert res.code == 3, res
        assert words in res.summary, (words, res)
        assert len(res.first) + 2 <= 100, (len(res.first), res.first)


@pytest.mark.parametrize("plugin", ["check_kms_count", "check_kms_renewal",
                                    "check_kms_service"])
def test_fetch_errors_fit_100_characters_in_plugins(nginx, http_bad, tmp_path, plugin):
    nginx.put_sample("healthy.json", "count/doc.json")
    for args, words in _error_cases(nginx, http_bad, tmp_path):
        url = [a for a in args if "://" in str(a)][-1]
        res = harness.run(plugin, *(["-u", url] + [a for a in args if a != url]))
        assert res.code == 3, res
        assert words in res.first, (words, res)
        assert len(res.first) <= 100, (len(res.first), res.first)


# --- size limits ----------------------------------------------------------------

def test_body_over_max_size_refused(nginx):
    res = fetch("--max-size", "100000", nginx.http_url("/big.bin"))
    assert_unknown(res, "body over --max-size 100000 bytes from " + nginx.http_url("/big.bin"))


def test_gzip_body_counts_decompressed_size(nginx):
    # compressed, big.json is a few KB: far below the limit
    url = nginx.http_url("/big.json")
    head = subprocess.run(["curl", "-sS", "--compressed", "-o", "/dev/null",
                           "-w", "%{size_download}", "--noproxy", "*", url],
                          capture_output=True, text=True, check=True)
    assert 0 < int(head.stdout) < 100000
    res = fetch("--max-size", "100000", url)
    assert_unknown(res, "body over --max-size 100000 bytes from " + url)


def test_gzip_body_decompressed_intact(nginx):
    with open(os.path.join(nginx.docroot, "big.json"), "rb") as f:
        data = f.read()
    assert len(data) == BIG_SIZE
    assert_ok(fetch(nginx.http_url("/big.json")), data)


def test_body_exactly_max_size_accepted(nginx):
    assert_ok(fetch("--max-size", str(len(SMALL_DOC)), nginx.http_url("/doc.json")),
              SMALL_DOC)


def test_file_over_max_size_refused(tmp_path):
    f = tmp_path / "doc.json"
    f.write_bytes(b"x" * 5000)
    assert_unknown(fetch("--max-size", "4999", f),
                   "body over --max-size 4999 bytes")


# --- time -----------------------------------------------------------------------

@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_drip_slower_than_timeout_ends_in_time(http_drip):
    # -t bounds the whole transfer, not each read: bytes keep arriving
    url = http_drip.url("/doc.json")
    res = fetch("-t", "2", url)
    assert res.code == 3, res
    assert res.elapsed < 3.0, res
    assert res.summary == "fetching %s timed out after 2 s" % url, res


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_timeout_state_override(http_drip):
    url = http_drip.url("/doc.json")
    res = fetch("-t", "1:CRITICAL", url)
    assert res.code == 2, res
    assert res.elapsed < 2.0, res
    assert res.first == "KMS FETCH CRITICAL - fetching %s timed out after 1 s" % url, res


def test_connection_refused_is_named():
    port = harness.free_port()
    url = "http://127.0.0.1:%d/doc.json" % port
    assert_unknown(fetch(url), "connection refused by " + url)


# --- proxies (libcurl's environment handling) ------------------------------------

def test_http_proxy_from_environment(nginx):
    # nginx answers a proxy-style request line with its docroot, so the name
    # below never needs to resolve: the request can only succeed via the proxy
    res = fetch("http://kms01.example.invalid/doc.json",
                env={"http_proxy": nginx.http_url("")})
    assert_ok(res, SMALL_DOC)


def test_no_proxy_bypasses_proxy(nginx):
    dead = "http://127.0.0.1:%d" % harness.free_port()
    res = fetch(nginx.http_url("/doc.json"),
                env={"http_proxy": dead, "no_proxy": "127.0.0.1"})
    assert_ok(res, SMALL_DOC)
    res = fetch(nginx.http_url("/doc.json"), env={"http_proxy": dead})
    assert res.code == 3, res
    # the proxy itself is down: its refusal is named
    assert res.summary == "connection refused by " + nginx.http_url("/doc.json"), res


class RecordingProxy:
    """A forward HTTP proxy on loopback, run by the test itself: it records
    each request line and answers every GET with `body` (200,
    application/json), never contacting the origin."""

    def __init__(self, body):
        lines = self.lines = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                lines.append(self.requestline)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


PROXIED_URL = "http://kms01.corp.example.invalid/kms-status.json"


@pytest.fixture
def proxy_env(monkeypatch):
    """No proxy variable of the caller's environment reaches the plugin."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_plugin_uses_http_proxy_from_environment(proxy_env):
    with open(os.path.join(harness.SAMPLES, "healthy.json"), "rb") as f:
        body = f.read()
    with RecordingProxy(body) as proxy:
        res = harness.run("check_kms_count", "-u", PROXIED_URL,
                          env={"http_proxy": "http://127.0.0.1:%d" % proxy.port})
    assert res.code == 0, res
    assert res.first == "KMS COUNT OK - Windows 31 OK; Office 2013+ 10 OK", res
    assert proxy.lines == ["GET %s HTTP/1.1" % PROXIED_URL], (proxy.lines, res)


def test_plugin_no_proxy_bypasses_proxy(proxy_env):
    """A host listed in no_proxy is fetched directly: here a closed loopback
    port, so the proxy sees nothing and the plugin names the refusal."""
    port = harness.free_port()
    url = "http://127.0.0.1:%d/kms-status.json" % port
    with RecordingProxy(b"{}") as proxy:
        res = harness.run("check_kms_count", "-u", url,
                          env={"http_proxy": "http://127.0.0.1:%d" % proxy.port,
                               "no_proxy": "127.0.0.1"})
    assert proxy.lines == [], (proxy.lines, res)
    assert res.code == 3, res
    assert res.first == "KMS COUNT UNKNOWN - connection refused by " + url, res


# --- local files ----------------------------------------------------------------

def test_plain_path(tmp_path):
    data = SMALL_DOC * 3000  # several 64 KiB chunks
    f = tmp_path / "doc.json"
    f.write_bytes(data)
    assert_ok(fetch(f), data)


def test_file_url(tmp_path):
    f = tmp_path / "doc.json"
    f.write_bytes(SMALL_DOC)
    assert_ok(fetch("file://%s" % f), SMALL_DOC)
    assert_ok(fetch("-u", "file://localhost%s" % f), SMALL_DOC)


def test_file_url_percent_escapes(tmp_path):
    f = tmp_path / "kms status.json"
    f.write_bytes(SMALL_DOC)
    assert_ok(fetch("file://%s/kms%%20status.json" % tmp_path), SMALL_DOC)


def test_file_url_with_remote_host_refused():
    res = fetch("file://server/share/doc.json")
    assert_unknown(res, "file:// URL file://server/share/doc.json names a remote "
                        "host: only file:///path and file://localhost/path are read")


def test_empty_file_is_zero_bytes(tmp_path):
    f = tmp_path / "empty.json"
    f.write_bytes(b"")
    assert_ok(fetch(f), b"")


def test_missing_file():
    assert_unknown(fetch("/nonexistent/kms.json"),
                   "cannot open /nonexistent/kms.json: No such file or directory")
    assert_unknown(fetch("file:///nonexistent/kms.json"),
                   "cannot open /nonexistent/kms.json: No such file or directory")


def test_directory(tmp_path):
    assert_unknown(fetch(tmp_path), "cannot read %s: Is a directory" % tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    f = tmp_path / "doc.json"
    f.write_bytes(SMALL_DOC)
    f.chmod(0)
    assert_unknown(fetch(f), "cannot open %s: Permission denied" % f)


def test_unsupported_scheme():
    assert_unknown(fetch("ftp://user:pw-x@127.0.0.1/doc.json"),
                   'unsupported URL scheme "ftp" in ftp://127.0.0.1/doc.json: '
                   "use http://, https://, file:// or a path")


# --- linking --------------------------------------------------------------------

def test_binary_does_not_link_libcurl():
    out = subprocess.run(["ldd", harness.tool("kms_fetch")], capture_output=True,
                         text=True, check=True).stdout
    assert "libc.so" in out, out
    assert "libcurl" not in out, out
    for name in sorted(os.listdir(harness.BUILD)):
        if name.startswith("check_kms_"):
            out = subprocess.run(["ldd", harness.plugin(name)], capture_output=True,
                                 text=True, check=True).stdout
            assert "libcurl" not in out, (name, out)


def test_missing_libcurl_named_and_files_never_load_it(tmp_path):
    # a libcurl.so.4 the loader finds first but cannot load stands in for
    # a machine without libcurl4
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "libcurl.so.4").write_bytes(b"not a shared object\n")
    env = {"LD_LIBRARY_PATH": str(libdir)}
    res = fetch("http://127.0.0.1:9/doc.json", env=env)
    assert res.code == 3, res
    assert res.summary.startswith("http(s) URLs need libcurl (libcurl4): "), res
    assert "libcurl.so.4" in res.summary, res
    doc = tmp_path / "doc.json"
    doc.write_bytes(SMALL_DOC)
    assert_ok(fetch(doc, env=env), SMALL_DOC)


# --- several documents at once (fetch_streams) -------------------------------------

def multi(*urls):
    """-u URL for each of urls."""
    return [a for url in urls for a in ("-u", url)]


def ok_line(url, data):
    return "%s: %s" % (url, ok_summary(data))


def assert_all(res, code, first, lines, sizes):
    """The exact exit code, line 1, the lines after it (worst first, in -u
    order within a state) and the perfdata size1, size2... (None: no
    perfdata for that -u)."""
    assert res.code == code, res
    assert res.first == first, res
    assert res.long == lines, res
    for i, size in enumerate(sizes, 1):
        label = "size%d" % i
        if size is None:
            assert label not in res.perf, res
        else:
            assert res.perf[label]["value"] == size, res


def slow_doc(nginx, name, seconds):
    """A document nginx sends in about `seconds` seconds, and its URL."""
    data = os.urandom(SLOW_RATE * seconds)
    nginx.put("slow/" + name, data)
    return nginx.https_url("/slow/" + name), data


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_two_slow_documents_both_arrive_within_one_t(nginx):
    # each takes ~2 s: one after the other they would need 4 s of -t 3
    a, a_data = slow_doc(nginx, "two-a.bin", 2)
    b, b_data = slow_doc(nginx, "two-b.bin", 2)
    res = fetch("-t", "3", "--cacert", nginx.ca, *multi(a, b))
    assert_all(res, 0, "KMS FETCH OK - %s; +1 more" % ok_line(a, a_data),
               ["[OK] " + ok_line(a, a_data), "[OK] " + ok_line(b, b_data)],
               [len(a_data), len(b_data)])
    assert res.elapsed < 3.0, res


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_three_slow_documents_and_a_file_within_one_t(nginx, tmp_path):
    urls, datas = zip(*(slow_doc(nginx, "three-%d.bin" % i, 2) for i in range(3)))
    path = tmp_path / "doc.json"
    path.write_bytes(SMALL_DOC)
    res = fetch("-t", "3", "--cacert", nginx.ca, *multi(urls[0], str(path), urls[1], urls[2]))
    lines = [ok_line(urls[0], datas[0]), ok_line(str(path), SMALL_DOC),
             ok_line(urls[1], datas[1]), ok_line(urls[2], datas[2])]
    assert_all(res, 0, "KMS FETCH OK - %s; +3 more" % lines[0],
               ["[OK] " + line for line in lines],
               [len(datas[0]), len(SMALL_DOC), len(datas[1]), len(datas[2])])


def _failing(nginx, tmp_path, kind):
    """A -u that fails, and the error fetch_stream gives for it."""
    if kind == "404":
        url = nginx.https_url("/404")
        return url, "HTTP 404 Not Found from " + url
    if kind == "tls":
        url = nginx.other_url("/doc.json")
        return url, "TLS: unknown CA for " + url
    if kind == "redirect-tls":
        # fails on its second hop: named by the URL that failed
        return nginx.https_url("/other/302"), "TLS: unknown CA for " + nginx.other_url("/doc.json")
    if kind == "refused":
        url = "https://127.0.0.1:%d/doc.json" % harness.free_port()
        return url, "connection refused by " + url
    if kind == "max-size":
        url = nginx.https_url("/big.bin")
        return url, "body over --max-size 1000000 bytes from " + url
    path = str(tmp_path / "missing.json")
    return path, "cannot open %s: No such file or directory" % path


@pytest.mark.parametrize("kind", ["404", "tls", "redirect-tls", "refused", "max-size", "file"])
@pytest.mark.parametrize("bad_first", [True, False])
def test_one_failing_document_does_not_stop_the_other(nginx, tmp_path, kind, bad_first):
    good = nginx.https_url("/doc.json")
    bad, why = _failing(nginx, tmp_path, kind)
    order = [bad, good] if bad_first else [good, bad]
    res = fetch("--cacert", nginx.ca, "--max-size", "1000000", *multi(*order))
    assert_all(res, 3, "KMS FETCH UNKNOWN - %s: %s" % (bad, why),
               ["[UNKNOWN] %s: %s" % (bad, why), "[OK] " + ok_line(good, SMALL_DOC)],
               [None, len(SMALL_DOC)] if bad_first else [len(SMALL_DOC), None])


def test_both_documents_failing_each_named(nginx):
    missing = nginx.https_url("/missing.json")
    gone = nginx.https_url("/404")
    res = fetch("--cacert", nginx.ca, *multi(missing, gone))
    a = "%s: HTTP 404 Not Found from %s" % (missing, missing)
    b = "%s: HTTP 404 Not Found from %s" % (gone, gone)
    assert_all(res, 3, "KMS FETCH UNKNOWN - %s; +1 more" % a,
               ["[UNKNOWN] " + a, "[UNKNOWN] " + b], [None, None])


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
@pytest.mark.parametrize("redirect_first", [True, False])
def test_redirect_in_one_transfer_while_the_other_streams(nginx, redirect_first):
    # both take ~2 s, so the redirect of one is followed while the other
    # streams: one after the other they would not fit into -t 3
    _, a_data = slow_doc(nginx, "hop-a.bin", 2)
    hop = nginx.https_url("/to-slow/hop-a.bin")
    b, b_data = slow_doc(nginx, "hop-b.bin", 2)
    order = [(hop, a_data), (b, b_data)]
    if not redirect_first:
        order.reverse()
    res = fetch("-vv", "-t", "3", "--cacert", nginx.ca, *multi(*(u for u, _ in order)))
    lines = [ok_line(u, d) for u, d in order]
    assert_all(res, 0, "KMS FETCH OK - %s; +1 more" % lines[0],
               ["[OK] " + line for line in lines], [len(d) for _, d in order])
    assert ("%s: HTTP 302 redirect to %s" % (hop, nginx.https_url("/slow/hop-a.bin"))
            in res.stderr), res


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
@pytest.mark.parametrize("slow_first", [True, False])
@pytest.mark.parametrize("via_redirect", [False, True])
def test_t_expiring_names_the_slow_transfer_and_keeps_the_t_state(nginx, slow_first,
                                                                  via_redirect):
    slow, _ = slow_doc(nginx, "long.bin", 8)
    asked = nginx.https_url("/to-slow/long.bin") if via_redirect else slow
    quick = nginx.https_url("/doc.json")
    order = [asked, quick] if slow_first else [quick, asked]
    res = fetch("-t", "2:CRITICAL", "--cacert", nginx.ca, *multi(*order))
    assert res.code == 2, res
    # the hop still running: after a redirect, its target
    assert res.first == "KMS FETCH CRITICAL - fetching %s timed out after 2 s" % slow, res
    assert res.elapsed < 3.0, res


@pytest.mark.skipif(harness.UNDER_VALGRIND, reason="timing")
def test_t_expiring_with_two_slow_transfers_names_one_of_them(nginx):
    a, _ = slow_doc(nginx, "long-a.bin", 8)
    b, _ = slow_doc(nginx, "long-b.bin", 8)
    res = fetch("-t", "1", "--cacert", nginx.ca, *multi(a, b))
    assert res.code == 3, res
    assert res.first in ("KMS FETCH UNKNOWN - fetching %s timed out after 1 s" % u
                         for u in (a, b)), res
    assert res.elapsed < 2.0, res


def test_auth_file_credentials_per_transfer_origin(nginx):
    # the same --auth-file for both: the first -u is on the auth area's own
    # origin and gets in; the second starts on the http server and is
    # redirected there, so its request carries no password, even with the
    # first transfer's connection to that origin open
    own = nginx.https_url("/auth/doc.json")
    other = nginx.http_url("/to-auth-other")
    for order in ([own, other], [other, own]):
        res = fetch("-vv", "--cacert", nginx.ca, "--auth-file", nginx.auth_file,
                    *multi(*order))
        why = "%s: HTTP 401 Unauthorized from %s" % (other, own)
        assert_all(res, 3, "KMS FETCH UNKNOWN - " + why,
                   ["[UNKNOWN] " + why, "[OK] " + ok_line(own, SMALL_DOC)],
                   [len(SMALL_DOC), None] if order[0] == own else [None, len(SMALL_DOC)])
        assert ("not sending the --auth-file credentials to %s (another host, port or "
                "scheme)" % own) in res.stderr, res
        assert nginx.password not in res.stdout + res.stderr, res


def test_auth_file_problem_named_for_every_https_document(nginx, tmp_path):
    path = tmp_path / "doc.json"
    path.write_bytes(SMALL_DOC)
    a, b = nginx.https_url("/auth/doc.json"), nginx.https_url("/doc.json")
    res = fetch("--cacert", nginx.ca, "--auth-file", "/nonexistent/auth",
                *multi(a, str(path), b))
    why = "cannot open --auth-file /nonexistent/auth: No such file or directory"
    assert_all(res, 3, "KMS FETCH UNKNOWN - %s: %s; +1 more" % (a, why),
               ["[UNKNOWN] %s: %s" % (a, why), "[UNKNOWN] %s: %s" % (b, why),
                "[OK] " + ok_line(str(path), SMALL_DOC)], [None, len(SMALL_DOC), None])


def test_missing_libcurl_fails_the_http_documents_only(tmp_path):
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "libcurl.so.4").write_bytes(b"not a shared object\n")
    doc = tmp_path / "doc.json"
    doc.write_bytes(SMALL_DOC)
    url = "http://127.0.0.1:9/doc.json"
    res = fetch("-u", url, "-u", "file://" + str(doc),
                env={"LD_LIBRARY_PATH": str(libdir)})
    assert res.code == 3, res
    bad, good = res.long
    assert bad.startswith("[UNKNOWN] %s: http(s) URLs need libcurl (libcurl4): " % url), res
    assert good == "[OK] " + ok_line("file://" + str(doc), SMALL_DOC), res
