"""Bed reports through the API: validation, optimistic concurrency, history, batch feed."""
import pytest

from tests.test_live_support import bearer, hours_ago, report, search_open

MEN = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10}


def put(client, headers, rows, **extra):
    """A report on test:a; If-Match is the current ETag unless `headers` names one."""
    return report(client, headers, "test:a", rows, **extra)


def test_report_changes_search_and_carries_etag(app, client):
    assert search_open(client, "test:a")["open"] == 1
    response = put(client, bearer(app, "facility", "test:a"), [{**MEN, "available": 5}])
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["version"] == 1
    figure = search_open(client, "test:a")
    assert figure["open"] == 5
    assert figure["freshness"] in ("fresh", "aging")


@pytest.mark.parametrize("row, field", [
    ({**MEN, "available": 11}, "available"),
    ({**MEN, "level_of_care": "9.9", "available": 1}, "level_of_care"),
    ({**MEN, "available": 1, "reported_at": "2999-01-01T00:00:00Z"}, "reported_at"),
    ({**MEN, "available": 1, "status": "full"}, "available"),
    ({**MEN, "available": 1, "colour": "red"}, "colour"),
])
def test_invalid_rows_are_422_naming_the_field(app, client, row, field):
    response = put(client, bearer(app, "admin"), [row])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json()["errors"])


def test_level_the_facility_does_not_offer_is_422(app, client):
    response = put(client, bearer(app, "admin"), [{**MEN, "level_of_care": "3.5", "available": 1}])
    assert response.status_code == 422
    assert response.get_json()["errors"]["rows"]["0"]["level_of_care"]


def test_unknown_facility_is_404(app, client):
    response = client.put("/v1/facilities/test:nope/beds", json={"rows": [{**MEN, "available": 1}]},
                          headers=bearer(app, "admin"))
    assert response.status_code == 404


def test_stale_if_match_is_412_and_current_one_wins(app, client):
    key = bearer(app, "facility", "test:a")
    assert put(client, key, [{**MEN, "available": 2}]).headers["ETag"] == '"1"'
    stale = put(client, {**key, "If-Match": '"0"'}, [{**MEN, "available": 3}])
    assert stale.status_code == 412
    assert "version 1" in stale.get_json()["detail"]
    assert put(client, {**key, "If-Match": '"0"'}, [{**MEN, "available": 3}],
               version=0).status_code == 412
    disagree = put(client, {**key, "If-Match": '"1"'}, [{**MEN, "available": 3}], version=0)
    assert disagree.status_code == 422 and "version" in disagree.get_json()["errors"]
    fresh = put(client, {**key, "If-Match": '"1"'}, [{**MEN, "available": 4}])
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"2"'
    assert search_open(client, "test:a")["open"] == 4


def test_history_keeps_every_report_paged(app, client):
    key = bearer(app, "facility", "test:a")
    for available in (1, 2, 3):
        assert put(client, key, [{**MEN, "available": available}]).status_code == 200
    page = client.get("/v1/facilities/test:a/beds/history?per_page=2", headers=key).get_json()
    reports = [e for e in page["entries"] if e["event"] == "report"]
    assert page["total"] == 3 + 2  # three reports after two baseline rows from the directory
    assert [e["available"] for e in reports] == [3, 2]
    rest = client.get("/v1/facilities/test:a/beds/history?per_page=2&page=2", headers=key)
    assert [e["available"] for e in rest.get_json()["entries"] if e["event"] == "report"] == [1]
    bad = client.get("/v1/facilities/test:a/beds/history?pge=2", headers=key)
    assert bad.status_code == 422


def test_batch_json_reports_every_row(app, client):
    rows = [{"facility_id": "test:a", **MEN, "available": 2, "reported_at": hours_ago(0.5)},
            {"facility_id": "test:zz", **MEN, "available": 2},
            {"facility_id": "test:b", "level_of_care": "3.7-WM", "population": "adult_men",
             "capacity": 1, "available": 2},
            {"facility_id": "test:b", "level_of_care": "3.5", "available": 1}]
    response = client.post("/v1/availability", json=rows, headers=bearer(app, "admin"))
    assert response.status_code == 207
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected"]
    assert "facility_id" in results[1]["errors"]
    assert "available" in results[2]["errors"]
    assert "level_of_care" in results[3]["errors"]
    assert search_open(client, "test:a")["open"] == 2


def test_batch_csv_all_accepted_is_200(app, client):
    csv = ("facility_id,level_of_care,population,capacity,available,status,reported_at,note\n"
           "test:a,3.7-WM,adult_men,10,6,open,,\n"
           "test:a,3.7-WM,adult_women,10,0,full,,\n")
    response = client.post("/v1/availability", data=csv, content_type="text/csv",
                           headers=bearer(app, "facility", "test:a"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["accepted"] == 2
    assert search_open(client, "test:a")["open"] == 6


@pytest.mark.parametrize("body", [
    # Excel's "CSV UTF-8": a byte-order mark before the header, CRLF line ends.
    "\ufefffacility_id,level_of_care,population,capacity,available,note\r\n"
    "test:a,3.7-WM,adult_men,10,4,caf\u00e9 \u2014 night\r\n".encode("utf-8"),
    # Excel's "CSV (Comma delimited)" on Windows: Windows-1252 text.
    "facility_id,level_of_care,population,capacity,available,note\r\n"
    "test:a,3.7-WM,adult_men,10,4,caf\u00e9 \u2014 night\r\n".encode("cp1252"),
    # Excel where the decimal mark is a comma: ';' between cells; headers as typed.
    "Facility ID;Level of Care;Population;Capacity;Available;Note\n"
    "test:a;3.7-WM;adult_men;10;4;caf\u00e9 \u2014 night\n".encode("utf-8"),
    # A tab-separated export, headers in capitals and with hyphens.
    "FACILITY_ID\tLEVEL-OF-CARE\tPOPULATION\tCAPACITY\tAVAILABLE\tNOTE\n"
    "test:a\t3.7-WM\tadult_men\t10\t4\tcaf\u00e9 \u2014 night\n".encode("utf-8"),
    # Excel's "Unicode Text": UTF-16 with its byte-order mark, tabs between cells.
    "facility_id\tlevel_of_care\tpopulation\tcapacity\tavailable\tnote\r\n"
    "test:a\t3.7-WM\tadult_men\t10\t4\tcaf\u00e9 \u2014 night\r\n".encode("utf-16"),
    # Old Mac exports: CR alone ends each line.
    "facility_id,level_of_care,population,capacity,available,note\r"
    "test:a,3.7-WM,adult_men,10,4,caf\u00e9 \u2014 night\r".encode("utf-8"),
], ids=["utf8-bom-crlf", "cp1252", "semicolons", "tabs", "utf16", "cr-only"])
def test_batch_csv_as_spreadsheets_save_it(app, client, body):
    response = client.post("/v1/availability", data=body, content_type="text/csv",
                           headers=bearer(app, "facility", "test:a"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["accepted"] == 1
    assert search_open(client, "test:a")["open"] == 4
    rows = client.get("/v1/facilities/test:a/beds",
                      headers=bearer(app, "facility", "test:a")).get_json()["rows"]
    (men,) = [r for r in rows if r.get("population") == "adult_men"]
    assert men["note"] == "caf\u00e9 \u2014 night"


def test_batch_csv_without_needed_columns_is_422(app, client):
    response = client.post("/v1/availability", data="facility_id,capacity\ntest:a,3\n",
                           content_type="text/csv", headers=bearer(app, "admin"))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"level_of_care", "available"}
