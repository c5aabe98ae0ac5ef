"""Search stores: pick the one the configuration names (Elasticsearch or the embedded file)."""


def open_store(settings):
    """The store the settings select: Elasticsearch when ELASTICSEARCH_URL is set."""
    if settings.uses_elasticsearch:
        from directory_service.search.elastic.store import ElasticsearchStore

        return ElasticsearchStore.from_settings(settings)
    from directory_service.search.embedded.store import SqliteStore

    return SqliteStore(settings.store_path)
