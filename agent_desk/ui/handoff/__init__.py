"""The handoff in focus: its details and conversation, and the dialogs that act on it."""
