"""The user guide page: BENUTZERANLEITUNG.md rendered at /anleitung."""

import functools
import os

import markdown
import nh3
from flask import Blueprint
from flask import render_template
from flask import request
from markupsafe import Markup

GUIDE_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "BENUTZERANLEITUNG.md"
)

MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "toc")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "kbd",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "td": {"align"},
    "th": {"align"},
}

guide = Blueprint("guide", __name__)


@functools.lru_cache(maxsize=4)
def render_markdown(path, _modified):
    """Turn the Markdown file into HTML; a new `_modified` time renders it anew."""
    with open(path, encoding="utf-8") as source:
        return markdown.markdown(source.read(), extensions=MARKDOWN_EXTENSIONS)


def sanitize(html, script_root):
    """Keep only harmless tags and links; site-absolute links follow the path prefix."""

    def follow_prefix(tag, attribute, value):
        if tag == "a" and attribute == "href" and value.startswith("/"):
            if not value.startswith("//"):
                return script_root + value
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=follow_prefix,
    )


@guide.get("/anleitung")
def show_guide():
    html = render_markdown(GUIDE_PATH, os.path.getmtime(GUIDE_PATH))
    # Safe to mark: nh3 removed every tag and attribute outside the allow-lists.
    safe = Markup(sanitize(html, request.script_root))  # noqa: S704  # nosec B704
    return render_template("guide.html", guide_html=safe)
