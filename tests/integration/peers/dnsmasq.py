"""Fixtures for dnsmasq peers (filled in by its issue)."""
