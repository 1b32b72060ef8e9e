"""Scripted misbehaving TCP peers, one process, the mode chosen by argument.
Every connection's received bytes are logged (one JSON line per connection,
written when it ends) so tests can assert exactly what a plugin sent.

usage: hostile_server.py MODE HOST PORT LOGFILE READYFILE

DCE/RPC modes (the peer first reads one whole PDU, as a server would):
  accept      a well-formed bind_ack accepting context 0 (KMS, NDR)
  reject      bind_ack, every context provider-rejected, reason 1
              (abstract syntax not supported)
  nak         bind_nak, reason 4 (protocol version not supported)
  garbage     an HTTP error page instead of DCE/RPC
  wrongver    a bind_ack claiming DCE/RPC version 4.0
  badcallid   a bind_ack for call_id 7
  truncated   the first 40 of a 108-byte bind_ack, then close
  fraglie     a bind_ack header claiming 4000 bytes, 60 sent, close after 0.5 s
  fraglie_open  the same but the connection stays open (peer waits)
  fraghuge    a bind_ack header claiming 65000 bytes, 60 sent, stays open
  silent      accept, read, never answer
  close       read the bind, then close without answering
  drip        a valid bind_ack, one byte per second
HTTP modes (for the document plugins):
  http_endless  200 with a JSON body that never ends
"""
import json
import socket
import struct
import sys
import threading
import time

KMS = "51c82175-844e-4750-b0d8-ec255555bc06"
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<HH", 2, 0)
NDR64 = bytes.fromhex("33057171babe37498319b5dbef9ccc36") + struct.pack("<HH", 1, 0)


def bind_ack(results, call_id=1, vers=(5, 0), sec_addr=b"1688\x00"):
    """A bind_ack PDU in DCE 1.1 layout (little-endian data representation).
    results: list of (result, reason, transfer syntax bytes)."""
    body = struct.pack("<HHI", 5840, 5840, 0x1234)
    body += struct.pack("<H", len(sec_addr)) + sec_addr
    while (16 + len(body)) % 4:
        body += b"\x00"
    body += struct.pack("<BBH", len(results), 0, 0)
    for result, reason, syntax in results:
        body += struct.pack("<HH", result, reason) + syntax
    frag = 16 + len(body)
    hdr = struct.pack("<BBBB4sHHI", vers[0], vers[1], 12, 3, b"\x10\x00\x00\x00",
                      frag, 0, call_id)
    return hdr + body


def bind_nak(reason):
    body = struct.pack("<HB", reason, 1) + bytes([5, 0])
    frag = 16 + len(body)
    return struct.pack("<BBBB4sHHI", 5, 0, 13, 3, b"\x10\x00\x00\x00", frag, 0, 1) + body


ACCEPT = bind_ack([(0, 0, NDR), (2, 2, bytes(20)), (3, 3, bytes(20))])
REJECT = bind_ack([(2, 1, bytes(20)), (2, 1, bytes(20)), (3, 3, bytes(20))])


def read_pdu(conn, got):
    """Read one DCE/RPC PDU (or whatever arrives within 2 s)."""
    conn.settimeout(2)
    try:
        while len(got) < 16:
            chunk = conn.recv(4096)
            if not chunk:
                return
            got += chunk
        frag = struct.unpack_from("<H", got, 8)[0]
        while len(got) < frag:
            chunk = conn.recv(4096)
            if not chunk:
                return
            got += chunk
    except OSError:
        pass


def drain(conn, got, limit=60):
    """Keep reading (and recording) until the client closes."""
    conn.settimeout(limit)
    try:
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return
            got += chunk
    except OSError:
        pass


def handle(mode, conn, got):
    if mode == "http_endless":
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
        try:
            while True:
                conn.sendall(b"0," * 8192)
        except OSError:
            return
    read_pdu(conn, got)
    if mode == "accept":
        conn.sendall(ACCEPT)
    elif mode == "reject":
        conn.sendall(REJECT)
    elif mode == "nak":
        conn.sendall(bind_nak(4))
    elif mode == "garbage":
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    elif mode == "wrongver":
        conn.sendall(bind_ack([(0, 0, NDR)], vers=(4, 0)))
    elif mode == "badcallid":
        conn.sendall(bind_ack([(0, 0, NDR)], call_id=7))
    elif mode == "truncated":
        assert len(ACCEPT) == 108, len(ACCEPT)
        conn.sendall(ACCEPT[:40])
        return
    elif mode in ("fraglie", "fraglie_open", "fraghuge"):
        pdu = bytearray(ACCEPT)
        struct.pack_into("<H", pdu, 8, 65000 if mode == "fraghuge" else 4000)
        conn.sendall(bytes(pdu[:60]))
        if mode == "fraglie":
            time.sleep(0.5)
            return
    elif mode == "silent":
        pass
    elif mode == "close":
        return
    elif mode == "drip":
        for b in ACCEPT:
            conn.sendall(bytes([b]))
            time.sleep(1)
    drain(conn, got)


def serve(mode, conn, n, log_path, lock):
    got = bytearray()
    try:
        handle(mode, conn, got)
    except OSError:
        pass
    finally:
        conn.close()
        with lock, open(log_path, "a") as f:
            f.write(json.dumps({"conn": n, "received": bytes(got).hex()}) + "\n")


def main():
    mode, host, port, log_path, ready = sys.argv[1:6]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(16)
    open(log_path, "w").close()
    open(ready, "w").close()
    lock = threading.Lock()
    n = 0
    while True:
        conn, _ = s.accept()
        n += 1
        threading.Thread(target=serve, args=(mode, conn, n, log_path, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
