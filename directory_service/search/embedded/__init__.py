"""The embedded engine: a SQLite file of records and column arrays, searched in process."""
