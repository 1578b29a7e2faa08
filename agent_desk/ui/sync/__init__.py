"""Sync you can see: the connection in words and what the hub refused."""
