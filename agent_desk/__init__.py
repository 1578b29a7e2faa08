"""Agent Desk: escalation hub and desktop client for human support agents."""

__version__ = "0.1.0"
