"""Which additions to version 1 this hub speaks: the ``features`` its ``hello`` lists on both paths.

Each addition is listed with the rule that decides, from how the hub is served, whether it is
spoken; one that depends on an option (``offers`` only under ``--routing offer``) says so in
its rule. Names appear in the protocol's order, then Agent Desk's own (``targets``).
"""

from __future__ import annotations

from collections.abc import Callable

from agent_desk.hub.config import HubConfig
from agent_desk.protocol.codes import Feature, Routing


def _always(_config: HubConfig) -> bool:
    return True


def _offering(config: HubConfig) -> bool:
    return config.routing == Routing.OFFER


#: Each addition this hub can speak, and whether a hub served with a given config does.
SPOKEN: tuple[tuple[Feature, Callable[[HubConfig], bool]], ...] = (
    (Feature.REPLY, _always),
    (Feature.NOTES, _always),
    (Feature.CANNED, _always),
    (Feature.SOURCE_EVENTS, _always),
    (Feature.OFFERS, _offering),
    (Feature.SERIES, _always),
    (Feature.BOT_CSAT, _always),
    (Feature.TARGETS, _always),
)


def spoken(config: HubConfig) -> list[str]:
    """The names of the additions a hub served with ``config`` speaks."""
    return [feature.value for feature, speaks in SPOKEN if speaks(config)]
