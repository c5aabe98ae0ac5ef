"""The facility's phone page: bed rows with steppers, "Still accurate", holds, history.

Every write goes through the API's own functions (`save_report`, `decide_hold`), with the
version the page was drawn from as its If-Match: a figure changed elsewhere meanwhile is
shown, not overwritten. Each form answers with a redirect back to the page (works without
JavaScript), except a − / + tap, which answers with the page itself, the changed figure
in the form and nothing published; staff.js changes the figure in place instead, and
sends the other forms with fetch and swaps the page in place. The Open beds field leaves
held beds out (the API's `open`); a save adds back the holds the page showed.
"""
import re

from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from directory_service.api.beds import beds_body, indexed_facility, save_report
from directory_service.availability import holds, reports
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import BedReportRow
from directory_service.web import blp
from directory_service.web.staff import StaffProblem, flashed_notices, signed_in, words
from directory_service.web.views import page_url

WHOLE = re.compile(r"^\s*\d{1,6}\s*$")
STEP = re.compile(r"^(available|capacity):([+-]1)$")
HISTORY_SHOWN = 15


def row_key(level, population):
    return f"{level}|{population}"


def facility_for(principal, facility_id):
    """The record, if this principal may act for it: its own facility key, or an admin."""
    if principal.role == "facility" and principal.facility_id != facility_id:
        raise StaffProblem(403)
    try:
        return indexed_facility(facility_id)
    except ApiProblem:
        raise StaffProblem(404) from None


@blp.get("/staff/facility")
def staff_facility_home():
    principal = signed_in("facility")
    return redirect(page_url("web.staff_facility", facility_id=principal.facility_id), 303)


class HeldShown(Schema):
    """The hidden `held` of a row form: the holds the page showed beside the figure."""
    held = fields.Integer(load_default=0, strict=False, validate=validate.Range(0, 10_000))


def free_beds(row):
    """The figure the "Open beds" field shows: beds a new person could take now, held
    beds apart (the API's `available` counts them; its `open` does not)."""
    if row.get("status") == "unknown" or row.get("available") is None:
        return None
    return max(0, row["available"] - (row.get("held") or 0))


def _render(principal, record, notices, draft=None, status=200):
    """The page; `draft` is one row's unsaved figures ({key: row}) after a − / + tap."""
    facility_id = record["id"]
    body, _headers = beds_body(facility_id, record, private=True)
    adb = current_app.extensions["availability"]
    total, history = reports.history(adb, facility_id, 1, HISTORY_SHOWN)
    rows = []
    for row in body["rows"]:
        row = {**row, "population": row.get("population") or "adult_any"}
        row["free"] = free_beds(row)
        rows.append({**row, **(draft or {}).get(row_key(row["level_of_care"],
                                                         row["population"]), {})})
    return render_template("staff/facility.html", principal=principal, record=record,
                           rows=rows, version=body["version"],
                           holds=holds.active_for(adb, facility_id), history=history,
                           history_total=total, notices=notices), status


@blp.get("/staff/facilities/<path:facility_id>")
def staff_facility(facility_id):
    principal = signed_in("facility", "admin")
    return _render(principal, facility_for(principal, facility_id), flashed_notices())


def _count(value):
    """A form cell as a whole number, None when empty; anything else stays text, so the
    report schema refuses it as the API would ("2.5" is never rounded)."""
    if value is None or value.strip() == "":
        return None
    return int(value) if WHOLE.match(value) else value


def _held_shown(form):
    """The holds the page showed beside the field (400 when the form was tampered with)."""
    try:
        return HeldShown().load({"held": form.get("held") or 0})["held"]
    except ValidationError:
        raise StaffProblem(400) from None


def _stepped(form):
    """The form's figures with a − / + tap applied: what the page shows, nothing saved.
    `available` here is the field's meaning: open beds not held."""
    row = {"level_of_care": form.get("level_of_care", ""),
           "population": form.get("population", ""),
           "capacity": _count(form.get("capacity")),
           "available": _count(form.get("available")),
           "status": form.get("status") or None,
           "note": (form.get("note") or "").strip() or None}
    step = STEP.match(form.get("step", ""))
    if step:
        name, delta = step.group(1), int(step.group(2))
        current = row[name] if isinstance(row[name], int) else 0
        row[name] = max(0, current + delta)
        if name == "available" and row["status"] in (None, "open", "full", "unknown"):
            # A tap on open beds says how many are open: the status follows the count,
            # held beds included (a row whose only empty beds are held is still open).
            empty = row["available"] + _held_shown(form)
            row["status"] = "open" if empty > 0 else "full"
    return row


