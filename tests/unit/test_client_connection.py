"""What each way a connection ends means for the person, and the hub address rules."""

from __future__ import annotations

import ssl

import pytest

from agent_desk.client.connection import agent_url, ending_for_close, tls_context


@pytest.mark.parametrize(
    ("code", "final", "words"),
    [
        (4004, True, "revoked"),
        (4010, True, "update Agent Desk"),
        (1001, False, "restarting"),
        (4008, False, "rejected requests"),
        (4009, False, "timed out"),
        (1009, False, "too large"),
        (1006, False, "lost"),
        (None, False, "lost"),
        (4999, False, "4999"),
    ],
)
def test_close_codes_say_why_and_only_4004_and_4010_stop(code, final, words):
    ending = ending_for_close(code)
    assert ending.final is final and words in ending.reason


def test_the_agent_endpoint_is_added_to_the_base_address():
    assert agent_url("ws://hub:8765/") == "ws://hub:8765/v1/agent"
    assert agent_url("wss://hub.example/v1/agent") == "wss://hub.example/v1/agent"


def test_wss_verifies_certificates_and_ws_has_no_tls():
    context = tls_context("wss://hub.example:443")
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert tls_context("ws://hub.example:8765") is None
