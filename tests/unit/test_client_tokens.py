"""Tokens live in the OS keyring per hub and user, or in memory only with a notice."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from agent_desk.client.tokens import TokenStore, keyring_available, service_name
from tests.client_support.keyrings import MemoryKeyring

TOKEN = "adk_example-token-0123456789abcdef0123456789"


@pytest.fixture
def restore_keyring():
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_with_a_keyring_the_token_is_persisted_per_hub_and_user(restore_keyring):
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = TokenStore("ws://hub.example:8765/", "ana")
    notice = store.save(TOKEN)
    assert notice.persisted
    assert backend.passwords == {(service_name("ws://hub.example:8765"), "ana"): TOKEN}
    assert TokenStore("ws://hub.example:8765", "ana").load() == TOKEN
    assert TokenStore("ws://hub.example:8765", "ben").load() is None
    assert TokenStore("ws://other:8765", "ana").load() is None
    store.forget()
    assert backend.passwords == {} and TokenStore("ws://hub.example:8765", "ana").load() is None


def test_without_a_keyring_the_token_stays_in_memory_and_the_person_is_told(
    restore_keyring, tmp_path, monkeypatch, caplog
):
    keyring.set_keyring(fail.Keyring())
    monkeypatch.chdir(tmp_path)
    store = TokenStore("ws://hub.example:8765", "ana")
    assert store.load() is None
    notice = store.save(TOKEN)
    assert not notice.persisted
    assert store.load() == TOKEN and store.notice == notice
    assert TokenStore("ws://hub.example:8765", "ana").load() is None  # gone with the session
    assert not any(TOKEN in record.getMessage() for record in caplog.records)
    assert not any(TOKEN.encode() in p.read_bytes() for p in Path(tmp_path).rglob("*") if p.is_file())


def test_a_token_once_known_lasts_the_session_whatever_the_keyring_does_next(restore_keyring):
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = TokenStore("ws://hub.example:8765", "ana")
    store.save(TOKEN)
    keyring.set_keyring(fail.Keyring())  # the keyring stops answering (locked, D-Bus gone)
    assert store.load() == TOKEN
    keyring.set_keyring(backend)
    read = TokenStore("ws://hub.example:8765", "ana")
    assert read.load() == TOKEN
    keyring.set_keyring(fail.Keyring())
    assert read.load() == TOKEN and read.notice.persisted


def test_which_keyring_is_there_is_told_without_asking_it_for_a_password(restore_keyring):
    keyring.set_keyring(fail.Keyring())
    assert not keyring_available()
    keyring.set_keyring(MemoryKeyring())
    assert keyring_available()
