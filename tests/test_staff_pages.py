"""The staff pages' flows through the test client (no JavaScript): facility, coach, admin."""
import pathlib
import re

import pytest

from directory_service.availability import keys, reports
from indexer import run_log
from indexer.pipeline import ImportReport
from indexer.problems import Rejected
from tests.staff_client import make_key, notices, page_token, sign_in, VERSION

FAC = "/staff/facilities/seed:fac-001"


@pytest.fixture
def facility(app):
    client = app.test_client()
    sign_in(client, make_key(app, "facility", "seed:fac-001"))
    return client


@pytest.fixture
def coach(app):
    client = app.test_client()
    key = make_key(app, "coach")
    sign_in(client, key)
    client.key = key
    return client


def _row(client, level="3.7-WM", population="adult_men"):
    rows = client.get("/v1/facilities/seed:fac-001/beds").get_json()["rows"]
    return next(r for r in rows if (r["level_of_care"], r.get("population")) == (level, population))


def _post_row(client, **fields):
    html, csrf = page_token(client, FAC)
    data = {"csrf_token": csrf, "version": VERSION.search(html).group(1),
            "level_of_care": "3.7-WM", "population": "adult_men", "capacity": "12",
            "available": "4", "status": "open", **fields}
    response = client.post(FAC + "/rows", data=data)
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _history_total(app):
    return reports.history(app.extensions["availability"], "seed:fac-001", 1, 1)[0]


def _tap(client, **fields):
    """A − / + tap without JavaScript: the page answers at once (no redirect)."""
    html, csrf = page_token(client, FAC)
    data = {"csrf_token": csrf, "version": VERSION.search(html).group(1),
            "level_of_care": "3.7-WM", "population": "adult_men", "capacity": "12",
            "available": "4", "status": "open", **fields}
    response = client.post(FAC + "/rows", data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _field(html, name="available", row="3-7-WM-adult_men"):
    return re.search(rf'id="{name}-{row}" name="{name}" value="(\d*)"', html).group(1)


def test_stepper_without_javascript_changes_the_form_and_publishes_nothing(facility, app):
    def published(row):  # the report itself, not its age (the clock moves on)
        return {k: v for k, v in row.items() if k != "age_seconds"}
    before, history = published(_row(facility)), _history_total(app)
    html = _tap(facility, step="available:+1")
    assert _field(html) == "5"
    assert ("draft", "Not saved yet: tap Save to publish this figure.") in notices(html)
    html = _tap(facility, available="1", step="available:-1")
    assert _field(html) == "0" and '<option value="full" selected>' in html
    assert published(_row(facility)) == before and _history_total(app) == history
    html = _post_row(facility, available="5")  # Save publishes
    assert ("done", "Saved.") in notices(html) and _row(facility)["available"] == 5
    assert _history_total(app) > history


def test_a_tap_on_a_stale_page_shows_the_new_figure(facility, app):
    html, csrf = page_token(facility, FAC)
    api_key = make_key(app, "facility", "seed:fac-001")
    facility.put("/v1/facilities/seed:fac-001/beds",
                 headers={"Authorization": f"Bearer {api_key}", "If-Match": '"0"'},
                 json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                 "capacity": 12, "available": 7}]})
    response = facility.post(FAC + "/rows", data={
        "csrf_token": csrf, "version": "0", "level_of_care": "3.7-WM", "step": "available:+1",
        "population": "adult_men", "capacity": "12", "available": "4", "status": "open"})
    html = response.get_data(as_text=True)
    assert [k for k, _ in notices(html)] == ["stale"] and _field(html) == "7"


def _hold(app, n=1):
    client = app.test_client()
    key = make_key(app, "coach")
    sign_in(client, key)
    for _ in range(n):
        response = client.post("/v1/facilities/seed:fac-001/holds",
                               headers={"Authorization": f"Bearer {key}"},
                               json={"level_of_care": "3.7-WM", "population": "adult_men"})
        assert response.status_code == 201


