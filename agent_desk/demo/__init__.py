"""The demo: a simulator of realistic bot conversations and the ``agent-desk demo`` launcher."""
