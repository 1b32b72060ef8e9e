"""pytest setup: makes harness importable and loads the peer fixtures.
Each module in peers/ owns the fixtures of one kind of real peer."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

pytest_plugins = [
    "peers.nginx",
    "peers.dnsmasq",
    "peers.rpc",
    "peers.hostile",
]
