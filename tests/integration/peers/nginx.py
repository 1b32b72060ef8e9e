"""Fixtures for the status document served over HTTP(S): Debian's nginx on
loopback, with a test CA made at test time, plus a tiny drip server that nginx
cannot play (headers, then one body byte per second).

Fixtures:
- nginx (session): an NginxPeer with .http_url(path), .https_url(path),
  .mtls_url(path) (client certificate required), .ca, .wrong_ca,
  .client_cert, .client_key (PEM paths), .docroot (drop documents there), .user,
  .password, .auth_file (a file holding user:password), .tmp.
  Served paths: any file of the docroot (doc.json, big.bin, big.json are
  made here), /auth/... (basic auth; docroot/auth/doc.json exists), /404,
  /500, /r3/1 (3 redirects to /doc.json), /r6/1 (6 redirects), /to-file
  (redirect to file:///etc/passwd), /to-ftp (redirect to ftp://),
  /down/CODE, /up/CODE, /other/CODE for each CODE of REDIRECT_CODES
  (absolute redirects to http_url, https_url and other_url of /doc.json),
  /hop/down and /hop/up (a relative hop first), /down-caps ("HTTP://"),
  /down-secret (target with user:password@ and ?token=), /to-http-on-https
  (http:// to the https port), /300, /304, /to-auth (relative, to /auth/doc.json)
  and /to-auth-other (to https_url("/auth/doc.json")).
  /slow/NAME: docroot/slow/NAME sent at SLOW_RATE bytes a second, never
  compressed (put() a file there: SLOW_RATE * s bytes take about s seconds);
  /to-slow/NAME: a relative 302 to /slow/NAME.
  .other_url(path): a fourth server, https with a certificate of .other_ca
  (same locations).
  big.bin: BIG_SIZE bytes, not compressible, served without gzip.
  big.json: BIG_SIZE bytes of repetitive JSON, served gzip-compressed to a
  few KB when the client accepts it.
- http_drip (function): a DripServer, .url(path), that sends 200 headers then
  one byte a second (Content-Length 1000).
"""
import os
import secrets
import shutil
import subprocess
import time

import pytest

import harness

BIG_SIZE = 2 * 1024 * 1024
SLOW_RATE = 1024
REDIRECT_CODES = (301, 302, 303, 307, 308)
SMALL_DOC = (b'{"format": "kms-status", "version": 1, '
             b'"generated_at": "2026-11-25T14:00:00Z", '
             b'"host": {"name": "kms01.corp.example"}, "products": []}\n')

_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(tmp, name):
    """A self-signed CA in tmp: returns (cert path, key path)."""
    cnf = os.path.join(tmp, "openssl.cnf")
    if not os.path.exists(cnf):
        with open(cnf, "w") as f:
            f.write(_OPENSSL_CNF)
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    _openssl("req", "-config", cnf, "-x509", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", cert, "-days", "3",
             "-subj", "/CN=kms-plugins test CA " + name,
             "-extensions", "ca_ext", cwd=tmp)
    return cert, key


def make_server_cert(tmp, ca_cert, ca_key, name="server", ext="server_ext"):
    """A certificate signed by the CA: for the server 127.0.0.1/localhost by
    default, for a TLS client with ext="client_ext"."""
    cnf = os.path.join(tmp, "openssl.cnf")
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    csr = os.path.join(tmp, name + ".csr")
    _openssl("req", "-config", cnf, "-new", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1", cwd=tmp)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-set_serial", str(secrets.randbits(63)), "-days", "3",
             "-extfile", cnf, "-extensions", ext, "-out", cert, cwd=tmp)
    return cert, key


