"""core.http.client_address: REMOTE_ADDR, or the reverse proxy's header named by CLIENT_IP_HEADER."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import RequestFactory

from minesafe.core.http import client_address


def _request(**meta: str):
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    return request


def test_remote_addr_by_default(settings) -> None:
    settings.CLIENT_IP_HEADER = ""
    assert client_address(_request(REMOTE_ADDR="198.51.100.4", HTTP_X_REAL_IP="203.0.113.9")) == "198.51.100.4"
    assert client_address(_request()) == ""


@pytest.mark.parametrize("header,expected", [
    ("203.0.113.9", "203.0.113.9"),
    (" 203.0.113.9 , 10.0.0.1", "203.0.113.9"),  # the first address, stripped
    ("2001:db8::1", "2001:db8::1"),
    ("", "10.0.0.2"),  # empty: the proxy's connection
    (" , 203.0.113.9", "10.0.0.2"),
])
def test_the_proxy_header_when_configured(settings, header, expected) -> None:
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_address(_request(REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP=header)) == expected


def test_missing_header_falls_back_to_remote_addr(settings) -> None:
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client_address(_request(REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def _settings_with(value: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "true", "CLIENT_IP_HEADER": value}
    return subprocess.run([sys.executable, "-c", "import minesafe.settings as s; print(s.CLIENT_IP_HEADER)"],
                          env=env, capture_output=True, text=True, check=False)


def test_setting_takes_a_meta_name_only() -> None:
    assert _settings_with("HTTP_X_REAL_IP").stdout.strip() == "HTTP_X_REAL_IP"
    assert _settings_with("").stdout.strip() == ""
    result = _settings_with("X-Real-IP")  # the header's own spelling is refused, not silently ignored
    assert result.returncode != 0 and "CLIENT_IP_HEADER" in result.stderr
