"""The compiled record loader (schemas/fast_load.py, issue 25 item 3): what it refuses to
compile, validators and field subclasses it runs as they are, and whole indexes built
through either path compared table by table.
"""
import sqlite3

import pytest
from marshmallow import Schema, fields, pre_load, validate

from directory_service.schemas import records
from directory_service.schemas.fast_load import CannotCompile, NotFast, compile_loader
from directory_service.search.embedded.column_file import MappedColumns
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.test_fast_load import NOW, SEED, STAMP


def test_features_it_does_not_reproduce_stop_it_at_import_time():
    class WithPreLoad(Schema):
        name = fields.String()

        @pre_load
        def strip(self, data, **kwargs):
            return data

    class WithDataKey(Schema):
        name = fields.String(data_key="Name")

    for schema in (WithPreLoad(), WithDataKey()):
        with pytest.raises(CannotCompile):
            compile_loader(schema, records._jsonable)


def test_a_validator_it_does_not_know_is_run_as_it_is():
    class Odd(Schema):
        n = fields.Integer(validate=validate.Predicate("__bool__"))
        when = fields.Date()
        tags = fields.List(fields.String(), validate=validate.Length(max=2))

    load = compile_loader(Odd(), records._jsonable)
    assert load({"n": 3, "when": "2026-01-02", "tags": ["a"]}) == {
        "n": 3, "when": "2026-01-02", "tags": ["a"]}
    for bad in ({"n": 0}, {"tags": ["a", "b", "c"]}, {"when": "x"}, {"n": "3"}):
        with pytest.raises(NotFast):
            load(bad)


def test_a_field_subclass_that_deserializes_its_own_way_is_run_its_own_way():
    class Upper(fields.String):
        def _deserialize(self, value, attr, data, **kwargs):
            return super()._deserialize(value, attr, data, **kwargs).upper()

    class Rounded(fields.Integer):
        def _validated(self, value):
            return super()._validated(value) // 10 * 10

    class Odd(Schema):
        name = Upper()
        n = Rounded()

    assert compile_loader(Odd(), records._jsonable)({"name": "ab", "n": 17}) == \
        Odd().load({"name": "ab", "n": 17}) == {"name": "AB", "n": 10}


def test_every_field_of_every_record_kind_is_compiled_not_delegated():
    # A field type the compiler does not know still works (its own deserialize), but the
    # record schemas should not need that: the fast path is fast because they do not.
    for kind, load in records.FAST_LOADERS.items():
        assert "deserialize" not in load.source.replace("_deserialize", ""), kind


# -- the stored index: old path (marshmallow for every row) and new give the same file ----

def store_contents(path):
    db = sqlite3.connect(path)
    try:
        return {
            "records": db.execute("SELECT rowid, id, kind, doc FROM records "
                                  "ORDER BY rowid").fetchall(),
            "aliases": db.execute("SELECT alias, id FROM aliases ORDER BY alias").fetchall(),
            "columns": column_arrays(path, dict(db.execute("SELECT * FROM meta"))),
            # The column file's name is new at every build; its contents are compared.
            "meta": db.execute("SELECT * FROM meta WHERE key NOT IN "
                               "('built_at', 'column_file') ORDER BY key").fetchall(),
        }
    finally:
        db.close()


def column_arrays(path, meta):
    mapped = MappedColumns(path, meta["column_file"], meta["column_layout"])
    return {name: (str(a.dtype), a.shape, a.tobytes()) for name, a in mapped.arrays.items()}


def build(tmp_path, name, schema, rows_in):
    path = str(tmp_path / name / "directory.sqlite")
    with SqliteIndexWriter(path) as writer:
        for row in rows_in:
            writer.add(schema.load(row))
        writer.commit()
    return store_contents(path)


def test_the_seed_index_is_the_same_through_either_path(tmp_path, monkeypatch):
    stores = {}
    for fast in (False, True):
        monkeypatch.setattr(pipeline, "RecordSchema", 
                            lambda fast=fast: records._RecordDispatch(fast))
        path = str(tmp_path / f"fast-{fast}" / "directory.sqlite")
        report = pipeline.run([SEED], SqliteIndexWriter(path), now=NOW)
        assert report.swapped and not report.rejected
        stores[fast] = store_contents(path)
    assert stores[True] == stores[False]
    assert len(stores[True]["records"]) > 250


def test_a_synthetic_sample_is_indexed_the_same_through_either_path(tmp_path, shared_dir):
    from bench import search_bench as bench
    from bench.run import synthetic as synthetic_module

    synthetic = synthetic_module(shared_dir)  # ../shared/bench/synthetic.py
    sample = [bench.canonical(row, STAMP) for row in synthetic.records(3000)]
    old = build(tmp_path, "old", records.RecordSchema(fast=False), sample)
    new = build(tmp_path, "new", records.RecordSchema(), sample)
    assert old == new and len(new["records"]) == 3000
