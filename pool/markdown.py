"""Markdown written by admins (guidelines), rendered safely.

Two guards: markdown-it-py with raw HTML switched off (so ``<script>`` stays text and links with
``javascript:`` are not turned into links), then nh3 with a short list of allowed tags, attributes
and URL schemes. Headings are moved down two levels, so the text sits below the page's own
``h1``/``h2``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

HEADING_OFFSET = 2

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "b", "i", "s", "del", "code", "pre", "blockquote",
     "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_parser = MarkdownIt("js-default", {"html": False, "linkify": False})


def _shift_headings(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1:]) + HEADING_OFFSET
            token.tag = f"h{min(level, 6)}"
        if token.type == "th_open":
            token.attrSet("scope", "col")


def render_markdown(text: str | None) -> Markup:
    """HTML for ``text`` that is safe to put into a page as it is."""
    if not text:
        return Markup("")
    tokens = _parser.parse(text)
    _shift_headings(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # Wide tables scroll inside their own box instead of the page (phones). The cleaned ``<table>``
    # tags carry no attributes, so this plain replacement is exact.
    cleaned = cleaned.replace("<table>", '<div class="table-wrap"><table>').replace(
        "</table>", "</table></div>"
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above
