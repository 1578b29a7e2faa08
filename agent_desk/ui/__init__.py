"""The desktop (PySide6): windows, item models, dialogs, tray, and the one bridge to the engine.

The only package that imports PySide6. Widgets never touch the network or the database: the
engine (``agent_desk.client``) runs on its own thread and reports through
:class:`agent_desk.ui.bridge.Bridge`.

Features live in packages: ``queue`` (the ranked rows, the filters, painting, the pane),
``handoff`` (the handoff in focus and the dialogs that act on it), ``sync`` (the connection
and what the hub refused), ``team`` and ``metrics`` (the lead's panels), ``signin`` and
``shell`` (the main window and its frame: top bar, sidebar, status bar, menu, keys). What they
share sits here: the app, the bridge, settings, theme and icons, text and labels, small
widgets, the item models' base and the marks a handoff carries.
"""
