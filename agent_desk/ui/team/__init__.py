"""The lead's view of the team."""
