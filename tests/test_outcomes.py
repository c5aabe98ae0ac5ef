"""Outcomes for the program (issue 23, item 5): a scripted week of holds, made with the
real reports and holds code at set clocks, gives exactly the figures a funder report
needs, on SQLite and PostgreSQL; the CSV, the page and its charts say the same."""
import csv
import io
import re

import pytest
from sqlalchemy import create_engine, inspect, text

from directory_service import outcomes
from directory_service.availability import holds, keys
from directory_service.availability.schema import outcomes_freshness
from tests import outcomes_week as week
from tests.staff_client import make_key, page_token, sign_in
from tests.test_live_support import make_app

WINDOW = "from=2026-10-26&to=2026-11-08"
NO_REASONS = dict.fromkeys(outcomes.REASONS, 0)


def reasons(**counts):
    return {**NO_REASONS, **counts}


def duration(count, median, p90):
    return {"count": count, "median": median, "p90": p90}


# Every figure of the scripted week (tests/outcomes_week.py explains each one).
TOTALS = {"placed": 6, "confirmed": 2, "declined": 3, "expired": 1, "active": 0,
          "declined_by_reason": reasons(facility_declined=1, coach_cancelled=1,
                                        fewer_beds_reported=1),
          "decision_minutes": duration(5, 30.0, 60.0),
          "opening_to_hold_minutes": duration(6, 45.0, 4380.0)}
EMPTY = {"placed": 0, "confirmed": 0, "declined": 0, "expired": 0, "active": 0,
         "declined_by_reason": NO_REASONS, "decision_minutes": duration(0, None, None),
         "opening_to_hold_minutes": duration(0, None, None)}
GROUPS = {
    "week": [{"group": "2026-W44", **EMPTY}, {"group": "2026-W45", **TOTALS}],
    "facility": [
        {"group": "test:a", "name": "Facility a", "placed": 3, "confirmed": 2, "declined": 1,
         "expired": 0, "active": 0, "declined_by_reason": reasons(facility_declined=1),
         "decision_minutes": duration(3, 45.0, 60.0),
         "opening_to_hold_minutes": duration(3, 75.0, 4380.0)},
        {"group": "test:b", "name": "Facility b", "placed": 3, "confirmed": 0, "declined": 2,
         "expired": 1, "active": 0,
         "declined_by_reason": reasons(coach_cancelled=1, fewer_beds_reported=1),
         "decision_minutes": duration(2, 30.0, 30.0),
         "opening_to_hold_minutes": duration(3, 20.0, 60.0)}],
    "coach_group": [
        {"group": "North", "placed": 3, "confirmed": 2, "declined": 1, "expired": 0,
         "active": 0, "declined_by_reason": reasons(fewer_beds_reported=1),
         "decision_minutes": duration(3, 30.0, 45.0),
         "opening_to_hold_minutes": duration(3, 30.0, 4380.0)},
        {"group": "South", "placed": 2, "confirmed": 0, "declined": 2, "expired": 0,
         "active": 0, "declined_by_reason": reasons(facility_declined=1, coach_cancelled=1),
         "decision_minutes": duration(2, 45.0, 60.0),
         "opening_to_hold_minutes": duration(2, 67.5, 75.0)},
        {"group": None, "placed": 1, "confirmed": 0, "declined": 0, "expired": 1,
         "active": 0, "declined_by_reason": NO_REASONS,
         "decision_minutes": duration(0, None, None),
         "opening_to_hold_minutes": duration(1, 10.0, 10.0)}],
}
# (facilities, fresh, aging, stale, unreported) at each nudge time of the week.
SNAPSHOTS = {"mon": (2, 1, 0, 0, 1), "tue": (3, 1, 0, 1, 1), "thu": (3, 0, 0, 2, 1)}


def _app(tmp_path):
    app = make_app(tmp_path, week.directory())
    app.config["PAGE_NOW"] = week.AS_OF
    return app


