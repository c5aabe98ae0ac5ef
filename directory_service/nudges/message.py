"""The words of a nudge, in the facility's language (English or Spanish).

Plain text first (what every phone's mail shows well), with an HTML alternative of the
same words and two large links. The figures it asks about are listed, so "Still
accurate" confirms something the reader has seen. No personal data: the facility's name,
its figures, the links.
"""
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from directory_service.nudges.due import zone_of
from directory_service.web import labels


def _row_line(row):
    level = labels.label(labels.LEVELS, row["level_of_care"])
    who = labels.label(labels.POPULATIONS, row.get("population") or "adult_any")
    if row.get("status") == "open":
        figure = _("%(n)s open", n=row.get("available") if row.get("available") is not None
                   else "?")
    elif row.get("status") == "full":
        figure = _("full")
    elif row.get("status") == "closed":
        figure = _("closed to admissions")
    else:
        figure = _("no figure yet")
    return f"{level} ({row['level_of_care']}), {who}: {figure}"


def compose(record, language, oldest, urls, settings):
    """(subject, text, html) of one nudge. `urls` has "confirm", "update", and
    "unsubscribe" (e-mail only)."""
    zone = zone_of(record)
    with force_locale(language):
        name = record.get("name") or record["id"]
        when = oldest.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        subject = _("%(name)s: are your bed figures still right?", name=name)
        intro = _("The bed figures of %(name)s in the directory were last updated %(when)s "
                  "(your local time) and are no longer shown as fresh. People looking for "
                  "a bed trust fresh figures first.", name=name, when=when)
        rows = [_row_line(row) for row in record.get("beds") or ()]
        confirm = _("Nothing changed? One tap confirms every figure, no sign-in needed:")
        update = _("Something changed? This opens your beds page, signed in for "
                   "%(minutes)d minutes:", minutes=int(settings.nudge_session_minutes))
        button_confirm, button_update = _("Still accurate"), _("Update")
        once = _("Each link works once, for %(hours)d hours.",
                 hours=int(settings.nudge_link_hours))
        why = _("You get this message because this address is a nudge contact of %(name)s "
                "in the directory.", name=name)
        stop = _("To stop these messages:") if urls.get("unsubscribe") else ""
    text = "\n".join([
        intro, "", *(f"- {line}" for line in rows), "",
        confirm, f"{button_confirm}: {urls['confirm']}", "",
        update, f"{button_update}: {urls['update']}", "", once, "", why,
        *([f"{stop} {urls['unsubscribe']}"] if urls.get("unsubscribe") else [])])
    link = ('<p><a href="{url}" style="display:inline-block;padding:12px 20px;'
            'background:#0b5;color:#fff;text-decoration:none;font-size:18px">{label}</a></p>')
    html = "".join([
        f"<p>{escape(intro)}</p>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in rows) + "</ul>",
        f"<p>{escape(confirm)}</p>",
        link.format(url=escape(urls["confirm"]), label=escape(button_confirm)),
        f"<p>{escape(update)}</p>",
        link.format(url=escape(urls["update"]), label=escape(button_update)),
        f"<p>{escape(once)}</p><p><small>{escape(why)}",
        (f' <a href="{escape(urls["unsubscribe"])}">{escape(stop.rstrip(":"))}</a>'
         if urls.get("unsubscribe") else ""),
        "</small></p>"])
    return subject, text, f'<html lang="{language}"><body>{html}</body></html>'