def test_the_field_leaves_held_beds_out_and_saving_keeps_them_held(facility, app):
    _hold(app, 2)  # 4 available, 2 held: 2 open
    html, _csrf = page_token(facility, FAC)
    assert _field(html) == "2"
    assert "2 beds held by coaches, not counted here" in html
    html = _post_row(facility, available="3", held="2")  # one more bed free for anyone
    row = _row(facility)
    assert (row["available"], row["held"], row["open"]) == (5, 2, 3)
    assert _field(html) == "3"
    _post_row(facility, available="0", held="2")  # none free, the held ones still kept
    row = _row(facility)
    assert (row["available"], row["held"], row["open"], row["status"]) == (2, 2, 0, "open")
    html = _tap(facility, available="0", held="2", step="available:-1")
    assert '<option value="open" selected>' in html  # held beds keep the row open


def test_a_tampered_held_count_is_refused(facility, app):
    assert "held" not in _row(facility) or _row(facility)["held"] == 0
    html, csrf = page_token(facility, FAC)
    response = facility.post(FAC + "/rows", data={
        "csrf_token": csrf, "version": "0", "level_of_care": "3.7-WM", "held": "-3",
        "population": "adult_men", "capacity": "12", "available": "4", "status": "open"})
    assert response.status_code == 400 and _history_total(app) == 0


def test_save_goes_through_the_reports_rules(facility):
    html = _post_row(facility, available="13")  # more open than capacity
    assert [k for k, _ in notices(html)] == ["error"]
    assert "There cannot be more open beds than the capacity." in html
    html = _post_row(facility, available="2.5")
    assert "whole number" in html and _row(facility)["available"] == 4
    html = _post_row(facility, note="call Maria at 630-555-0199")
    assert [k for k, _ in notices(html)] == ["error"]


def test_a_stale_version_shows_the_new_figure_instead_of_overwriting(facility, app):
    html, csrf = page_token(facility, FAC)
    seen = VERSION.search(html).group(1)
    # Meanwhile someone reports through the API.
    api_key = make_key(app, "facility", "seed:fac-001")
    put = facility.put("/v1/facilities/seed:fac-001/beds",
                       headers={"Authorization": f"Bearer {api_key}", "If-Match": f'"{seen}"'},
                       json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                       "capacity": 12, "available": 7}]})
    assert put.status_code == 200
    response = facility.post(FAC + "/rows", data={
        "csrf_token": csrf, "version": seen, "level_of_care": "3.7-WM",
        "population": "adult_men", "capacity": "12", "available": "2", "status": "open"})
    html = facility.get(response.headers["Location"]).get_data(as_text=True)
    assert ("stale", "Updated elsewhere meanwhile: here is the new figure. Your change was not "
                     "saved; check it and save again.") in notices(html)
    assert _row(facility)["available"] == 7
    assert re.search(r'id="available-3-7-WM-adult_men" name="available" value="7"', html)


def test_still_accurate_refreshes_the_time_and_is_a_confirmation_in_history(facility, app):
    before = _row(facility, "3.5", "adult_men")
    assert before["freshness"] in ("aging", "stale")
    html = _post_row(facility, level_of_care="3.5", action="confirm",
                     available="99", capacity="99")  # typed values are not what it sends
    assert ("done", "Still accurate: the time was refreshed.") in notices(html)
    after = _row(facility, "3.5", "adult_men")
    assert after["freshness"] == "fresh" and after["reported_at"] > before["reported_at"]
    assert (after["available"], after["capacity"]) == (before["available"], before["capacity"])
    total, entries = reports.history(app.extensions["availability"], "seed:fac-001", 1, 5)
    assert entries[0]["event"] == "confirmation" and entries[0]["available"] == 3
    assert "Still accurate" in html and "Call intake before arriving" in html  # note kept


def test_still_accurate_on_an_unreported_row_asks_for_a_figure(facility):
    html = _post_row(facility, population="adult_women", action="confirm")
    assert [k for k, _ in notices(html)] == ["error"]
    assert _row(facility, "3.7-WM", "adult_women")["status"] == "unknown"