@pytest.fixture
def scripted(tmp_path):
    """An app after the scripted week (SQLite), its snapshots taken, and an admin key."""
    app = _app(tmp_path)
    made = week.script(app, lambda now: outcomes.record_freshness(app, now))
    yield app, made, make_key(app, "admin")
    app.extensions["store"].close()


def _get(app, key, query):
    return app.test_client().get(f"/v1/outcomes?{query}",
                                 headers={"Authorization": f"Bearer {key}"})


def test_a_scripted_week_gives_exactly_its_figures(tmp_path, availability_backend):
    app = _app(tmp_path)
    made = week.script(app, lambda now: outcomes.record_freshness(app, now))
    admin = make_key(app, "admin")
    try:
        for group_by, expected in GROUPS.items():
            response = _get(app, admin, f"{WINDOW}&group_by={group_by}")
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            assert body["totals"] == TOTALS, group_by
            assert body["groups"] == expected, group_by
            assert response.headers["Cache-Control"] == "no-store"
            assert (body["from"], body["to"], body["as_of"]) == (
                "2026-10-26T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-10T00:00:00Z")
            # Counts and durations only: no hold, no coach's key, no note.
            text = response.get_data(as_text=True)
            for secret in [*made["holds"].values(), *made["keys"].values(), week.NOTE]:
                assert secret not in text
        snapshots = _get(app, admin, WINDOW).get_json()["freshness"]
        assert [(s["facilities"], s["fresh"], s["aging"], s["stale"], s["unreported"])
                for s in snapshots] == list(SNAPSHOTS.values())
    finally:
        app.extensions["store"].close()


def test_the_window_and_the_clock_decide_what_counts(scripted):
    app, made, admin = scripted
    # The next week's hold (h7) is outside; in its own week it is still held at its
    # placing and expired two hours on, as holds.py reads an unexpired hold.
    later = _get(app, admin, "from=2026-11-09&to=2026-11-09").get_json()["totals"]
    assert (later["placed"], later["active"], later["expired"]) == (1, 0, 1)
    app.config["PAGE_NOW"] = week.at(7, 1)
    early = _get(app, admin, "from=2026-11-09&to=2026-11-09").get_json()["totals"]
    assert (early["active"], early["expired"]) == (1, 0)
    # The default window: the 28 days to today (PAGE_NOW).
    app.config["PAGE_NOW"] = week.AS_OF
    body = _get(app, admin, "").get_json()
    assert (body["from"], body["to"]) == ("2026-10-14T00:00:00Z", "2026-11-11T00:00:00Z")
    assert body["totals"]["placed"] == 7


def test_a_bed_open_since_the_baseline_has_no_known_opening(tmp_path):
    """A row open from the directory's own figures was never seen opening: its holds are
    left out of the opening figure rather than timed from the first touch."""
    from tests import factories

    record = factories.facility("z", beds=[{**factories.bed(available=2),
                                            "population": week.MEN,
                                            "reported_at": "2026-11-01T00:00:00Z"}])
    app = make_app(tmp_path, [record])
    try:
        adb = app.extensions["availability"]
        coach = keys.create(adb, "coach", coach_group="North")[0]
        holds.create(adb, "test:z", week.LEVEL, week.MEN, coach, None, 60,
                     app.extensions["store"].get("test:z")["beds"], now=week.at(0, 9))
        start, end = outcomes.window(week.FIRST_DAY, week.LAST_DAY)
        result = outcomes.compute(adb, start, end, "week", now=week.AS_OF)
        assert result["totals"]["placed"] == 1
        assert result["totals"]["opening_to_hold_minutes"] == duration(0, None, None)
    finally:
        app.extensions["store"].close()


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _number(text):
    if text == "":
        return None
    return float(text) if "." in text else int(text)


