"""The pages a nudge's links open: "Still accurate", "Update" and unsubscribe.

A GET never acts: mail scanners and link previews open links by themselves, and a link
is single-use, so a scanner's visit would spend it. The GET shows what the link will
do and one button; the POST (from this page only: origin.py) does it. "Still accurate"
confirms every row with a figure through the staff page's own code path (`save_report`,
event "confirmation", which also marks the record verified), acting as the facility's
link key; "Update" signs the visitor in for that one facility, for
NUDGE_SESSION_MINUTES. A used or expired link is 410, an altered one 400, each a page
in the message's language (the link carries `?lang=es`).
"""
from flask import current_app, redirect, render_template
from marshmallow import ValidationError

from directory_service.api.beds import beds_body, save_report
from directory_service.availability import reports
from directory_service.availability.keys import Principal
from directory_service.errors import ApiProblem
from directory_service.nudges import contacts as contact_book
from directory_service.nudges import links
from directory_service.schemas.availability import BedReportRow
from directory_service.web import blp
from directory_service.web.staff import now, sign_in
from directory_service.web.views import page_url

REFUSED_STATUS = {"altered": 400, "expired": 410, "used": 410}
CONFIRMED_FIELDS = ("level_of_care", "capacity", "available", "status", "note")


def _refused(why):
    return render_template("staff/nudge_link.html", refused=why), REFUSED_STATUS[why]


def _record(facility_id):
    record = current_app.extensions["store"].get(facility_id)
    if record is None or record.get("kind") != "treatment_facility":
        return None
    return record


def _link(token):
    adb = current_app.extensions["availability"]
    return links.read(adb, current_app.config["SECRET_KEY"], token, links.epoch(now()))


@blp.get("/staff/nudge/<token>")
def nudge_link(token):
    try:
        link = _link(token)
    except links.LinkRefused as exc:
        return _refused(exc.why)
    record = _record(link["facility_id"])
    if record is None:
        return _refused("altered")
    return render_template("staff/nudge_link.html", link=link, record=record, token=token)


@blp.post("/staff/nudge/<token>")
def nudge_link_post(token):
    adb = current_app.extensions["availability"]
    try:
        link = _link(token)
        record = _record(link["facility_id"])
        if record is None:
            raise links.LinkRefused("altered")
        links.consume(adb, link, links.epoch(now()))
    except links.LinkRefused as exc:
        return _refused(exc.why)
    principal = Principal(contact_book.link_key(adb, record["id"]), "facility", record["id"])
    if link["purpose"] == "update":
        minutes = current_app.config["SETTINGS"].nudge_session_minutes
        sign_in(principal, ends_at=now() + minutes * 60)
        return redirect(page_url("web.staff_facility", facility_id=record["id"]), 303)
    confirmed, error = confirm_all(record, principal)
    return render_template("staff/nudge_link.html", done=True, record=record,
                           confirmed=confirmed, error=error), 200 if error is None else 409


def confirm_all(record, principal):
    """(rows confirmed, None) or (0, reason): every row that has a figure, unchanged, as
    one "Still accurate" report at the facility's current version."""
    adb = current_app.extensions["availability"]
    body, _headers = beds_body(record["id"], record, private=True)
    rows = []
    for stored in body["rows"]:
        if stored.get("status") == "unknown":
            continue
        raw = {f: stored.get(f) for f in CONFIRMED_FIELDS}
        raw["population"] = stored.get("population") or "adult_any"
        try:
            rows.append(BedReportRow().load(raw))
        except ValidationError:
            return 0, "invalid"
    if not rows:
        return 0, "nothing"
    try:
        save_report(record, rows, principal, {reports.facility_version(adb.read(),
                                                                       record["id"])},
                    event="confirmation")
    except ApiProblem:
        return 0, "changed"
    return len(rows), None


@blp.get("/staff/nudge/unsubscribe/<token>")
def nudge_unsubscribe(token):
    try:
        links.read_unsubscribe(current_app.config["SECRET_KEY"], token)
    except links.LinkRefused:
        return _refused("altered")
    return render_template("staff/nudge_unsubscribe.html", token=token)


@blp.post("/staff/nudge/unsubscribe/<token>")
def nudge_unsubscribe_post(token):
    try:
        facility_id, digest = links.read_unsubscribe(current_app.config["SECRET_KEY"], token)
    except links.LinkRefused:
        return _refused("altered")
    contact_book.unsubscribe(current_app.extensions["availability"], facility_id, digest)
    return render_template("staff/nudge_unsubscribe.html", done=True)
