"""A DCE/RPC server for the tests: impacket's DCERPCServer (Debian's
python3-impacket) registering one interface on a loopback port, with every
PDU it receives logged (one JSON line: connection number, ptype, bytes in hex)
so a test can prove the plugin sent a bind and never a request PDU.

usage: rpc_server.py HOST PORT IFACE_UUID LOGFILE
"""
import json
import socket
import sys

from impacket.dcerpc.v5 import rpcrt


class LoggingServer(rpcrt.DCERPCServer):
    """impacket's server on the address family of HOST, logging each PDU
    before impacket processes it."""

    def __init__(self, host, port, log_path):
        super().__init__()
        self._sock.close()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listenAddress = host
        self._listenPort = port
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._log_path = log_path
        self._conn = 0
        self._last_client = None

    def recv(self):
        if self._clientSock is not self._last_client:
            self._last_client = self._clientSock
            self._conn += 1
        data = super().recv()
        if data:
            with open(self._log_path, "a") as f:
                f.write(json.dumps({"conn": self._conn, "ptype": data[2],
                                    "hex": data.hex()}) + "\n")
        return data


def main():
    host, port, iface, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    open(log_path, "w").close()
    srv = LoggingServer(host, port, log_path)
    # opnum 0 would be the activation request: registered so that a request
    # (which the plugin must never send) would be answered, not just dropped
    srv.addCallbacks((iface, "1.0"), "1688", {0: lambda data: b"\x00" * 4})
    srv.run()


if __name__ == "__main__":
    main()