@pytest.mark.parametrize("group_by", sorted(GROUPS))
def test_the_csv_has_the_same_figures_as_the_json(scripted, group_by):
    app, _made, admin = scripted
    body = _get(app, admin, f"{WINDOW}&group_by={group_by}").get_json()
    headers = {"Authorization": f"Bearer {admin}"}
    client = app.test_client()
    rows = _csv(client.get(f"/v1/outcomes.csv?{WINDOW}&group_by={group_by}", headers=headers))
    assert rows == _csv(_get(app, admin, f"{WINDOW}&group_by={group_by}&format=csv"))
    assert [r["row"] for r in rows] == ["group"] * len(body["groups"]) + ["total"]
    for row, figures in zip(rows, body["groups"] + [body["totals"]]):
        if row["row"] == "group":
            assert (row["group"] or None) == figures["group"]
        for name in ("placed", "confirmed", "declined", "expired", "active"):
            assert _number(row[name]) == figures[name], name
        for reason, n in figures["declined_by_reason"].items():
            assert _number(row[f"declined_{reason}"]) == n
        for measure in ("decision_minutes", "opening_to_hold_minutes"):
            for part, value in figures[measure].items():
                assert _number(row[f"{measure}_{part}"]) == value, (measure, part)
    snapshots = _csv(client.get(f"/v1/outcomes.csv?{WINDOW}&table=freshness",
                                headers=headers))
    assert [{k: _number(v) if k != "taken_at" else v for k, v in r.items()}
            for r in snapshots] == body["freshness"]


def test_freshness_snapshots_count_facilities_at_each_nudge_time(scripted):
    app, _made, admin = scripted
    adb = app.extensions["availability"]
    rows = [dict(r) for r in adb.read().execute(
        outcomes_freshness.select().order_by(outcomes_freshness.c.taken_at)).mappings()]
    assert [r["taken_at"] for r in rows] == [
        "2026-11-02T12:00:00Z", "2026-11-03T13:00:00Z", "2026-11-05T09:00:00Z"]
    # The job runner's call returns the counts; the same moment again replaces the row.
    for _ in range(2):
        taken = outcomes.record_freshness(app, week.AS_OF)
        assert taken == {"fresh": 0, "aging": 0, "stale": 2, "unreported": 1,
                         "facilities": 3}
    assert len(adb.read().execute(outcomes_freshness.select()).all()) == 4
    first = _get(app, admin, WINDOW).get_json()["freshness"][0]
    assert (first["fresh_share"], first["unreported_share"]) == (0.5, 0.5)


def test_bad_parameters_name_the_field(scripted):
    app, _made, admin = scripted
    for query, field in (("from=2026-13-01", "from"), ("to=yesterday", "to"),
                         ("group_by=coach", "group_by"), ("format=xml", "format"),
                         ("table=notes", "table"), ("from=2026-11-09&to=2026-11-08", "from"),
                         ("from=2024-01-01&to=2026-01-01", "from"), ("note=1", "note"),
                         ("group_by=week&group_by=facility", "group_by"),
                         # the last representable days: once a 500 (the day after overflowed)
                         ("to=9999-12-31", "to"), ("from=1999-12-31&to=2000-01-05", "from")):
        response = _get(app, admin, query)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) == [field], query
    csv_only = app.test_client().get("/v1/outcomes.csv?format=json",
                                     headers={"Authorization": f"Bearer {admin}"})
    assert list(csv_only.get_json()["errors"]) == ["format"]


def test_only_an_admin_key_reads_outcomes(scripted):
    app, _made, _admin = scripted
    client = app.test_client()
    for path in ("/v1/outcomes", "/v1/outcomes.csv"):
        assert client.get(path).status_code == 401
        for role, facility in (("coach", None), ("facility", "test:a")):
            key = keys.create(app.extensions["availability"], role, facility)[1]
            refused = client.get(path, headers={"Authorization": f"Bearer {key}"})
            assert refused.status_code == 403, (path, role)
    coach = app.test_client()
    sign_in(coach, make_key(app, "coach"))
    assert coach.get("/staff/admin/outcomes").status_code == 403
    assert coach.get("/staff/admin/outcomes.csv").status_code == 403
    assert app.test_client().get("/staff/admin/outcomes").status_code == 401


SVG = re.compile(r"<svg [^>]*>.*?</svg>", re.S)


