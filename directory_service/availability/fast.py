"""Statements a bed report runs, executed on its transaction's own DBAPI connection.

A served report ran some twenty Core statements, each through SQLAlchemy's execution and
result machinery, which cost several times the SQL itself (issue 25, item 4). Here each
statement is compiled once per dialect and run on the connection's DBAPI cursor, inside
the transaction (and savepoint) SQLAlchemy opened, as `Reader.rows` does for the reads of
every search. Only for statements whose columns need no type processing (Text, Integer:
the availability schema's). Driver errors become SQLAlchemy's, so the outage rules and
the group commit's failure handling see the same exceptions as before.
"""
from sqlalchemy import exc as sa_exc

_COMPILED = {}


def compiled(dialect, statement, column_keys=None):
    """(SQL text, positional parameter names or None, the statement's own values). An
    INSERT is compiled for the columns given (`column_keys`), as SQLAlchemy does when it
    executes one with a dict of values."""
    key = (dialect.name, statement, column_keys)
    found = _COMPILED.get(key)
    if found is None:
        done = statement.compile(dialect=dialect, column_keys=column_keys and list(column_keys))
        found = (str(done), done.positiontup, dict(done.params))
        _COMPILED[key] = found
    return found


def _arguments(order, defaults, params):
    values = {**defaults, **params} if defaults else params
    return tuple(values[name] for name in order) if order else values


def _columns(statement, params):
    return tuple(params) if getattr(statement, "is_insert", False) else None


def _cursor(db):
    return db.connection.dbapi_connection.cursor()


def _raise(db, sql, params, exc):
    raise sa_exc.DBAPIError.instance(sql, params, exc, db.dialect.dbapi.Error) from exc


def rows(db, statement, **params):
    """The rows (tuples) of `statement` on `db`, a Connection in a transaction."""
    sql, order, defaults = compiled(db.dialect, statement, _columns(statement, params))
    cursor = _cursor(db)
    try:
        cursor.execute(sql, _arguments(order, defaults, params))
        return cursor.fetchall() if cursor.description else []
    except db.dialect.dbapi.Error as exc:
        _raise(db, sql, params, exc)
    finally:
        cursor.close()


def scalar(db, statement, **params):
    """The first column of the first row, or None."""
    found = rows(db, statement, **params)
    return found[0][0] if found else None


def many(db, statement, param_list):
    """`statement` once per dict of `param_list` (executemany: one call for all rows)."""
    if not param_list:
        return
    sql, order, defaults = compiled(db.dialect, statement,
                                    _columns(statement, param_list[0]))
    cursor = _cursor(db)
    try:
        cursor.executemany(sql, [_arguments(order, defaults, p) for p in param_list])
    except db.dialect.dbapi.Error as exc:
        _raise(db, sql, param_list[0], exc)
    finally:
        cursor.close()
