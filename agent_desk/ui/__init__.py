"""The desktop (PySide6): windows, item models, dialogs, tray, and the one bridge to the engine.

The only package that imports PySide6. Widgets never touch the network or the database: the
engine (``agent_desk.client``) runs on its own thread and reports through
:class:`agent_desk.ui.bridge.Bridge`.
"""
