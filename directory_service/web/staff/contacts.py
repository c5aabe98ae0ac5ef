"""The "Reminders" part of the facility's profile page: who gets the nudges.

The facility (or an admin) lists up to NUDGE_MAX_CONTACTS addresses, one a line, an
optional webhook URL, the language of the messages, and may pause them. Saved through
the same `contacts.load_body` and `contacts.save` as `PUT /v1/facilities/{id}/contacts`.
The profile template draws the form with `nudge_contacts(facility_id)`; a refusal is
shown on the page, naming the field. A webhook URL set or changed gets a new signing
secret, shown once in the answer to the save (never flashed into the cookie).
"""
from flask import current_app, flash, redirect, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from directory_service.nudges import contacts as contact_book
from directory_service.web import blp
from directory_service.web.staff import signed_in
from directory_service.web.staff.facility import facility_for
from directory_service.web.views import page_url


@blp.app_template_global()
def nudge_contacts(facility_id):
    """The facility's contacts for its profile page (staff templates only)."""
    return contact_book.get(current_app.extensions["availability"].read(), facility_id)


def refusal_words(messages):
    """One sentence per refused field, in the visitor's language."""
    words = []
    if "emails" in messages:
        words.append(_("E-mail addresses: list at most %(n)d, one a line, each once, each "
                       "like name@example.org.",
                       n=current_app.config["SETTINGS"].nudge_max_contacts))
    if "webhook_url" in messages:
        words.append(_("Webhook: an address starting with https:// (or http://) on the "
                       "public internet."))
    if "language" in messages:
        words.append(_("Language: English or Spanish."))
    return " ".join(words) or _("Something in the form was not as expected.")


@blp.post("/staff/facility/<path:facility_id>/contacts")
def staff_save_contacts(facility_id):
    principal = signed_in("facility", "admin")
    record = facility_for(principal, facility_id)
    back = page_url("web.staff_profile", facility_id=facility_id) + "#reminders"
    form = request.form
    raw = {"emails": [line.strip() for line in (form.get("emails") or "").splitlines()
                      if line.strip()],
           "webhook_url": (form.get("webhook_url") or "").strip() or None,
           "language": form.get("language") or "en",
           "paused": "paused" in form}
    try:
        body = contact_book.load_body(raw, current_app.config["SETTINGS"])
    except ValidationError as exc:
        flash(_("Reminders not saved. %(why)s", why=refusal_words(exc.messages)),
              "error|reminders")
        return redirect(back, 303)
    saved = contact_book.save(current_app.extensions["availability"], record["id"], body,
                              f"key:{principal.key_id}")
    if saved.get("webhook_secret"):
        from directory_service.web.staff.profile import _page as profile_page

        flash(_("Reminders saved."), "done|reminders")
        return profile_page(principal, record, new_webhook_secret=saved["webhook_secret"])
    flash(_("Reminders paused.") if body["paused"] else _("Reminders saved."),
          "done|reminders")
    return redirect(back, 303)
