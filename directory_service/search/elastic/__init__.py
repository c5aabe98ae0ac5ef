"""The Elasticsearch engine: client (the one module importing `elasticsearch`), mapping,
query, scoring, settings, store, writer and the live-bed sync."""