def test_the_page_shows_the_figures_and_charts_with_text_alternatives(scripted):
    app, made, admin = scripted
    client = app.test_client()
    sign_in(client, admin)
    html = client.get(f"/staff/admin/outcomes?{WINDOW}&group_by=coach_group&lang=en"
                      ).get_data(as_text=True)
    assert "Holds placed: <strong>6</strong>" in html
    assert "Minutes from hold to decision: median 30, 90th percentile 60 (5 holds)." in html
    assert ('<tr><th scope="row">South</th><td>2</td><td>0</td><td>2</td><td>0</td>'
            '<td>0</td><td>1</td><td>1</td>') in html
    assert '<tr><th scope="row">No group</th><td>1</td><td>0</td><td>0</td><td>1</td>' in html
    charts = SVG.findall(html)
    assert len(charts) == 4
    for svg in charts:
        # An image named by its title and described by its numbers and a table.
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        table = re.search(r'aria-describedby="([^"]+)"', svg).group(1)
        assert f'<table class="board" id="{table}">' in html
        # Colours by class only (the page's light or dark colours), no inline style.
        assert "style=" not in svg and 'fill="#' not in svg and "<script" not in svg
    assert ("<desc id=\"chart-outcomes-desc\">North: 3 placed, 2 admitted, 1 declined, "
            "0 expired, 0 still held. South: 2 placed, 0 admitted, 2 declined") in html
    assert "South: median 67.5 minutes, 90th percentile 75 (2 holds)." in html
    assert "2 Nov 2026 12:00: 50\u00a0% fresh (1 of 2 facilities)." in html
    assert '<time datetime="2026-11-03T13:00:00Z">3 Nov 2026 13:00</time>' in html
    assert "<script" not in html.split("</head>", 1)[1]
    for secret in [*made["holds"].values(), *made["keys"].values(), week.NOTE]:
        assert secret not in html
    # The page's CSV link gives the API's CSV.
    link = re.search(r'href="(/staff/admin/outcomes\.csv\?[^"]+)"', html).group(1)
    page_csv = client.get(link.replace("&amp;", "&"))
    api_csv = app.test_client().get(f"/v1/outcomes.csv?{WINDOW}&group_by=coach_group",
                                    headers={"Authorization": f"Bearer {admin}"})
    assert page_csv.get_data() == api_csv.get_data()


def test_the_page_in_spanish_and_a_bad_date_named(scripted):
    app, _made, admin = scripted
    client = app.test_client()
    sign_in(client, admin)
    html = client.get(f"/staff/admin/outcomes?{WINDOW}&lang=es").get_data(as_text=True)
    assert '<html lang="es">' in html and "Resultados" in html
    assert "Semana del 2 nov 2026" in html
    assert client.get("/staff/admin/outcomes?to=9999-12-31").status_code == 422
    wrong = client.get("/staff/admin/outcomes?from=2026-11-09&to=2026-11-08&lang=en")
    assert wrong.status_code == 422
    assert 'role="alert" id="error-from">From: must be on or before `to`' in \
        wrong.get_data(as_text=True)
    assert 'id="from" name="from" value="2026-11-09" aria-invalid="true"' in \
        wrong.get_data(as_text=True)


def test_the_dark_colours_reach_the_charts():
    from tests.conftest import ROOT

    with open(f"{ROOT}/directory_service/static/staff.css", encoding="utf-8") as handle:
        css = handle.read()
    dark = css.split("@media screen and (prefers-color-scheme: dark)", 1)[1]
    assert "body.outcomes-page" in dark and "--ink: #e6edf0" in dark
    for selector in (".chart-svg text { fill: var(--ink); }", ".seg-confirmed { fill: var("):
        assert selector in css


