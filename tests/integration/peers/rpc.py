"""Fixtures for rpc peers (filled in by its issue)."""
