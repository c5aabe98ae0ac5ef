"""A facility keeps its own profile (issue 22; DESIGN §12), on SQLite and PostgreSQL.

A facility loaded from a SAMHSA FindTreatment file carries no levels of care, so it could
not report a bed; with its profile it declares its levels and rows and then reports. The
profile is merged over the source record field by field, with provenance, survives index
runs, and a later source change to a declared field is shown, never applied.
"""
import json

import pytest

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.test_live_support import bearer

FACILITY = "samhsa:pr01"
OTHER = "samhsa:pr02"


def samhsa_row(frid, name, intake="630-555-0111", payment="Medicaid"):
    """One FindTreatment `exportsAsJson` row with substance use care and no setting, so
    the indexer gives it no level of care (as most national-list rows)."""
    return {"frid": frid, "name1": name, "name2": "", "street1": "100 Main St",
            "city": "Naperville", "state": "IL", "zip": "60540",
            "phone": "630-555-0110", "intake1": intake, "hotline1": None,
            "latitude": "41.7508", "longitude": "-88.1535", "typeFacility": "SA",
            "services": [{"f1": "Type of Care", "f2": "TC", "f3": "Substance use treatment"},
                         {"f1": "Payment", "f2": "PAY", "f3": payment}]}


def write_samhsa(folder, **first):
    path = folder / "findtreatment.json"
    path.write_text(json.dumps([samhsa_row("pr01", "Prairie Path Recovery", **first),
                                samhsa_row("pr02", "Fox Valley Clinic")]))
    return path


def index(source, store_path):
    report = pipeline.run([str(source)], SqliteIndexWriter(str(store_path)))
    assert report.rejected == []


@pytest.fixture
def national(tmp_path, availability_backend):
    """(app, client, source folder, store path): the directory is one SAMHSA file."""
    folder = tmp_path / "source"
    folder.mkdir()
    store_path = tmp_path / "directory.sqlite"
    index(write_samhsa(folder), store_path)
    settings = Settings.from_env(store_path=str(store_path),
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app, app.test_client(), folder, store_path
    app.extensions["store"].close()


def etag(client, path, headers):
    return client.get(path, headers=headers).headers["ETag"]


def put_profile(client, headers, body, facility_id=FACILITY):
    path = f"/v1/facilities/{facility_id}/profile"
    return client.put(path, json=body, headers={**headers,
                                                "If-Match": etag(client, path, headers)})


def put_beds(client, headers, rows, facility_id=FACILITY):
    path = f"/v1/facilities/{facility_id}/beds"
    return client.put(path, json={"rows": rows},
                      headers={**headers, "If-Match": client.get(path).headers["ETag"]})


DETOX = {"levels_of_care": ["3.7-WM", "3.5"],
         "beds": [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 12},
                  {"level_of_care": "3.5", "population": "adult_any", "capacity": 20}]}
OPEN_ROW = {"level_of_care": "3.7-WM", "population": "adult_men", "available": 3,
            "capacity": 12}


def test_a_national_list_facility_declares_its_levels_then_reports_beds(national):
    app, client, _, _ = national
    key = bearer(app, "facility", FACILITY)
    assert client.get(f"/v1/resources/{FACILITY}").get_json()["levels_of_care"] == []
    refused = put_beds(client, key, [OPEN_ROW])
    assert refused.status_code == 422
    assert "not offered" in json.dumps(refused.get_json()["errors"])

    saved = put_profile(client, key, {"fields": DETOX})
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] == '"1"'
    reported = put_beds(client, key, [OPEN_ROW])
    assert reported.status_code == 200, reported.get_json()

    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert record["levels_of_care"] == ["3.7-WM", "3.5"]
    beds = {(r["level_of_care"], r["population"]): r for r in record["beds"]}
    assert beds[("3.7-WM", "adult_men")]["available"] == 3
    assert beds[("3.5", "adult_any")]["capacity"] == 20
    assert beds[("3.5", "adult_any")]["status"] == "unknown"
    # Search and match find it by its declared level, as any reporting facility.
    found = client.get("/v1/search?lat=41.7508&lon=-88.1535&radius=10&level_of_care=3.7-WM"
                       "&kind=treatment_facility&has_open_beds=true").get_json()
    assert [hit["id"] for hit in found["results"]] == [FACILITY]
    matched = client.post("/v1/match", json={"level_of_care": "detox", "gender": "men",
                                             "lat": 41.7508, "lon": -88.1535}).get_json()
    assert [hit["id"] for hit in matched["results"]] == [FACILITY]


def test_provenance_says_which_fields_the_facility_gave_and_when(national):
    app, client, _, _ = national
    key = bearer(app, "facility", FACILITY)
    put_profile(client, key, {"fields": {"phones": {"intake": "(630) 555-0199"},
                                         "walk_in": True}})
    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert record["phones"] == {"main": "630-555-0110", "intake": "(630) 555-0199",
                                "hotline": None}
    provenance = record["provenance"]
    assert provenance["phones.intake"]["origin"] == "facility"
    assert provenance["phones.intake"]["at"].endswith("Z")
    assert provenance["phones.intake"]["source_value"] == "630-555-0111"
    assert provenance["phones.main"]["origin"] == "source"
    assert provenance["walk_in"]["origin"] == "facility"
    assert provenance["payment"] == {"origin": "source",
                                     "at": record["source_updated_at"]}
    # The save verified the record; the other facility is untouched.
    assert record["verified_at"] == provenance["phones.intake"]["at"]
    assert "provenance" in client.get(f"/v1/resources/{OTHER}").get_json()
    assert client.get(f"/v1/resources/{OTHER}").get_json()["phones"]["intake"] == "630-555-0111"

    profile = client.get(f"/v1/facilities/{FACILITY}/profile", headers=key).get_json()
    assert profile["fields"]["phones.intake"] == {
        "value": "(630) 555-0199", "origin": "facility",
        "at": provenance["phones.intake"]["at"], "source_value": "630-555-0111",
        "source_changed": False}
    assert profile["fields"]["payment"]["origin"] == "source"
    assert profile["conflicts"] == []