def test_a_report_on_the_page_is_at_once_in_public_search(facility):
    search = "/v1/search?near=60540&kind=treatment_facility&level_of_care=3.7-WM&gender=men"
    def open_beds(client):
        hits = client.get(search).get_json()["results"]
        return next(h["beds_open"]["open"] for h in hits if h["id"] == "seed:fac-001")
    assert open_beds(facility) == 4
    _post_row(facility, available="9")
    assert open_beds(facility) == 9


def test_coach_match_hold_confirm_and_decision(coach, facility, app):
    html, csrf = page_token(coach, "/staff/coach")
    needs = {"csrf_token": csrf, "near": "60540", "level_of_care": "3.7-WM",
             "payer": "uninsured", "gender": "men", "age": "30", "max_distance": "25"}
    response = coach.post("/staff/coach", data=needs)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Crossroads Recovery Center" in html
    assert "Detox, medically monitored (3.7-WM):</span> 4 open for men" in html
    assert "An open bed that fits (oldest figure fresh)" in html and "open_beds:" not in html
    forms = re.findall(r'name="facility_id" value="([^"]+)">\s*<input type="hidden" '
                       r'name="level_of_care" value="([^"]+)">\s*<input type="hidden" '
                       r'name="population" value="([^"]+)">', html)
    assert ("seed:fac-001", "3.7-WM", "adult_men") in forms
    assert not [f for f in forms if f[2] == "adult_women"]  # never offered to a man
    response = coach.post("/staff/coach/holds", data={
        "csrf_token": csrf, "facility_id": "seed:fac-001", "level_of_care": "3.7-WM",
        "population": "adult_men", "minutes": "90"})
    landing = response.headers["Location"]
    assert re.search(r"/staff/coach/holds#hold-h_[0-9a-f]+$", landing)
    card = coach.get(landing).get_data(as_text=True)
    assert 'class="hold hold-active"' in card and "Held. The facility sees it now" in card
    assert '<meta http-equiv="refresh"' in card  # inside <noscript>: pending, no JavaScript
    assert re.search(r'href="tel:\+1\d{10}">Call intake ', card)
    assert 'href="https://maps.apple.com/?daddr=' in card and 'class="address"' in card
    html = coach.get("/staff/coach").get_data(as_text=True)
    assert 'class="hold hold-active"' in html and '<meta http-equiv="refresh"' not in html
    assert re.search(r'data-expires="[^"]+" data-words="{n} min left">(89|90) min left<', html)
    hold_id = re.search(r'id="hold-(h_[0-9a-f]+)"', html).group(1)
    # The facility sees it and confirms the admission.
    fac_html, fac_csrf = page_token(facility, FAC)
    assert f'id="hold-{hold_id}"' in fac_html
    done = facility.post(f"/staff/holds/{hold_id}/confirm",
                         data={"csrf_token": fac_csrf, "next": FAC})
    assert done.headers["Location"] == FAC
    html = coach.get("/staff/coach").get_data(as_text=True)
    assert 'class="hold hold-confirmed"' in html and "Confirmed: admitted" in html
    card = coach.get("/staff/coach/holds").get_data(as_text=True)
    assert "Confirmed: admitted" in card and '<meta http-equiv="refresh"' not in card
    assert _row(facility)["available"] == 3


def test_coach_can_cancel_and_the_cap_is_a_message(seed_app_factory):
    app = seed_app_factory(hold_max_active_per_key=1)
    client = app.test_client()
    sign_in(client, make_key(app, "coach"))
    _html, csrf = page_token(client, "/staff/coach")
    hold = {"csrf_token": csrf, "facility_id": "seed:fac-001", "level_of_care": "3.7-WM",
            "population": "adult_men", "minutes": "60"}
    client.get(client.post("/staff/coach/holds", data=hold).headers["Location"])
    html = client.get(client.post("/staff/coach/holds", data=hold).headers["Location"]
                      ).get_data(as_text=True)
    assert [k for k, _ in notices(html)] == ["error"] and "1 active holds" in html
    hold_id = re.search(r'id="hold-(h_[0-9a-f]+)"', html).group(1)
    client.post(f"/staff/holds/{hold_id}/cancel", data={"csrf_token": csrf})
    assert "hold hold-cancelled" in client.get("/staff/coach").get_data(as_text=True)
    app.extensions["store"].close()


