"""Keeping credentials out of every output: messages, logs, reports."""

from __future__ import annotations

import re

_URI_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)(?P<tail>@)", re.I)
_KEYWORD_PASSWORD = re.compile(
    r"""(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)""", re.I)
_known_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret value (a DSN's password) so it is masked wherever it shows up."""
    if secret and len(secret) >= 3:
        _known_secrets.add(secret)


def redact_secrets(text: str) -> str:
    text = _URI_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}", text)
    text = _KEYWORD_PASSWORD.sub(lambda m: f"{m['head']}***", text)
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def redact_values(value: object) -> object:
    """The same data with every string in it redacted: serialise afterwards, so quoting stays intact."""
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, dict):
        return {key: redact_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(item) for item in value]
    return value
