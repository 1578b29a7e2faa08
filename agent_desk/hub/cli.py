"""``agent-desk hub ...``: serve, manage users, back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_desk.hub import db
from agent_desk.protocol import codes

log = logging.getLogger("agent_desk.hub")
LOCK_NAME = "hub.lock"


def register(sub: Any) -> None:
    """Add the ``hub`` command and its sub-commands to the main parser."""
    hub = sub.add_parser("hub", help="run and administer the escalation hub")
    hub_sub = hub.add_subparsers(dest="hub_command", metavar="ACTION", required=True)

    serve = hub_sub.add_parser("serve", help="run the hub until SIGINT/SIGTERM")
    serve.add_argument("--data", required=True, type=Path, help="data folder (created if missing)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks one)")
    serve.add_argument("--tls-cert", type=Path, help="certificate chain (PEM) to serve wss://")
    serve.add_argument("--tls-key", type=Path, help="private key (PEM) of --tls-cert")
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an Origin allowed to connect (repeatable; requests without Origin always may)",
    )
    serve.add_argument(
        "--rate-agent",
        type=int,
        default=codes.RATE_LIMIT_AGENT,
        help="frames an agent connection may send in any 10 s (default 100)",
    )
    serve.add_argument(
        "--rate-lead",
        type=int,
        default=codes.RATE_LIMIT_LEAD,
        help="frames a lead connection may send in any 10 s (default 1000)",
    )
    serve.add_argument(
        "--rate-source",
        type=int,
        default=codes.RATE_LIMIT_SOURCE,
        help="frames a source connection may send in any 10 s (default 5000)",
    )
    serve.add_argument(
        "--sla",
        metavar="P=SECONDS",
        action="append",
        default=[],
        help="wait target of a priority, e.g. --sla 1=45 (repeatable)",
    )
    serve.add_argument("--triage-rules", type=Path, help="triage rules file (TOML) to use instead of the default")
    serve.add_argument("--database-url", help="SQLAlchemy database URL instead of the SQLite file in --data")
    serve.add_argument(
        "--routing",
        choices=[r.value for r in codes.Routing],
        default=codes.Routing.PULL.value,
        help="pull: agents pick from their queues (default); offer: the hub also offers each "
        "waiting handoff to one agent at a time",
    )
    serve.add_argument(
        "--offer-timeout",
        type=float,
        default=codes.DEFAULT_OFFER_TIMEOUT_S,
        metavar="S",
        help="seconds an offer waits for its agent before it moves on (default 30)",
    )
    serve.set_defaults(handler=_serve)

    user = hub_sub.add_parser("user", help="add, revoke and list users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user and print its token (shown once)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["agent", "lead", "source"])
    add.add_argument("--queues", default="", help="comma-separated queues (agents)")
    add.add_argument("--languages", default="", help="comma-separated languages, e.g. en,de")
    add.add_argument(
        "--capacity",
        type=int,
        default=codes.DEFAULT_CAPACITY,
        help="handoffs an agent holds at once, claimed plus offered (routing by offers; default 3)",
    )
    add.add_argument("--data", required=True, type=Path)
    add.set_defaults(handler=_user_add)
    revoke = user_sub.add_parser("revoke", help="revoke a user's token (works while the hub runs)")
    revoke.add_argument("name")
    revoke.add_argument("--data", required=True, type=Path)
    revoke.set_defaults(handler=_user_revoke)
    lst = user_sub.add_parser("list", help="list users")
    lst.add_argument("--data", required=True, type=Path)
    lst.set_defaults(handler=_user_list)

    backup = hub_sub.add_parser("backup", help="write a consistent copy of the store (hub may run)")
    backup.add_argument("--data", required=True, type=Path)
    backup.add_argument("file", type=Path)
    backup.set_defaults(handler=_backup)
    restore = hub_sub.add_parser("restore", help="restore a backup into a stopped hub's folder")
    restore.add_argument("--data", required=True, type=Path)
    restore.add_argument("file", type=Path)
    restore.set_defaults(handler=_restore)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _fail(message: str) -> int:
    print(f"agent-desk: {message}", file=sys.stderr)
    return 2


@contextlib.contextmanager
def data_lock(data_dir: Path) -> Iterator[bool]:
    """Hold the data folder's lock; yields False when another process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            _lock(handle.fileno())
        except OSError:
            yield False
            return
        yield True


