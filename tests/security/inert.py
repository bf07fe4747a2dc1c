"""Is this output inert? Parse it as a browser or a feed reader would and look for anything
that runs: scripts, event handlers, script-bearing URLs, CSS expressions, frames, base and
refresh tricks. Used by the property, XSS and end-to-end tests alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
from defusedxml import ElementTree as SafeXml

FORBIDDEN_ELEMENTS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "svg", "math"}
    | {"template", "portal", "noscript", "isindex", "xml", "import", "param", "marquee"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "longdesc"}
    | {"ping", "lowsrc", "dynsrc", "xlink:href", "codebase", "manifest", "icon", "srcset"}
)
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
BAD_STYLE = re.compile(r"expression\s*\(|javascript:|vbscript:|url\s*\(|behaviou?r\s*:|binding")
OWN_SEARCH_FORM = {"role": "search", "action": "/search", "method": "get"}
"""The one form a page may hold: the header's search, which only sends a query to the site."""
# What a browser drops from a URL before reading its scheme: ASCII whitespace and C0 controls.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"


class NotInert(AssertionError):
    """Something in the output would run in a reader's browser or feed reader."""


def parse_document(markup: str) -> Element:
    """A whole page, parsed by the HTML5 algorithm; any parse error fails (html5lib strict)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    document: Element = parser.parse(markup)
    return document


def parse_fragment(markup: str) -> Element:
    """A fragment (a paragraph, feed content, the ticker) as a browser parses innerHTML."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    fragment: Element = parser.parseFragment(markup)
    return fragment


DATA_BLOCK = "application/ld+json"
"""A script element of this type is data browsers never run (the page's JSON-LD)."""


def script_texts(root: Element) -> list[str]:
    """The scripts that run: data blocks are checked to be JSON and left out."""
    texts = []
    for element in root.iter("script"):
        if element.get("type") == DATA_BLOCK:
            _check_data_block(element.text or "")
        else:
            texts.append(element.text or "")
    return texts


def _check_data_block(text: str) -> None:
    """JSON-LD must be JSON that cannot end its element early or open a comment."""
    if "<" in text or ">" in text:
        raise NotInert(f"JSON-LD with markup characters: {text[:200]!r}")
    json.loads(text)


def assert_inert_tree(
    root: Element, where: str, own_scripts: Iterable[str] = (), own_styles: int = 0
) -> None:
    """No script beyond the page's own, no handler, no script-bearing URL or style, no frame."""
    known = set(own_scripts)
    for script in script_texts(root):
        if script not in known:
            raise NotInert(f"{where}: a script the page does not own: {script[:200]!r}")
    styles = list(root.iter("style"))
    if len(styles) > own_styles:
        raise NotInert(f"{where}: {len(styles)} <style> elements, expected {own_styles}")
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if name == "form" and dict(element.attrib) == OWN_SEARCH_FORM:
            continue
        if name in FORBIDDEN_ELEMENTS:
            raise NotInert(f"{where}: <{name}> element")
        if name == "meta" and any(k.lower() == "http-equiv" for k in element.attrib):
            raise NotInert(f"{where}: <meta http-equiv> ({element.attrib})")
        for attribute, value in element.attrib.items():
            _check_attribute(where, name, attribute.rsplit("}", 1)[-1].lower(), value)


def _check_attribute(where: str, tag: str, attribute: str, value: str) -> None:
    if attribute.startswith("on"):
        raise NotInert(f"{where}: <{tag} {attribute}=…> event handler")
    if attribute == "srcdoc":
        raise NotInert(f"{where}: <{tag} srcdoc=…> embedded document")
    if attribute == "style" and BAD_STYLE.search(value.lower()):
        raise NotInert(f"{where}: <{tag} style={value[:100]!r}>")
    if attribute in URL_ATTRIBUTES:
        candidates = value.split(",") if attribute == "srcset" else [value]
        for candidate in candidates:
            url = _URL_NOISE.sub("", candidate).lower()
            if url.startswith(BAD_SCHEMES):
                raise NotInert(f"{where}: <{tag} {attribute}={value[:100]!r}>")


def assert_inert_page(markup: str, where: str, own_scripts: Iterable[str]) -> Element:
    """A page: valid HTML5, only the page's own scripts and its one stylesheet."""
    root = parse_document(markup)
    assert_inert_tree(root, where, own_scripts, own_styles=1)
    return root


def assert_inert_fragment(markup: str, where: str) -> Element:
    """A fragment readers get inside another document: no script or style at all."""
    root = parse_fragment(markup)
    assert_inert_tree(root, where)
    return root


def assert_safe_url(url: str, where: str) -> None:
    """A link in JSON: absolute http(s), a site path, or the "#" stand-in."""
    if not (re.match(r"https?://[^\s/]", url, re.IGNORECASE) or url.startswith("/") or url == "#"):
        raise NotInert(f"{where}: unsafe URL {url[:100]!r}")
    if url.startswith("//"):
        raise NotInert(f"{where}: protocol-relative URL {url[:100]!r}")


def assert_inert_json(raw: str, where: str) -> Any:
    """JSON that stays inert even when a front end inlines it: no raw "<", valid, safe links."""
    if "<" in raw or "\u2028" in raw or "\u2029" in raw:
        raise NotInert(f"{where}: unescaped '<' or line separator in JSON")
    document = json.loads(raw)
    for key, value in _pairs(document):
        if key in ("url", "external_url", "image", "home_page_url", "feed_url"):
            assert_safe_url(value, f"{where}.{key}")
        if key in ("paragraphs", "content_html") and isinstance(value, str):
            assert_inert_fragment(value, f"{where}.{key}")
    return document


def _pairs(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) for every string in a JSON document; list items inherit their list's key."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _pairs(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item, key)
    elif isinstance(value, str):
        yield key, value


def assert_inert_feed(raw: bytes, where: str) -> Element:
    """RSS or Atom: well-formed XML (parsed with defusedxml), every HTML field inert.

    Titles and categories are text in both formats; the HTML fields are RSS `description` and
    `content:encoded`, and Atom `content`/`summary` of type html.
    """
    root: Element = SafeXml.fromstring(raw)
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.startswith("{http://www.w3.org/1999/xhtml}"):
            raise NotInert(f"{where}: inline XHTML element {tag}")
        is_html = tag in ("description", CONTENT_ENCODED) or (
            tag in (f"{ATOM}content", f"{ATOM}summary") and element.get("type") == "html"
        )
        if is_html and element.text:
            assert_inert_fragment(element.text, f"{where} {tag}")
        for name, value in element.attrib.items():
            if name in ("href", "src", "uri", "scheme"):
                assert_safe_url(value, f"{where} {tag}@{name}")
    return root
