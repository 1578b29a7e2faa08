"""Take the README's screenshots of the real window under Xvfb (not a test; run it by hand).

    apt-get install -y xvfb imagemagick
    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python tests/gui/make_screenshots.py docs/screenshots

It starts the demo's embedded hub and simulator (realistic conversations, the hub's own
triage), signs the desktop in as the demo lead, does a little work (claims, a resolve, a
reassign, a conversation with a customer), and captures the whole X screen with ImageMagick's
``import -window root``: the main window in light and dark, the composer, a delivered reply and
a note, the saved-reply picker, the Resolve dialog, the metrics panel and sign-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from agent_desk.demo.launcher import DEMO_AGENT, DEMO_LEAD, start_demo_backend, stop_demo_backend
from agent_desk.ui.app import DeskApp, ensure_application
from agent_desk.ui.queue.drag import MoveTarget
from agent_desk.ui.settings import DeskSettings
from agent_desk.ui.shell.window import DeskWindow

WIDTH, HEIGHT = 1440, 900


def pump(app: QApplication, seconds: float, until: Callable[[], bool] | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.01)
    return until is None


def shoot(app: QApplication, path: Path) -> None:
    pump(app, 1.2)
    subprocess.run(["import", "-window", "root", str(path)], check=True)
    print("wrote", path, flush=True)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="desk-shots-"))
    embedded, url, tokens, running, floor = start_demo_backend(
        work / "hub", rate=0.6, pace=0.05, warm_up=14, desk="agent"
    )
    app = ensure_application()
    settings = DeskSettings(QSettings(str(work / "desk.ini"), QSettings.Format.IniFormat))
    settings.theme = "light"
    desk = DeskApp(settings=settings, cache_dir=str(work / "cache"), early_start=(url, DEMO_LEAD, tokens[DEMO_LEAD]))
    window = desk.window
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    window.show()
    model = window.queue_model
    agents: list[DeskApp] = []
    try:
        pump(app, 60, lambda: model.counts().waiting >= 8)
        pump(app, 4)
        # A morning's work: take two, resolve one of them, hand one to Ben.
        waiting = [model.row_record(r).id for r in range(model.rowCount()) if model.row_record(r).status == "waiting"]
        desk.bridge.claim(waiting[1])
        desk.bridge.claim(waiting[2])
        desk.bridge.reassign(waiting[-1], to_user="ben")
        pump(app, 5, lambda: model.counts().mine >= 2)
        desk.bridge.resolve(
            waiting[2],
            {"resolution": "resolved", "csat": 5, "disposition": "refund issued", "escalation_feedback": "appropriate"},
        )
        # Let time pass so waits near and pass their targets (priority 1: 60 s).
        pump(app, 70)
        window.sidebar.select_view("waiting")
        first = next(r for r in range(model.rowCount()) if model.row_record(r).status == "waiting")
        window.open_handoff(model.row_record(first).id)
        window.table.setFocus()
        shoot(app, out / "desk-light.png")

        desk.themes.set_mode("dark")
        shoot(app, out / "desk-dark.png")
        desk.themes.set_mode("light")

        window.sidebar.select_view("mine")
        window.open_handoff(waiting[1])
        talk(app, window, out, waiting[1])
        dialog = window.open_resolve(waiting[1])
        assert dialog is not None
        dialog.set_csat(4)
        dialog.disposition.setEditText("charge corrected")
        dialog.notes.setPlainText("Refunded the duplicate charge; confirmed by email.")
        dialog.set_feedback("appropriate")
        shoot(app, out / "resolve-dialog.png")
        dialog.reject()

        window.sidebar.select_view("waiting")
        window.table.setFocus()
        pump(app, 20, lambda: any(h.offer is not None for h in map(model.handoff, model.ids()) if h))
        shoot(app, out / "lead-offers.png")
        agents.append(offer_card(app, work, url, tokens, out))

        lead_console(app, window, out)

        window.on_panel_chosen("metrics")
        pump(app, 3)
        shoot(app, out / "metrics.png")
        window.on_panel_chosen("agents")
        shoot(app, out / "agents.png")

        window.hide()
        sign_in = desk.show_sign_in(
            "The hub did not accept your sign-in (unknown or revoked token); sign in again.", hub=url, user="ben"
        )
        sign_in.move((WIDTH - sign_in.width()) // 2, (HEIGHT - sign_in.height()) // 3)
        shoot(app, out / "sign-in.png")
        frame = sign_in.frameGeometry().adjusted(-20, -20, 20, 20)
        crop = f"{frame.width()}x{frame.height()}+{max(0, frame.x())}+{max(0, frame.y())}"
        subprocess.run(
            ["convert", str(out / "sign-in.png"), "-crop", crop, "+repage", str(out / "sign-in.png")], check=True
        )
    finally:
        for other in agents:
            other.shutdown()
        desk.shutdown()
        window.close()
        stop_demo_backend(embedded, running, floor)
    return 0


def lead_console(app: QApplication, window: DeskWindow, out: Path) -> None:
    """The floor, a bulk move with its results, the charts in both themes and a target banner."""
    window.on_panel_chosen("floor")
    pump(app, 3)
    shoot(app, out / "floor.png")
    window.on_panel_chosen("queue")
    window.sidebar.select_view("waiting")
    model = window.queue_model
    waiting = [model.row_record(r).id for r in range(model.rowCount()) if model.row_record(r).status == "waiting"]
    window.lead_desk.moves.move(waiting[:3], MoveTarget("queue", "vip", "vip"))
    pump(app, 4)
    shoot(app, out / "bulk-move.png")
    window.on_panel_chosen("metrics")
    panel = window.metrics_panel
    pump(app, 10, lambda: panel.charts is not None and panel.status.text().startswith("Updated"))
    panel.targets_editor.fields["wait_p90_s"].setValue(0.1)  # minutes: the floor's wait passes it
    panel.targets_editor.save_button.click()
    pump(app, 10, lambda: panel.banner.isVisible())
    shoot(app, out / "target-banner.png")
    window.themes.set_mode("dark")
    shoot(app, out / "metrics-dark.png")
    window.themes.set_mode("light")
    panel.targets_editor.fields["wait_p90_s"].setValue(0)
    panel.targets_editor.save_button.click()
    pump(app, 5, lambda: not panel.banner.isVisible())


def offer_card(app: QApplication, work: Path, url: str, tokens: dict[str, str], out: Path) -> DeskApp:
    """The demo's agent desk with an offer on its card; returned still open (the caller shuts it
    down with the rest: a second desk deleted while the first runs takes Qt objects with it)."""
    settings = DeskSettings(QSettings(str(work / "agent.ini"), QSettings.Format.IniFormat))
    settings.theme = "light"
    agent = DeskApp(
        settings=settings, cache_dir=str(work / "agent-cache"), early_start=(url, DEMO_AGENT, tokens[DEMO_AGENT])
    )
    window = agent.window
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    window.show()
    card = window.queue_pane.offer_card
    pump(app, 90, lambda: card.offer is not None and card.left_s() > 12)
    pump(app, 2)
    window.raise_()
    shoot(app, out / "offer-card.png")
    window.hide()
    return agent


def talk(app: QApplication, window: DeskWindow, out: Path, handoff_id: str) -> None:
    """The composer with its suggested opening, a delivered reply and the customer's answer,
    a note, and the saved-reply picker."""
    composer = window.detail.composer
    shoot(app, out / "composer.png")
    composer.insert(window.conversation.suggestion_for(window.detail.handoff or {}))
    composer.send()
    shown = window.detail.transcript_model

    def answered() -> bool:
        messages = [shown.message(r) for r in range(shown.rowCount())]
        agent = [m for m in messages if m.role == "agent"]
        return bool(agent) and agent[-1].delivered_at is not None and messages[-1].role == "customer"

    pump(app, 30, answered)
    composer.toggle_note()
    composer.insert("Checked with finance: the refund is approved, no need to escalate further.")
    composer.send()
    composer.toggle_note()
    pump(app, 3)
    shoot(app, out / "reply-delivered.png")
    composer.edit.setFocus()
    window.conversation.open_picker()
    window.conversation.picker.filter.setText("sorry")
    shoot(app, out / "saved-replies.png")
    window.conversation.picker.hide()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    sys.exit(main())
