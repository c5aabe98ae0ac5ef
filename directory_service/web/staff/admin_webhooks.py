"""The administrators' webhooks page: partner subscriptions, pause and resume, and the
dead letters with a button to send each again.

The page calls the API's own functions (webhooks/api.py `redeliver`, webhooks/store.py),
so it and `POST /v1/subscriptions/{id}/deliveries/{delivery_id}/redeliver` cannot
differ. Subscriptions are registered through the API, where the secret is shown once.
"""
from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _

from directory_service.availability.db import utcnow
from directory_service.errors import ApiProblem
from directory_service.web import blp
from directory_service.web.staff import StaffProblem, flashed_notices, signed_in
from directory_service.web.views import page_url
from directory_service.webhooks import api as webhook_api
from directory_service.webhooks import store

SHOWN = 50


@blp.get("/staff/webhooks")
def staff_webhooks():
    principal = signed_in("admin")
    db = current_app.extensions["availability"].read()
    _, subscriptions = store.list_subscriptions(db, 1, 100)
    for sub in subscriptions:
        sub["pending"] = store.list_deliveries(db, 1, 1, sub["id"], "pending")[0]
        sub["dead_total"], sub["dead"] = store.list_deliveries(db, 1, SHOWN, sub["id"], "dead")
    adhoc_total, adhoc = store.list_deliveries(db, 1, SHOWN, store.ADHOC, "dead")
    return render_template("staff/webhooks.html", principal=principal,
                           subscriptions=subscriptions, adhoc=adhoc, adhoc_total=adhoc_total,
                           notices=flashed_notices())


@blp.post("/staff/webhooks/<sub_id>/state")
def staff_webhook_state(sub_id):
    signed_in("admin")
    state = request.form.get("state")
    if state not in store.STATES:
        raise StaffProblem(404)
    with current_app.extensions["availability"].write() as db:
        if store.get_subscription(db, sub_id) is None:
            raise StaffProblem(404)
        store.update_subscription(db, sub_id, {"state": state}, utcnow())
    flash(_("Deliveries resumed.") if state == "active" else _("Deliveries paused."),
          "done|page")
    return redirect(page_url("web.staff_webhooks"), 303)


@blp.post("/staff/webhooks/deliveries/<delivery_id>/redeliver")
def staff_webhook_redeliver(delivery_id):
    signed_in("admin")
    try:
        webhook_api.redeliver(None, delivery_id)
    except ApiProblem as exc:
        if exc.status == 404:
            raise StaffProblem(404) from None
        flash(_("This delivery is no longer dead."), "error|page")
    else:
        flash(_("Queued to be sent again now, with the same id."), "done|page")
    return redirect(page_url("web.staff_webhooks"), 303)
