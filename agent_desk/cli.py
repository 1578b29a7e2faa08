"""The ``agent-desk`` command: desktop client, hub, triage tools and demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from agent_desk.metadata import version


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for every ``agent-desk`` sub-command."""
    parser = argparse.ArgumentParser(
        prog="agent-desk",
        description="Agent Desk: hand chatbot conversations to the right person, with context.",
    )
    parser.add_argument("--hub", help="hub base address, ws://host:port or wss://host:port")
    parser.add_argument("--user", help="user name on the hub")
    parser.add_argument("--ca-file", help="extra CA certificate file to trust for wss://")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check this installation with no display: load every resource, open the window against "
        "an embedded hub with a scripted handoff, exit 0 when it shows",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from agent_desk.hub import cli as hub_cli

    hub_cli.register(sub)
    from agent_desk.hub import replay
    from agent_desk.triage import cli as triage_cli

    replay.register(triage_cli.register(sub))
    from agent_desk.demo import cli as demo_cli

    demo_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:  # one line per connection opening and closing is for debugging
        logging.getLogger("agent_desk.hub.websockets").setLevel(logging.WARNING)
    if args.smoke_test:
        from agent_desk.ui.smoke import run_smoke_test

        return run_smoke_test()
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args) or 0)
    from agent_desk.ui.app import run_desktop

    return run_desktop(hub=args.hub, user=args.user, ca_file=args.ca_file)
