"""``agent-desk demo``: an embedded hub, the simulator, and the desktop signed in as a lead
(or, with ``--as agent``, as an agent who is offered cases)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agent_desk.protocol.codes import Routing

#: Who the desktop signs in as (``launcher.desk_user``).
DESK_ROLES = ("lead", "agent")


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="open the desktop on an embedded hub fed by a simulator")
    demo.add_argument("--data", type=Path, help="keep the demo hub's data here (default: a temporary folder)")
    demo.add_argument("--rate", type=float, default=0.5, help="new simulated conversations per second")
    demo.add_argument("--speed", type=_positive, default=1.0, help="how many times faster than real life (default: 1)")
    demo.add_argument("--no-agents", action="store_true", help="no simulated colleagues: the floor is yours alone")
    demo.add_argument("--port", type=int, default=0, help="port of the embedded hub (default: any free)")
    demo.add_argument("--no-desktop", action="store_true", help="run only the hub and the simulator")
    demo.add_argument(
        "--routing",
        choices=[r.value for r in Routing],
        default=Routing.OFFER.value,
        help="offer: the hub offers each case to one agent at a time (default); pull: agents pick from the queue",
    )
    demo.add_argument(
        "--as",
        dest="desk",
        choices=DESK_ROLES,
        default="lead",
        help="sign in as the team lead who watches the floor (default), or as an agent who is offered cases",
    )
    demo.set_defaults(handler=_demo)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _demo(args: argparse.Namespace) -> int:
    from agent_desk.demo.launcher import run_demo

    return run_demo(
        data=args.data,
        rate=args.rate,
        port=args.port,
        desktop=not args.no_desktop,
        speed=args.speed,
        agents=not args.no_agents,
        routing=args.routing,
        desk=args.desk,
    )