def test_refresh_highlights_beds_opened_since_the_last_look(coach, facility):
    _html, csrf = page_token(coach, "/staff/coach")
    needs = {"csrf_token": csrf, "near": "60540", "level_of_care": "detox", "gender": "men",
             "max_distance": "25"}
    first = coach.post("/staff/coach", data=needs).get_data(as_text=True)
    assert "Opened since your last look" not in first
    _post_row(facility, available="9")
    second = coach.post("/staff/coach", data=needs).get_data(as_text=True)
    opened = re.findall(r'class="match opened"[^>]*>\s*<h3><a[^>]*>([^<]+)', second)
    assert opened == ["Crossroads Recovery Center"]
    third = coach.post("/staff/coach", data=needs).get_data(as_text=True)
    assert "Opened since your last look" not in third
    # Other needs are another look: nothing is compared.
    other = coach.post("/staff/coach", data={**needs, "max_distance": "40"}).get_data(as_text=True)
    assert "Opened since your last look" not in other


def test_coach_needs_are_checked_by_the_match_schema(coach):
    _html, csrf = page_token(coach, "/staff/coach")
    response = coach.post("/staff/coach", data={"csrf_token": csrf, "near": "60540",
                                                "age": "thirty", "level_of_care": "detox"})
    assert response.status_code == 422 and 'id="age-error"' in response.get_data(as_text=True)
    response = coach.post("/staff/coach", data={"csrf_token": csrf, "near": "Nowhere, ZZ",
                                                "level_of_care": "detox"})
    assert response.status_code == 422 and 'id="near-error"' in response.get_data(as_text=True)


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, make_key(app, "admin"))
    return client


def test_freshness_board_lists_every_facility_with_beds_oldest_first(admin, facility):
    html = admin.get("/staff/admin").get_data(as_text=True)
    rows = re.findall(r'<tr class="row-(\w+)">', html)
    assert rows and set(rows) <= {"never", "stale", "aging", "fresh"}
    order = {"never": 0, "stale": 1, "aging": 2, "fresh": 3}
    assert [order[r] for r in rows] == sorted(order[r] for r in rows)
    assert "(331) 555-0140" in html  # Crossroads' intake phone, not its main line
    by_name = admin.get("/staff/admin?sort=name").get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', by_name)
    assert names == sorted(names, key=str.casefold) and len(names) == len(rows)


def test_a_confirmation_moves_a_facility_up_to_fresh_on_the_board(admin, facility):
    def state(html):
        return re.search(r'<tr class="row-(\w+)">\s*<th scope="row"><a href="/staff/facilities/'
                         r'seed:fac-001">', html).group(1)
    assert state(admin.get("/staff/admin").get_data(as_text=True)) in ("fresh", "aging")
    for population in ("adult_men", "adult_women"):
        _post_row(facility, level_of_care="3.5", population=population, action="confirm")
    _post_row(facility, action="confirm")
    # The newest report decides the board's age: the facility is fresh.
    assert state(admin.get("/staff/admin").get_data(as_text=True)) == "fresh"


