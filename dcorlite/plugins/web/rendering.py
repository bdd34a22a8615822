"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only harmless markup."""
import markupsafe
import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5",
         "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody",
         "td", "th", "thead", "tr", "ul", "del", "s"}


def markdown(text):
    """Render Markdown ``text`` to sanitised HTML (raw HTML in the text is escaped)."""
    html = _md.render(text or "")
    return markupsafe.Markup(nh3.clean(html, tags=_TAGS, url_schemes={"http", "https", "mailto"},
                                       link_rel="noopener noreferrer nofollow"))
