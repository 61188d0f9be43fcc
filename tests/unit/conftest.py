"""Unit tests run with sockets off: nothing here may reach a network, AWS included."""

from __future__ import annotations

import socket

import pytest


class _NoNetwork(socket.socket):
    def connect(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not open network connections")


@pytest.fixture(autouse=True)
def _sockets_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoNetwork)
