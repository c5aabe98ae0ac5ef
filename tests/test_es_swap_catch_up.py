"""Issue 12, finding 5: a report made between the writer's snapshot of live figures and
the alias swap reached only the old index. The writer now pushes every facility changed
since its snapshot again after the swap, through the alias, so the new index has it.

`DocsClientDouble` is a recording test double at the client seam, not Elasticsearch: it
keeps documents per index, resolves the alias through RecordingIndicesDouble, applies
bulk and partial updates, and evaluates no query.
"""
import copy
from datetime import datetime, timezone

from directory_service.availability import reports
from directory_service.availability.db import AvailabilityDB
from directory_service.config import Settings
from directory_service.search.elastic import writer as es_writer
from directory_service.search.elastic.writer import ElasticsearchIndexWriter
from tests import factories
from tests.test_es_writer import NEW, NOW, OLD, RecordingClientDouble, RecordingIndicesDouble
from tests.test_live_support import row

FAC = factories.facility("full", km=1, beds=[row(available=0)])


class DocsClientDouble(RecordingClientDouble):
    def __init__(self, indices):
        super().__init__(indices, count=1)
        self.docs = {}

    def _target(self, index):
        named = [i for i, a in self.indices.aliases.items() if index in a]
        return named[0] if named else index

    def get(self, index, id, source_includes=None):
        doc = self.docs[(self._target(index), id)]
        return {"_seq_no": 1, "_primary_term": 1, "_source": copy.deepcopy(doc)}

    def update(self, index, id, doc, **_):
        self.docs[(self._target(index), id)].update(copy.deepcopy(doc))


def bulk_into(client):
    def streaming_bulk(_client, actions, **_):
        for action in actions:
            key = (action["_index"], action["_id"])
            if action["_op_type"] == "index":
                client.docs[key] = copy.deepcopy(action["_source"])
            else:
                client.docs[key].update(copy.deepcopy(action["doc"]))
            yield True, {action["_op_type"]: {"_id": action["_id"], "status": 200}}
    return streaming_bulk


def report(adb, available, second):
    at = datetime.now(timezone.utc).replace(second=second, microsecond=0)
    reports.apply_report(adb, "test:full", [{
        "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
        "available": available, "status": "open",
        "reported_at": at.isoformat().replace("+00:00", "Z")}], "key:t", FAC["beds"],
        partial=True)


def test_a_report_made_during_the_swap_reaches_the_new_index(tmp_path, monkeypatch):
    path = str(tmp_path / "availability.sqlite")
    adb = AvailabilityDB(path)
    report(adb, 2, 1)

    class Indices(RecordingIndicesDouble):
        def put_settings(self, index, settings):
            super().put_settings(index, settings)
            report(adb, 7, 2)  # after the snapshot, before the alias moves

    indices = Indices(OLD, alias_on=[OLD[1]])
    client = DocsClientDouble(indices)
    monkeypatch.setattr(es_writer.helpers, "streaming_bulk", bulk_into(client))
    settings = Settings(elasticsearch_url="http://unused", availability_path=path)
    with ElasticsearchIndexWriter(client, settings, now=NOW) as writer:
        writer.add(FAC)
        writer.commit()
    figure = client.docs[(NEW, "test:full")]["beds_by_level"]["3_7-WM__men"]
    assert figure["open"] == 7
