"""The Content-Security-Policy of every page: only the templates' own inline scripts may run.

Pages carry two small inline scripts (the live ticker, the report button). Rather than allow
every inline script, the policy lists the SHA-256 of each one found in the templates, so a
script that reached a page any other way (an injection the sanitiser missed) does not run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from jinja2 import Environment, PackageLoader

_INLINE_SCRIPT = re.compile(
    r"<script(?P<attributes>[^>]*)>(?P<code>.*?)</script>", re.DOTALL | re.IGNORECASE
)
_DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']?application/(?:ld\+)?json""", re.IGNORECASE)


def inline_scripts(markup: str) -> list[str]:
    """The code of each inline script a browser would run (not `src=` ones, not JSON data)."""
    return [
        found.group("code")
        for found in _INLINE_SCRIPT.finditer(markup)
        if "src=" not in found.group("attributes") and not _DATA_BLOCK.search(found.group(0))
    ]


def script_hash(code: str) -> str:
    """A CSP hash source: `'sha256-…'` of the script's exact text."""
    digest = hashlib.sha256(code.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@cache
def content_security_policy() -> str:
    """The header's value: same-origin for everything, images from any web host (articles
    point at the outlets' own), inline styles, and the templates' scripts by hash."""
    loader = PackageLoader("pipeline.render", "templates")
    environment = Environment(loader=loader)
    hashes = sorted(
        {
            script_hash(code)
            for name in loader.list_templates()
            for code in inline_scripts(loader.get_source(environment, name)[0])
        }
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {' '.join(hashes)}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' https: http: data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
