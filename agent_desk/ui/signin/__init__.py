"""Signing in to a hub."""
