"""The index writer for the configured store: a new SQLite file, or a new ES index."""
from directory_service.search.embedded.writer import SqliteIndexWriter


def open_writer(settings):
    if settings.uses_elasticsearch:
        from directory_service.search.elastic.store import ElasticsearchIndexWriter

        return ElasticsearchIndexWriter.from_settings(settings)
    return SqliteIndexWriter(settings.store_path)
