"""XML feed bytes made safe to read: decoded strictly, no entity declared, well-formed.

feedparser is lenient by design (it falls back to a loose parser and guesses encodings); an
operator needs the opposite, a clear refusal naming the line. So every XML feed passes here,
through defusedxml, before feedparser sees it.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as SafeXml
from defusedxml.common import ExternalReferenceForbidden

from pipeline.sources.items import FeedError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARATION = re.compile(rb"^\s*<\?xml\b[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"""\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_TEXT_DECLARATION = re.compile(r"^\s*<\?xml\b[^>]*?\?>")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def checked_xml(body: bytes, content_type: str | None = None) -> tuple[bytes, Element]:
    """The document re-encoded as UTF-8 (declaration to match) and its element tree.

    Raises `FeedError` for bytes invalid in the document's encoding, any `<!ENTITY>`
    declaration (internal ones expand, external ones fetch: neither is ever done) and any
    well-formedness error, with its line."""
    text = decode_xml(body, content_type)
    if _TEXT_DECLARATION.match(text):
        text = text.lstrip()  # blank lines before the declaration: a common plugin slip
    utf8 = _TEXT_DECLARATION.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    document = utf8.encode("utf-8")
    try:
        root = SafeXml.fromstring(
            document, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except EntitiesForbidden as error:
        target = error.sysid or error.pubid
        where = f" pointing at {target}" if target else ""
        raise FeedError(
            f"refused: the feed declares the entity {error.name!r}{where}; "
            "entity declarations are never expanded or fetched"
        ) from None
    except ExternalReferenceForbidden as error:
        raise FeedError(
            f"refused: the feed refers to an external resource ({error.sysid}); "
            "nothing a feed points at from its DTD is ever fetched"
        ) from None
    except (DTDForbidden, DefusedXmlException) as error:
        raise FeedError(f"refused: {error}") from None
    except ParseError as error:
        line, column = error.position
        message = str(error).split(":", 1)[0]
        raise FeedError(f"parse error at line {line}, column {column + 1}: {message}") from None
    return document, root


def decode_xml(body: bytes, content_type: str | None = None) -> str:
    """Decode by the byte-order mark, else the XML declaration, else the HTTP charset, else
    UTF-8; bytes the encoding cannot hold are an error, never replaced by guesses."""
    encoding, origin = _encoding(body, content_type)
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise FeedError(f"invalid encoding: {encoding!r} ({origin}) is not an encoding") from None
    try:
        text = body.decode(codec.name)
    except UnicodeDecodeError as error:
        line = body.count(b"\n", 0, error.start) + 1
        bad = body[error.start : error.start + 1].hex()
        raise FeedError(
            f"invalid encoding: byte 0x{bad} at line {line} is not valid {encoding} ({origin})"
        ) from None
    return text.removeprefix("\ufeff")


def _encoding(body: bytes, content_type: str | None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, "byte-order mark"
    declaration = _DECLARATION.match(body)
    if declaration is not None:
        declared = _DECLARED_ENCODING.search(declaration.group(0))
        if declared is not None:
            return declared.group(1).decode("ascii").lower(), "declared in the XML declaration"
    charset = _CHARSET.search(content_type or "")
    if charset is not None:
        return charset.group(1).lower(), "the Content-Type charset"
    return "utf-8", "the default for XML"
