"""Issue 12, item 7: each engine lives in its own subpackage behind search/store.py, and
the `elasticsearch` client package is imported by one module only (elastic/client.py)."""
import ast
import pathlib

import directory_service
from directory_service.search import open_store
from directory_service.config import Settings

ROOT = pathlib.Path(directory_service.__file__).resolve().parent.parent
CODE = ("directory_service", "indexer", "bench", "scripts", "tests", "seed_data")


def imported_modules(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_only_the_client_module_imports_the_elasticsearch_package():
    importers = sorted(
        str(path.relative_to(ROOT))
        for folder in CODE if (ROOT / folder).is_dir()
        for path in (ROOT / folder).rglob("*.py")
        if any(m == "elasticsearch" or m.startswith("elasticsearch.")
               for m in imported_modules(path)))
    assert importers == ["directory_service/search/elastic/client.py"]


def test_each_engine_has_its_own_subpackage_and_nothing_flat_is_left():
    search = ROOT / "directory_service" / "search"
    flat = sorted(p.name for p in search.iterdir()
                  if p.name.startswith(("es_", "sqlite_", "vector_search")))
    assert flat == []
    assert (search / "elastic" / "client.py").is_file()
    assert (search / "embedded" / "schema.sql").is_file()
    # The embedded engine never reaches into the Elasticsearch one.
    for path in (search / "embedded").rglob("*.py"):
        assert not any(".elastic" in m for m in imported_modules(path)), path


def test_open_store_picks_the_engine_from_its_subpackage(tmp_path):
    embedded = open_store(Settings(store_path=str(tmp_path / "s.sqlite")))
    assert type(embedded).__module__ == "directory_service.search.embedded.store"
    elastic = open_store(Settings(elasticsearch_url="http://unused:9200"))
    assert type(elastic).__module__ == "directory_service.search.elastic.store"
    elastic.close()
