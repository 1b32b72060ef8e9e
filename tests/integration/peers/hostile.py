"""Fixtures for hostile peers (filled in by its issue)."""
