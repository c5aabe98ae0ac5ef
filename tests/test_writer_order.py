"""The store file keeps its records in store order (kind, latitude, longitude, id): the
embedded search finds a kind's latitude band by binary search over that order, and the
writer sorts the keys itself rather than through SQLite's ORDER BY."""
import random
import sqlite3

from directory_service import vocab
from directory_service.search.embedded.writer import SqliteIndexWriter
from tests.factories import facility, meeting, site


def test_rows_are_written_in_kind_latitude_longitude_id_order(tmp_path):
    rng = random.Random(5)
    makers = [facility, meeting, lambda rid, **kw: site(rid, **kw),
              lambda rid, **kw: site(rid, kind="takeback_site", **kw)]
    records = []
    for i in range(300):
        # Few distinct latitudes and longitudes, so ties are broken by the next key.
        point = {"lat": 41.7 + rng.choice((0.0, 0.01, 0.02)),
                 "lon": -88.1 - rng.choice((0.0, 0.01))}
        records.append(rng.choice(makers)(f"r{rng.randrange(10**6):06d}-{i}", location=point))
    rng.shuffle(records)
    path = str(tmp_path / "directory.sqlite")
    with SqliteIndexWriter(path) as writer:
        for record in records:
            writer.add(record)
        writer.commit()
    stored = [row[0] for row in sqlite3.connect(path).execute(
        "SELECT id FROM records ORDER BY rowid")]
    expected = sorted(records, key=lambda r: (vocab.KINDS.index(r["kind"]), r["location"]["lat"],
                                              r["location"]["lon"], r["id"]))
    assert stored == [r["id"] for r in expected]