def _lock(fd: int) -> None:
    """Lock a file without waiting; OSError when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: msvcrt locks a byte range instead
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _open_store(data_dir: Path) -> Any:
    from agent_desk.hub.store import Store

    store = Store(db.open_engine(data_dir))
    store.open()
    return store


def _serve(args: argparse.Namespace) -> int:
    from agent_desk.hub.config import HubConfig
    from agent_desk.hub.server import serve_until_signalled
    from agent_desk.hub.store import StoreError
    from agent_desk.triage import RulesError, load_rules

    if bool(args.tls_cert) != bool(args.tls_key):
        return _fail("--tls-cert and --tls-key go together")
    sla = dict(codes.DEFAULT_SLA_TARGETS_S)
    for item in args.sla:
        try:
            priority, seconds = item.split("=", 1)
            if int(priority) not in sla or int(seconds) <= 0:
                raise ValueError
            sla[int(priority)] = int(seconds)
        except ValueError:
            return _fail(f"--sla {item!r}: give PRIORITY=SECONDS with a priority of 1-4")
    for name in ("rate_agent", "rate_lead", "rate_source"):
        if getattr(args, name) < 1:
            return _fail(f"--{name.replace('_', '-')} must be at least 1")
    if not args.offer_timeout > 0:
        return _fail("--offer-timeout must be more than 0 seconds")
    if args.triage_rules:
        try:
            load_rules(args.triage_rules)
        except RulesError as error:
            return _fail(str(error))
    config = HubConfig(
        data_dir=args.data,
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        allow_origins=tuple(args.allow_origin),
        rate_agent=args.rate_agent,
        rate_lead=args.rate_lead,
        rate_source=args.rate_source,
        sla_targets_s=sla,
        triage_rules=args.triage_rules,
        database_url=args.database_url,
        routing=args.routing,
        offer_timeout_s=args.offer_timeout,
    )
    with data_lock(args.data) as locked:
        if not locked:
            return _fail(f"another hub is running on {args.data}")

        def ready(hub: Any) -> None:
            scheme = "wss" if args.tls_cert else "ws"
            print(f"agent-desk hub listening on {scheme}://{args.host}:{hub.port}", flush=True)

        try:
            asyncio.run(serve_until_signalled(config, ready))
        except StoreError as error:
            return _fail(str(error))
        except OSError as error:
            return _fail(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}")
        except KeyboardInterrupt:
            pass
    return 0


def _user_add(args: argparse.Namespace) -> int:
    if args.capacity < 0:
        return _fail("--capacity must be 0 or more")
    store = _open_store(args.data)
    try:
        token = store.add_user(args.name, args.role, _split(args.queues), _split(args.languages), args.capacity)
    except ValueError as error:
        return _fail(str(error))
    finally:
        store.close()
    print(token)
    return 0


def _user_revoke(args: argparse.Namespace) -> int:
    store = _open_store(args.data)
    try:
        if not store.revoke_user(args.name):
            return _fail(f"no active user {args.name!r}")
    finally:
        store.close()
    print(f"revoked {args.name}; open connections close within 5 s", file=sys.stderr)
    return 0


def _user_list(args: argparse.Namespace) -> int:
    store = _open_store(args.data)
    try:
        users = store.list_users()
    finally:
        store.close()
    print(f"{'NAME':<20} {'ROLE':<7} {'STATE':<8} {'QUEUES':<30} {'LANGUAGES':<20} CAPACITY")
    for u in users:
        state = "revoked" if u.revoked else "active"
        queues, languages = ",".join(u.queues) or "-", ",".join(u.languages) or "-"
        capacity = str(u.capacity) if u.role == "agent" else "-"
        print(f"{u.id:<20} {u.role:<7} {state:<8} {queues:<30} {languages:<20} {capacity}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    try:
        db.backup(args.data, args.file)
    except (OSError, FileNotFoundError) as error:
        return _fail(f"backup failed: {error}")
    print(f"backed up {args.data} to {args.file}", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    if not args.file.exists():
        return _fail(f"no backup file {args.file}")
    try:
        db.check_backup_file(args.file)
    except ValueError as error:
        return _fail(str(error))
    with data_lock(args.data) as locked:
        if not locked:
            return _fail(f"a hub is running on {args.data}; stop it before restoring")
        old_head = db.read_head(db.database_path(args.data))
        db.install_backup(args.data, args.file)
        store = _open_store(args.data)
        try:
            store.mark_restore(old_head)
        finally:
            store.close()
    print(f"restored {args.file} into {args.data}; epoch kept", file=sys.stderr)
    return 0
