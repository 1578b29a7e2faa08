"""The escalation hub: websockets server, store, auth, routing, visibility and metrics."""
