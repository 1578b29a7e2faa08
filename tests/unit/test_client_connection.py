"""What each way a connection ends means for the person, and the hub address rules."""

from __future__ import annotations

import ssl

import pytest

from agent_desk.client.connection import agent_url, ending_for_close, tls_context
from agent_desk.client.surface import Why


@pytest.mark.parametrize(
    ("code", "final", "why", "detail"),
    [
        (4004, True, Why.TOKEN_REVOKED, None),
        (4010, True, Why.PROTOCOL_UNSUPPORTED, None),
        (1001, False, Why.HUB_RESTARTING, None),
        (4008, False, Why.TOO_MANY_BAD_FRAMES, None),
        (4009, False, Why.NO_RESUME, None),
        (1009, False, Why.MESSAGE_TOO_BIG, None),
        (1006, False, Why.LOST, None),
        (None, False, Why.LOST, None),
        (4999, False, Why.CLOSED, "4999"),
    ],
)
def test_close_codes_say_why_and_only_4004_and_4010_stop(code, final, why, detail):
    ending = ending_for_close(code)
    assert (ending.final, ending.why, ending.detail) == (final, why, detail)


def test_the_agent_endpoint_is_added_to_the_base_address():
    assert agent_url("ws://hub:8765/") == "ws://hub:8765/v1/agent"
    assert agent_url("wss://hub.example/v1/agent") == "wss://hub.example/v1/agent"


def test_wss_verifies_certificates_and_ws_has_no_tls():
    context = tls_context("wss://hub.example:443")
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert tls_context("ws://hub.example:8765") is None
