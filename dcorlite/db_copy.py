"""``dcorlite db copy TARGET``: the instance's SQLite database copied into PostgreSQL.

A site that outgrows one machine moves its database as it moves its files
(``storage migrate``): by a URL. The target gets its schema from the same
migrations (the core's and every plugin's: ``dcorlite init`` on it, see
:mod:`dcorlite.db_commands`), then every row of every table the source has,
in one transaction on each side (a consistent read of the source; no row of
a failed copy stays in the target), tables in the order of their foreign
keys. What the migrations put into the target (counters, the instance's id
and secret) is replaced by the source's, so tokens, signed URLs and sessions
stay valid. Sequences are set past the copied ids. Migration histories are
the target's own. Tables only PostgreSQL has (the search
backend's documents) stay empty: ``dcorlite search reindex`` fills them.
"""
import sqlite3

import psycopg2
import psycopg2.extras
from playhouse.db_url import parse

#: rows per INSERT statement
BATCH = 1000
#: tables that record which migrations ran (``db.migrate``): the target's stay
HISTORY_PREFIXES = ("schema_migration", "migrations_")
#: tables whose rows mean the target is in use already
IN_USE = ("user", "dataset")


class CopyError(Exception):
    """The copy cannot start: the target is in use."""


def _target_tables(cur):
    cur.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    tables = {}
    for table, column, data_type in cur.fetchall():
        tables.setdefault(table, {})[column] = data_type
    return tables


def _foreign_keys(cur):
    """``{(table, referenced table)}`` of the target's foreign keys."""
    cur.execute("""
        SELECT cl.relname, ref.relname FROM pg_constraint c
        JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class ref ON ref.oid = c.confrelid
        JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE c.contype = 'f' AND n.nspname = current_schema()""")
    return set(cur.fetchall())


def table_order(tables, references):
    """``tables`` sorted so that each comes after the tables it references."""
    ordered, placed = [], set()
    pending = sorted(tables)
    while pending:
        ready = [t for t in pending
                 if all(ref in placed or ref == t or ref not in tables
                        for table, ref in references if table == t)]
        if not ready:  # a cycle: the rest in name order, as the database checks at the end
            ready = pending
        ordered += ready
        placed.update(ready)
        pending = [t for t in pending if t not in placed]
    return ordered


def _converter(data_type):
    if data_type == "boolean":
        return lambda v: None if v is None else bool(v)
    if data_type == "bytea":
        return lambda v: None if v is None else psycopg2.Binary(v)
    return lambda v: v


def copy(source_url, target_url):
    """Copy every row of the SQLite database ``source_url`` into ``target_url``.

    The target must have the schema already (:func:`dcorlite.db.migrate`) and
    no users or datasets.

    :returns: ``{table: rows copied}``
    :raises CopyError: for a target in use (nothing is written)
    """
    source = sqlite3.connect(parse(source_url)["database"], isolation_level=None)
    target = psycopg2.connect(**parse(target_url))  # as db.open_database reads it
    copied = {}
    try:
        source.execute("BEGIN")  # one snapshot of the source for the whole copy
        with target, target.cursor() as cur:
            types = _target_tables(cur)
            for table in IN_USE:
                cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
                if cur.fetchone()[0]:
                    raise CopyError(f"the target already holds rows of table {table}: "
                                    "copy only into a new database")
            names = {row[0] for row in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            common = [t for t in types if t in names and not t.startswith(HISTORY_PREFIXES)]
            order = table_order(common, _foreign_keys(cur))
            for table in reversed(order):
                cur.execute(f'DELETE FROM "{table}"')  # what the migrations put there
            for table in order:
                copied[table] = _copy_table(source, cur, table, types[table])
            _advance_sequences(cur)
    finally:
        source.close()
        target.close()
    return copied


def _copy_table(source, cur, table, target_columns):
    source_columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
    columns = [c for c in source_columns if c in target_columns]
    convert = [_converter(target_columns[c]) for c in columns]
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = source.execute(f'SELECT {listed} FROM "{table}"')
    count = 0
    while True:
        batch = rows.fetchmany(BATCH)
        if not batch:
            return count
        psycopg2.extras.execute_values(
            cur, f'INSERT INTO "{table}" ({listed}) VALUES %s',
            [tuple(f(v) for f, v in zip(convert, row)) for row in batch], page_size=BATCH)
        count += len(batch)


def _advance_sequences(cur):
    cur.execute("SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%%'")
    for table, column in cur.fetchall():
        cur.execute(f"""SELECT setval(pg_get_serial_sequence('"{table}"', '{column}'),
                        COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL)
                        FROM "{table}" """)

