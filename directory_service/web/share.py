""""Send": hand one record to someone else by text message, e-mail or a copied link.

Every hand-off carries the record's public page (/r/<id>, absolute) and its name, and
nothing else: no tracking parameter, no language, no search, no searcher's place. The
links are plain `sms:` and `mailto:` URLs, so they work without JavaScript and without any
third party; static/share.js offers the phone's own share sheet on top where it exists.
"""
from urllib.parse import quote

from flask import url_for


def record_url(record):
    """The record's public page as an absolute URL, with no query string at all."""
    return url_for("web.resource_page", record_id=record["id"], _external=True)


def message(record):
    """"Crossroads Recovery Center: https://…/r/seed:fac-001": the text that is sent."""
    return f"{record['name']}: {record_url(record)}"


def links(record):
    """{"url", "text", "sms", "mailto"} for one record's Send links."""
    text = message(record)
    return {
        "url": record_url(record),
        "text": text,
        # "sms:?&body=" is the form both Android and iOS messaging apps read.
        "sms": "sms:?&body=" + quote(text, safe=""),
        "mailto": "mailto:?subject=" + quote(record["name"], safe="") + "&body="
                  + quote(text, safe=""),
    }
