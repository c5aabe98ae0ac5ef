"""The administrator's list of nudges: every send and failure, newest first.

Addresses are shown masked (the facility's page shows them in full to whoever may edit
them); the reason of a failure is the mail layer's safe text.
"""
from flask import current_app, render_template

from directory_service.nudges import sends
from directory_service.web import blp
from directory_service.web.staff import signed_in

SHOWN = 200


@blp.get("/staff/admin/nudges")
def staff_admin_nudges():
    principal = signed_in("admin")
    adb, store = current_app.extensions["availability"], current_app.extensions["store"]
    rows = sends.recent(adb, SHOWN)
    names = {}
    for row in rows:
        if row["facility_id"] not in names:
            record = store.get(row["facility_id"])
            names[row["facility_id"]] = (record or {}).get("name") or row["facility_id"]
        row["name"] = names[row["facility_id"]]
        row["shown_to"] = sends.masked(row["recipient"])
    return render_template("staff/admin_nudges.html", principal=principal, rows=rows,
                           counts=sends.counts(adb),
                           mail_ready=bool(current_app.config["SETTINGS"].smtp_url))
