"""Agent Desk: escalation hub and desktop client for human support agents."""

from agent_desk.metadata import version

__version__ = version()