def test_a_correction_survives_two_index_runs_and_a_source_change_is_offered(national):
    app, client, folder, store_path = national
    key = bearer(app, "facility", FACILITY)
    put_profile(client, key, {"fields": {"phones": {"intake": "(630) 555-0199"}}})
    index(folder / "findtreatment.json", store_path)
    write_samhsa(folder, intake="630-555-0777")
    index(folder / "findtreatment.json", store_path)

    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert record["phones"]["intake"] == "(630) 555-0199"
    assert record["provenance"]["phones.intake"]["source_value"] == "630-555-0777"
    profile = client.get(f"/v1/facilities/{FACILITY}/profile", headers=key).get_json()
    assert profile["conflicts"] == ["phones.intake"]
    assert profile["fields"]["phones.intake"]["source_changed"] is True

    # Keep ours: the conflict is answered, the value stays.
    kept = put_profile(client, key, {"keep": ["phones.intake"]}).get_json()
    assert kept["conflicts"] == [] and kept["fields"]["phones.intake"]["value"] == \
        "(630) 555-0199"
    # Accept the source: the field is the source's again.
    accepted = put_profile(client, key, {"accept_source": ["phones.intake"]}).get_json()
    assert accepted["fields"]["phones.intake"] == {"value": "630-555-0777", "origin": "source",
                                                   "at": record["source_updated_at"]}
    history = client.get(f"/v1/facilities/{FACILITY}/profile/history", headers=key).get_json()
    assert history["total"] == 3
    assert history["entries"][0]["changes"]["phones.intake"]["accepted_source"] is True
    assert history["entries"][2]["changes"]["phones.intake"] == {
        "before": "630-555-0111", "after": "(630) 555-0199"}


def test_saves_are_conditional_validated_and_scoped(national):
    app, client, _, _ = national
    key = bearer(app, "facility", FACILITY)
    path = f"/v1/facilities/{FACILITY}/profile"
    assert client.put(path, json={"fields": {}}, headers=key).status_code == 428
    stale = client.put(path, json={"fields": {"walk_in": True}},
                       headers={**key, "If-Match": '"7"'})
    assert stale.status_code == 412
    bad = put_profile(client, key, {"fields": {"levels_of_care": ["9.9"],
                                               "populations": {"min_age": 300}}})
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]
    assert "levels_of_care" in errors["fields"] and "populations" in errors["fields"]
    misfit = put_profile(client, key, {"fields": {"beds": [
        {"level_of_care": "3.7-WM", "capacity": 4}]}})
    assert misfit.status_code == 422
    assert "not among the levels of care" in json.dumps(misfit.get_json()["errors"])
    unknown = put_profile(client, key, {"fields": {"name": "New name"}})
    assert unknown.status_code == 422 and "name" in unknown.get_json()["errors"]["fields"]
    assert client.get(f"/v1/facilities/{OTHER}/profile", headers=key).status_code == 403
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(app, "coach")).status_code == 403
    assert client.get(path, headers=bearer(app, "admin")).status_code == 200


def test_the_public_page_says_which_details_the_facility_gave(national):
    app, client, _, _ = national
    assert "given by the facility" not in client.get(f"/r/{FACILITY}").get_data(as_text=True)
    put_profile(client, bearer(app, "facility", FACILITY),
                {"fields": {"phones": {"intake": "(630) 555-0199"}}})
    page = client.get(f"/r/{FACILITY}").get_data(as_text=True)
    assert "(630) 555-0199" in page
    assert "Some of these details were given by the facility itself." in page
    spanish = client.get(f"/r/{FACILITY}?lang=es").get_data(as_text=True)
    assert "Algunos de estos datos los dio el propio centro." in spanish
    assert "given by the facility" not in client.get(f"/r/{OTHER}").get_data(as_text=True)


def test_levels_given_back_to_the_source_stop_being_searched_and_shown(national):
    app, client, _, _ = national
    key = bearer(app, "facility", FACILITY)
    put_profile(client, key, {"fields": DETOX})
    assert put_beds(client, key, [OPEN_ROW]).status_code == 200
    search = ("/v1/search?lat=41.7508&lon=-88.1535&radius=10&level_of_care=3.7-WM"
              "&kind=treatment_facility")
    assert [h["id"] for h in client.get(search).get_json()["results"]] == [FACILITY]
    back = put_profile(client, key, {"accept_source": ["levels_of_care", "beds"]})
    assert back.status_code == 200
    assert client.get(search).get_json()["results"] == []
    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert record["levels_of_care"] == [] and record["beds"] == []
    assert put_beds(client, key, [OPEN_ROW]).status_code == 422
