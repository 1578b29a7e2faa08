"""Helpers for the desktop engine's tests: a recording listener, a TCP proxy, keyrings."""