def test_keys_are_created_shown_once_and_revoked(admin, app):
    _html, csrf = page_token(admin, "/staff/admin")
    response = admin.post("/staff/admin/keys", data={"csrf_token": csrf, "role": "facility",
                                                     "facility_id": "seed:fac-002",
                                                     "label": "night desk"})
    html = response.get_data(as_text=True)
    key = re.search(r'id="new-key-value" readonly value="([^"]+)"', html).group(1)
    key_id = key.split(".")[0]
    assert response.headers["Cache-Control"] == "no-store"
    assert keys.verify(app.extensions["availability"], key).facility_id == "seed:fac-002"
    assert not [c for c in response.headers.getlist("Set-Cookie") if key in c]
    later = admin.get("/staff/admin").get_data(as_text=True)
    assert key_id in later and key not in later
    again = admin.post(f"/staff/admin/keys/{key_id}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 303
    assert keys.verify(app.extensions["availability"], key) is None
    bad = admin.post("/staff/admin/keys", data={"csrf_token": csrf, "role": "facility",
                                                "facility_id": "seed:mtg-001"})
    assert bad.status_code == 422


def test_a_new_key_is_at_the_top_and_facilities_are_picked_by_name(admin, app):
    html, csrf = page_token(admin, "/staff/admin")
    options = re.findall(r'<option value="(seed:fac-\d+)"[^>]*>([^<]+)</option>', html)
    assert ("seed:fac-001", "Crossroads Recovery Center — Naperville") in options
    assert not [o for o in options if not o[0].startswith("seed:fac-")]  # treatment only
    assert [w for _, w in options] == sorted((w for _, w in options), key=str.casefold)
    assert 'type="text" id="facility_id"' not in html
    response = admin.post("/staff/admin/keys", data={"csrf_token": csrf, "role": "facility",
                                                     "facility_id": "seed:fac-001"})
    html = response.get_data(as_text=True)
    assert html.index('id="new-key-value"') < html.index('id="board-title"')
    assert re.search(r'<button type="button" class="button primary" data-copy="new-key-value" '
                     r'hidden>Copy key</button>', html)
    assert re.search(r'<option value="seed:fac-001" selected>', html)


def test_my_holds_in_the_api_carry_the_intake_phone_and_address(coach, app):
    key = {"Authorization": f"Bearer {coach.key}"}
    assert coach.post("/v1/facilities/seed:fac-001/holds", headers=key, json={
        "level_of_care": "3.7-WM", "population": "adult_men"}).status_code == 201
    hold = coach.get("/v1/holds", headers=key).get_json()["holds"][0]
    assert hold["facility_phone"] == "(331) 555-0140"
    assert hold["facility_address"].endswith("Naperville, IL 60540")
    spec = app.test_client().get("/openapi.json").get_json()
    fields = spec["components"]["schemas"]["Hold"]["properties"]
    assert {"facility_phone", "facility_address"} <= set(fields)


def test_admin_page_shows_the_last_index_run(admin, app):
    assert "No index run has been recorded yet." in admin.get("/staff/admin").get_data(as_text=True)
    report = ImportReport()
    report.count("feeds/a.csv", "loaded", 40)
    report.count("feeds/a.csv", "merged", 2)
    report.count("feeds/a.csv", "rejected", 1)
    report.count("feeds/a.csv", "warned", 3)
    report.file("feeds/a.csv")["rejected"]["available: must be a whole number"] += 1
    report.file("feeds/a.csv")["warnings"]["no_location"] += 3
    report.rejected.append(Rejected("feeds/a.csv", 7, "x:1",
                                    {"beds": {"0": {"available": ["must be a whole number"]}}}))
    assert run_log.save(app.config["SETTINGS"], report) is None
    html = admin.get("/staff/admin").get_data(as_text=True)
    assert "Loaded: 40 new" in html and "Merged: 2" in html and "Rejected: 1" in html
    assert "feeds/a.csv:7 (x:1) beds.0.available: must be a whole number" in html
    assert "1 × available: must be a whole number" in html
    assert "Skipped with a warning: 3" in html and "3 × no_location" in html


def test_the_indexer_command_keeps_its_report(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from directory_service.config import Settings
    from indexer.cli import main

    bad = tmp_path / "feed"
    bad.mkdir()
    seed = pathlib.Path(__file__).parent.parent / "seed_data" / "treatment_facilities.ndjson"
    good = seed.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    (bad / "facilities.ndjson").write_text("".join(good) + '{"id": "x", "kind": "nope"}\n')
    store = tmp_path / "store" / "directory.sqlite"
    monkeypatch.setenv("STORE_PATH", str(store))
    result = CliRunner().invoke(main, ["load", str(bad), "--quiet", "--allow-rejected"])
    assert result.exit_code == 0, result.output
    kept = run_log.load(Settings.from_env())
    assert kept["outcome"] == "swapped" and kept["loaded"] == 5 and kept["rejected"] == 1
    assert (store.parent / "last-index-run.json").exists()
    CliRunner().invoke(main, ["load", str(bad), "--quiet", "--dry-run"])
    assert run_log.load(Settings.from_env())["finished_at"] == kept["finished_at"]