def _typed_row(form):
    """The row to publish: the field's open beds plus the beds held beside them make the
    API's `available` (open = available − held), so search shows what the field said."""
    row = _stepped(form)
    if row["status"] == "unknown":
        row["available"] = None
    elif row["status"] in ("full", "closed") and isinstance(row["available"], int):
        row["available"] = 0
    elif isinstance(row["available"], int):
        row["available"] += _held_shown(form)
    return row


def _current_row(record, level, population):
    """The row as stored now, note included (what "Still accurate" repeats)."""
    body, _headers = beds_body(record["id"], record, private=True)
    for row in body["rows"]:
        if (row["level_of_care"], row.get("population") or "adult_any") == (level, population):
            return row
    return None


@blp.post("/staff/facilities/<path:facility_id>/rows")
def staff_report_row(facility_id):
    """Save one bed row, or record that it is still accurate (a confirmation)."""
    principal = signed_in("facility", "admin")
    record = facility_for(principal, facility_id)
    form = request.form
    key = row_key(form.get("level_of_care"), form.get("population"))
    back = page_url("web.staff_facility", facility_id=facility_id) + "#row-" + _anchor(key)
    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise StaffProblem(400) from None
    if STEP.match(form.get("step", "")):
        return _tapped(principal, record, form, key, version)
    confirming = form.get("action") == "confirm"
    if confirming:
        stored = _current_row(record, form.get("level_of_care"), form.get("population"))
        if stored is None or stored.get("status") == "unknown":
            flash(_("There is no figure to confirm yet: enter the open beds and save."),
                  "error|" + key)
            return redirect(back, 303)
        raw = {f: stored.get(f) for f in ("level_of_care", "capacity", "available", "status",
                                          "note")}
        raw["population"] = form.get("population")
    else:
        raw = _typed_row(form)
    try:
        row = BedReportRow().load(raw)
    except ValidationError as exc:
        flash(words.report_refusal(exc.messages, raw["level_of_care"], raw["population"]),
              "error|" + key)
        return redirect(back, 303)
    try:
        save_report(record, [row], principal, {version},
                    event="confirmation" if confirming else "report")
    except ApiProblem as exc:
        if exc.status == 412:
            flash(_("Updated elsewhere meanwhile: here is the new figure. Your change was "
                    "not saved; check it and save again."), "stale|" + key)
        elif exc.errors and isinstance(exc.errors.get("rows"), dict):
            # the API's per-row errors (the row is the only one sent)
            for messages in exc.errors["rows"].values():
                flash(words.report_refusal(messages, row["level_of_care"], row["population"]),
                      "error|" + key)
        else:
            flash(_("Not saved: %(why)s", why=exc.detail), "error|" + key)
        return redirect(back, 303)
    flash(_("Still accurate: the time was refreshed.") if confirming else _("Saved."),
          "done|" + key)
    return redirect(back, 303)


def _tapped(principal, record, form, key, version):
    """A − / + tap without JavaScript: the page again with the changed figure in the form,
    nothing published (no history, no new time) until Save or Still accurate."""
    current = reports.facility_version(current_app.extensions["availability"].read(),
                                       record["id"])
    if version != current:
        notice = (_("Updated elsewhere meanwhile: here is the new figure. Your change was "
                    "not saved; check it and save again."))
        return _render(principal, record, {key: ("stale", notice)})
    row = _stepped(form)
    draft = {f: row[f] for f in ("capacity", "status", "note")}
    draft["free"] = row["available"]
    notice = _("Not saved yet: tap Save to publish this figure.")
    return _render(principal, record, {key: ("draft", notice)}, {key: draft})


def _anchor(key):
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


@blp.app_template_filter("row_anchor")
def _row_anchor(key):
    return _anchor(key)

