"""Keep the Postgres password out of every message: logs, summaries, exceptions."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "***"
_KEYWORD_PASSWORD = re.compile(r"""password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)""", re.IGNORECASE)
_URL_USERINFO = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@\s]*)@", re.I
)


def _passwords(url: str) -> list[str]:
    """Every form in which the password of `url` (URL or key=value conninfo) could be printed."""
    found: list[str] = []
    if "://" in url:
        try:
            parts = urlsplit(url)
            if parts.password:
                found.append(parts.password)
            found.extend(
                value for key, value in parse_qsl(parts.query, keep_blank_values=False) if key == "password"
            )
        except ValueError:
            pass
        match = _URL_USERINFO.search(url)
        if match and match.group("password"):
            found.append(match.group("password"))
    for match in _KEYWORD_PASSWORD.finditer(url):
        value = match.group(1)
        found.append(value)
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            found.append(value[1:-1].replace("\\'", "'").replace("\\\\", "\\"))
    forms: set[str] = set()
    for secret in found:
        if secret:
            forms.update({secret, unquote(secret)})
    forms.discard("")
    return sorted(forms, key=len, reverse=True)


class Redactor:
    """`redactor(text)` is `text` with the password of `url` masked; `redactor.display_url` is printable."""

    def __init__(self, url: str):
        self._secrets = _passwords(url)
        self.display_url = self(_mask_structure(url))

    def __call__(self, text: object) -> str:
        out = str(text)
        out = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", out)
        out = _KEYWORD_PASSWORD.sub(f"password={MASK}", out)
        for secret in self._secrets:
            out = out.replace(secret, MASK)
        return out


def _mask_structure(url: str) -> str:
    return _KEYWORD_PASSWORD.sub(
        f"password={MASK}", _URL_USERINFO.sub(r"\g<scheme>\g<user>:" + MASK + "@", url)
    )


def redact(text: object, url: str) -> str:
    """`text` with the password of the connection string `url` masked."""
    return Redactor(url)(text)