def test_an_admin_labels_a_coach_key_with_its_group(tmp_path):
    app = make_app(tmp_path)
    try:
        client = app.test_client()
        sign_in(client, make_key(app, "admin"))
        _html, token = page_token(client, "/staff/admin")
        made = client.post("/staff/admin/keys", data={
            "csrf_token": token, "role": "coach", "label": "desk 3", "coach_group": "North"})
        assert made.status_code == 200
        assert "group North" in made.get_data(as_text=True)
        client.post("/staff/admin/keys", data={"csrf_token": token, "role": "admin",
                                               "coach_group": "Ignored"})
        listed = {k["role"]: k["coach_group"] for k in keys.list_keys(
            app.extensions["availability"]) if k["label"] in ("desk 3", None)}
        assert listed["coach"] == "North" and "Ignored" not in listed.values()
        with pytest.raises(keys.InvalidKeyRequest):
            keys.create(app.extensions["availability"], "facility", "test:a",
                        coach_group="North")
        assert 'href="/staff/admin/outcomes' in client.get("/staff/admin").get_data(
            as_text=True)
    finally:
        app.extensions["store"].close()


def test_flask_keys_create_takes_a_group(tmp_path):
    app = make_app(tmp_path)
    try:
        result = app.test_cli_runner().invoke(
            args=["keys", "create", "--role", "coach", "--group", "South"])
        assert result.exit_code == 0, result.output
        assert [k["coach_group"] for k in keys.list_keys(app.extensions["availability"])] == [
            "South"]
    finally:
        app.extensions["store"].close()


def test_migration_0010_adds_the_group_to_existing_keys(tmp_path):
    """A database at 0005 with keys is brought to 0010: its keys keep, group empty."""
    from alembic import command

    from directory_service.availability import migrate
    from directory_service.availability.db import AvailabilityDB

    url = f"sqlite:///{tmp_path}/old.sqlite"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0005")
        conn.execute(text("INSERT INTO api_keys (id, hash, role, created_at) "
                          "VALUES ('k_old', 'x', 'coach', '2026-01-01T00:00:00Z')"))
    engine.dispose()
    adb = AvailabilityDB(url=url)
    try:
        columns = {c["name"] for c in inspect(adb.engine).get_columns("api_keys")}
        assert "coach_group" in columns
        assert inspect(adb.engine).has_table("outcomes_freshness")
        assert [(k["id"], k["coach_group"]) for k in keys.list_keys(adb)] == [("k_old", None)]
    finally:
        adb.close()


def test_a_group_label_never_runs_as_a_spreadsheet_formula(tmp_path):
    app = _app(tmp_path)
    try:
        adb = app.extensions["availability"]
        coach = keys.create(adb, "coach", coach_group="=HYPERLINK(\"x\")")[0]
        week._report(adb, "test:a", 2, week.at(0, 9))
        week._hold(adb, "test:a", coach, week.at(0, 10))
        admin = make_key(app, "admin")
        rows = _csv(app.test_client().get(f"/v1/outcomes.csv?{WINDOW}&group_by=coach_group",
                                          headers={"Authorization": f"Bearer {admin}"}))
        assert rows[0]["group"] == "'=HYPERLINK(\"x\")" and rows[0]["placed"] == "1"
        # The JSON keeps the label as it is.
        body = _get(app, admin, f"{WINDOW}&group_by=coach_group").get_json()
        assert body["groups"][0]["group"] == "=HYPERLINK(\"x\")"
    finally:
        app.extensions["store"].close()


def test_each_ending_is_read_into_its_reason():
    from directory_service.availability import hold_reasons
    from directory_service.outcomes.figures import outcome

    def hold(state, reason=None, expires_at="2026-11-02T12:00:00Z"):
        return {"state": state, "reason": reason, "expires_at": expires_at}

    gone = hold_reasons.bed_gone("3.7-WM", "adult_men", "full", 0, "2026-11-02T10:00:00Z")
    fewer = hold_reasons.fewer_than_held(0, "3.7-WM", "adult_men", "2026-11-02T10:00:00Z", 1)
    now = week.at(0, 11)
    assert [outcome(h, now) for h in (
        hold("active"), hold("active", expires_at="2026-11-02T11:00:00Z"), hold("expired"),
        hold("confirmed"), hold("declined"), hold("cancelled"), hold("released", fewer),
        hold("released", gone), hold("released", "some other words"))] == [
        "active", "expired", "expired", "confirmed", "facility_declined", "coach_cancelled",
        "fewer_beds_reported", "bed_gone", "released_other"]
