"""The lead's figures."""
