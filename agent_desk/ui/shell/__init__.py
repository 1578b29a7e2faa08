"""The main window and its frame: top bar, sidebar, status bar, menu and keys."""
