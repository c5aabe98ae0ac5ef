"""`VersionedIndexDouble`: a recording test double at the Elasticsearch client seam.

It is NOT Elasticsearch and is never used as one: it keeps documents per concrete index
with their versions, resolves one alias, applies `bulk` index actions with the external
versioning rule of the Elasticsearch reference (`external`: the given version must be
greater than the stored one, `external_gte`: greater or equal, else a 409 item), answers
`mget`/`get`, and answers a search with every document of the alias's index (it
evaluates no query). Every call is recorded in `calls`, so the exact request bodies can be
compared with golden files. `down = True` makes every call raise the client's own
`ConnectionError`, as a cluster that cannot be reached does; `failing` names the calls
that raise it while the others answer (a cluster that times out on writes).
"""
import copy

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

from directory_service.search.elastic.client import ConnectionError, NotFoundError
from directory_service.search.elastic.mapping import document


def _meta(status):
    return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(),
                           duration=0.0, node=NodeConfig("http", "double.invalid", 9200))


class _Indices:
    def __init__(self, double):
        self.double = double

    def __getattr__(self, name):
        return getattr(self.double, f"indices_{name}")


class _Cluster:
    def __init__(self, double):
        self.double = double

    def health(self, **kwargs):
        self.double._call("cluster.health", **kwargs)
        return {"timed_out": False, "status": kwargs.get("wait_for_status", "green")}


class VersionedIndexDouble:
    def __init__(self, records=(), index="dir-1", alias="directory", version=0):
        self.alias, self.index = alias, index
        self.docs = {index: {r["id"]: (version, document(r)) for r in records}}
        self.calls = []
        self.down = False
        self.failing = set()
        self.indices = _Indices(self)
        self.cluster = _Cluster(self)

    # -- plumbing -------------------------------------------------------------------
    def _call(self, _op, **kwargs):
        if self.down or _op in self.failing:
            raise ConnectionError("connection refused (test double)")
        self.calls.append((_op, copy.deepcopy(kwargs)))

    def _target(self, index):
        return self.index if index in (None, self.alias) else index

    def options(self, **kwargs):
        self.calls.append(("options", kwargs))
        return self

    def source(self, doc_id, index=None):
        return self.docs[self._target(index)][doc_id][1]

    def version(self, doc_id, index=None):
        return self.docs[self._target(index)][doc_id][0]

    def swap_to(self, index):
        """Point the alias at `index` (an empty one when new), as an index run does."""
        self.docs.setdefault(index, {})
        self.index = index

    # -- client API -----------------------------------------------------------------
    def info(self):
        self._call("info")
        return {"version": {"number": "8.15.0"}}

    def indices_get_mapping(self, index):
        self._call("indices.get_mapping", index=index)
        return {self.index: {"mappings": {"_meta": {"zones": ["America/Chicago"]}}}}

    def indices_exists_alias(self, name):
        self._call("indices.exists_alias", name=name)
        return name == self.alias

    def indices_get_alias(self, name, **_):
        self._call("indices.get_alias", name=name)
        return {self.index: {"aliases": {name: {}}}}

    def count(self, index=None):
        self._call("count", index=index)
        return {"count": len(self.docs[self._target(index)])}

    def get(self, index, id, **_):
        self._call("get", index=index, id=id)
        found = self.docs[self._target(index)].get(id)
        if found is None:
            raise NotFoundError("not found", _meta(404), {"found": False})
        return {"_id": id, "_version": found[0], "_source": copy.deepcopy(found[1])}

    def mget(self, index, ids):
        self._call("mget", index=index, ids=list(ids))
        held = self.docs.get(self._target(index), {})
        return {"docs": [{"_index": index, "_id": i, "found": True, "_version": held[i][0],
                          "_source": copy.deepcopy(held[i][1])} if i in held
                         else {"_index": index, "_id": i, "found": False} for i in ids]}

    def bulk(self, operations):
        self._call("bulk", operations=operations)
        items = []
        for action, source in zip(operations[::2], operations[1::2]):
            spec = action["index"]
            held = self.docs.setdefault(spec["_index"], {})
            current = held.get(spec["_id"], (None,))[0]
            given, kind = spec["version"], spec["version_type"]
            newer = current is None or (given >= current if kind == "external_gte"
                                        else given > current)
            if newer:
                held[spec["_id"]] = (given, copy.deepcopy(source))
                items.append({"index": {"_id": spec["_id"], "status": 200,
                                        "_version": given}})
            else:
                items.append({"index": {"_id": spec["_id"], "status": 409, "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": f"[{spec['_id']}]: version conflict, current version "
                              f"[{current}] is higher or equal to the one provided "
                              f"[{given}]"}}})
        return {"errors": any(i["index"]["status"] >= 300 for i in items), "items": items}

    def search(self, index=None, body=None):
        self._call("search", index=index, body=body)
        hits = [{"_id": i, "_score": 1.0, "sort": [1.0, 1000.0, i],
                 "_source": {"record": copy.deepcopy(d["record"]),
                             "beds_by_level": copy.deepcopy(d["beds_by_level"])}}
                for i, (_, d) in sorted(self.docs[self.index].items())]
        if body and "pit" in body:
            after = (body.get("search_after") or [""])[0]
            return {"pit_id": "p", "hits": {"hits": [
                {**h, "sort": [h["_id"]]} for h in hits if h["_id"] > after][:body["size"]]}}
        return {"hits": {"total": {"value": len(hits)}, "hits": hits}}

    def open_point_in_time(self, index, keep_alive):
        self._call("open_point_in_time", index=index)
        return {"id": "p"}

    def close_point_in_time(self, id):
        self._call("close_point_in_time", id=id)

    def close(self):
        pass