class NginxPeer:
    def __init__(self, tmp):
        self.tmp = tmp
        self.docroot = os.path.join(tmp, "docroot")
        self.http_port = harness.free_port()
        self.https_port = harness.free_port()
        while self.https_port == self.http_port:
            self.https_port = harness.free_port()
        self.mtls_port = harness.free_port()
        while self.mtls_port in (self.http_port, self.https_port):
            self.mtls_port = harness.free_port()
        self.other_port = harness.free_port()
        while self.other_port in (self.http_port, self.https_port, self.mtls_port):
            self.other_port = harness.free_port()
        self.user = "monitor"
        self.password = "pw-" + secrets.token_hex(8)
        self.auth_file = os.path.join(tmp, "auth")
        self.peer = None

    def http_url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def https_url(self, path="/"):
        return "https://127.0.0.1:%d%s" % (self.https_port, path)

    def mtls_url(self, path="/"):
        """The https server that requires a client certificate of .ca."""
        return "https://127.0.0.1:%d%s" % (self.mtls_port, path)

    def other_url(self, path="/"):
        """The https server whose certificate comes from .other_ca."""
        return "https://127.0.0.1:%d%s" % (self.other_port, path)

    def put_sample(self, sample, *names):
        """Serve packaging/samples/<sample> under each of names."""
        with open(os.path.join(harness.SAMPLES, sample), "rb") as f:
            data = f.read()
        for name in names:
            self.put(name, data)

    def put(self, name, data):
        """Write data (bytes or str) to docroot/name; returns its path."""
        path = os.path.join(self.docroot, name.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(path, 0o644)
        return path

    def _prepare(self):
        tmp = self.tmp
        os.makedirs(self.docroot)
        os.chmod(tmp, 0o755)
        os.chmod(self.docroot, 0o755)
        self.ca, ca_key = make_ca(tmp, "ca")
        self.wrong_ca, _ = make_ca(tmp, "wrong-ca")
        self.other_ca, other_key = make_ca(tmp, "other-ca")
        self.other_cert, self.other_key = make_server_cert(
            tmp, self.other_ca, other_key, name="other")
        self.cert, self.key = make_server_cert(tmp, self.ca, ca_key)
        self.client_cert, self.client_key = make_server_cert(
            tmp, self.ca, ca_key, name="client", ext="client_ext")

        self.put("doc.json", SMALL_DOC)
        self.put("auth/doc.json", SMALL_DOC)
        self.put("big.bin", os.urandom(BIG_SIZE))
        line = b'{"name": "pc0001.corp.example", "license_state": 1},\n'
        self.put("big.json", (line * (BIG_SIZE // len(line) + 1))[:BIG_SIZE])

        hashed = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"],
                                input=self.password, capture_output=True,
                                text=True, check=True).stdout.strip()
        with open(os.path.join(tmp, "htpasswd"), "w") as f:
            f.write("%s:%s\n" % (self.user, hashed))
        with open(self.auth_file, "w") as f:
            f.write("%s:%s\n" % (self.user, self.password))
        os.chmod(self.auth_file, 0o600)

        redirects = []
        for hops in (3, 6):
            for i in range(1, hops + 1):
                target = "/r%d/%d" % (hops, i + 1) if i < hops else "/doc.json"
                redirects.append("location = /r%d/%d { return 302 %s; }"
                                 % (hops, i, target))
        # redirects that leave https, stay on it, or go to the other CA's
        # server, with each redirect status
        for code in REDIRECT_CODES:
            for name, target in (
                    ("down", self.http_url("/doc.json")),
                    ("up", self.https_url("/doc.json")),
                    ("other", self.other_url("/doc.json"))):
                redirects.append("location = /%s/%d { return %d %s; }"
                                 % (name, code, code, target))
        redirects += [
            # a relative hop on the same server, then off https
            "location = /hop/down { return 302 /down/302; }",
            "location = /hop/up { return 307 /up/308; }",
            # the scheme in capitals, credentials and a token in the target
            "location = /down-caps { return 302 HTTP://127.0.0.1:%d/doc.json; }"
            % self.http_port,
            "location = /down-secret { return 302 http://%s:%s@127.0.0.1:%d/doc.json?token=%s; }"
            % (self.user, self.password, self.http_port, self.password),
            "location = /to-http-on-https { return 302 http://127.0.0.1:%d/doc.json; }"
            % self.https_port,
            "location = /304 { return 304; }",
            'location = /300 { return 300 "choose"; }',
            # to the basic-auth area: on the same origin, and on another
            "location = /to-auth { return 302 /auth/doc.json; }",
            "location = /to-auth-other { return 302 %s; }"
            % self.https_url("/auth/doc.json"),
        ]
        locations = """
        root %(docroot)s;
        absolute_redirect off;
        location /auth/ {
            auth_basic "kms-status";
            auth_basic_user_file %(tmp)s/htpasswd;
        }
        location /slow/ {
            limit_rate %(slow_rate)d;
            gzip off;
        }
        location /to-slow/ { rewrite ^/to-slow/(.*)$ /slow/$1 redirect; }
        location = /404 { return 404; }
        location = /500 { return 500; }
        location = /to-file { return 302 file:///etc/passwd; }
        location = /to-ftp { return 302 ftp://127.0.0.1/doc.json; }
        %(redirects)s
        """ % {"docroot": self.docroot, "tmp": tmp, "slow_rate": SLOW_RATE,
               "redirects": "\n        ".join(redirects)}
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        conf = """
%(user)s
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/error.log warn;
events { worker_connections 64; }
http {
    access_log %(tmp)s/access.log;
    client_body_temp_path %(tmp)s/client_body;
    proxy_temp_path %(tmp)s/proxy;
    fastcgi_temp_path %(tmp)s/fastcgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    scgi_temp_path %(tmp)s/scgi;
    types { application/json json; application/octet-stream bin; }
    default_type application/octet-stream;
    gzip on;
    gzip_types application/json;
    gzip_min_length 1;
    server {
        listen 127.0.0.1:%(http)d;
        %(locations)s
    }
    server {
        listen 127.0.0.1:%(https)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        %(locations)s
    }
    server {
        listen 127.0.0.1:%(other)d ssl;
        ssl_certificate %(other_cert)s;
        ssl_certificate_key %(other_key)s;
        %(locations)s
    }
    server {
        listen 127.0.0.1:%(mtls)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        ssl_client_certificate %(ca)s;
        ssl_verify_client on;
        %(locations)s
    }
}
""" % {"user": "user root;" if os.geteuid() == 0 else "", "tmp": tmp,
       "http": self.http_port, "https": self.https_port,
       "mtls": self.mtls_port, "other": self.other_port,
       "other_cert": self.other_cert, "other_key": self.other_key, "ca": self.ca, "cert": self.cert,
       "key": self.key, "locations": locations}
        self.conf = os.path.join(tmp, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self):
        self._prepare()
        cmd = [shutil.which("nginx") or "/usr/sbin/nginx", "-e",
               os.path.join(self.tmp, "error.log"), "-c", self.conf,
               "-p", self.tmp, "-g", "daemon off;"]
        self.peer = harness.Peer(
            cmd, lambda: harness.wait_tcp("127.0.0.1", self.http_port, 0.2)
            and harness.wait_tcp("127.0.0.1", self.https_port, 0.2)
            and harness.wait_tcp("127.0.0.1", self.mtls_port, 0.2)
            and harness.wait_tcp("127.0.0.1", self.other_port, 0.2),
            "nginx", cwd=self.tmp, log=os.path.join(self.tmp, "nginx.out"))
        self.peer.start()
        return self

    def stop(self):
        if self.peer:
            self.peer.stop()


@pytest.fixture(scope="session")
def nginx(tmp_path_factory):
    peer = NginxPeer(str(tmp_path_factory.mktemp("nginx")))
    try:
        yield peer.start()
    finally:
        peer.stop()


class DripServer(harness.ThreadedServer):
    """Sends a 200 response's headers, then one body byte a second."""

    def __init__(self, interval=1.0, length=1000):
        self.interval, self.length = interval, length
        super().__init__()

    def url(self, path="/doc.json"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _serve(self, conn):
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(65536)  # the request; its content does not matter
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % self.length)
                for _ in range(self.length):
                    if self.stopping.wait(self.interval):
                        return
                    conn.sendall(b" ")
            except OSError:
                return  # the client gave up, as it should



@pytest.fixture
def http_drip():
    server = DripServer().start()
    try:
        yield server
    finally:
        server.stop()
