"""Fixtures for nginx peers (filled in by its issue)."""
