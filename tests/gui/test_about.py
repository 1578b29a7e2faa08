"""The About box, opened from the window's menu: version, licence and links from the metadata."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from agent_desk import __version__
from agent_desk.ui.shell.about import AboutDialog
from tests.gui.desk_helpers import make_desk


def test_about_in_the_menu_shows_the_installed_version_licence_and_links(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "token")
    qtbot.waitExposed(desk.window)
    menu = desk.window.menu
    assert menu.about_action in menu.actions()
    assert menu.about_action.text() == "About Agent Desk"

    menu.about_action.trigger()

    dialog = menu.about_dialog
    assert isinstance(dialog, AboutDialog)
    qtbot.waitExposed(dialog)
    assert dialog.parentWidget() is desk.window
    installed = metadata.version("agent-desk")
    assert __version__ == installed
    assert installed in dialog.version_label.text()
    assert "Apache-2.0" in dialog.licence_label.text()
    assert 'href="https://www.apache.org/licenses/LICENSE-2.0"' in dialog.links_label.text()
    with qtbot.waitSignal(dialog.destroyed, timeout=5000):
        dialog.reject()
