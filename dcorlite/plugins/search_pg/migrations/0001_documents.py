"""The search documents of the PostgreSQL backend; nothing on SQLite.

The tables exist on every PostgreSQL database, also while ``SEARCH_BACKEND``
is ``whoosh`` (then they stay empty or grow stale: ``dcorlite search
reindex`` fills them after a switch). On SQLite, which cannot run this
backend, the migration is recorded and creates nothing.
"""
import peewee as pw

STATEMENTS = (
    """CREATE TABLE search_pg_document (
        dataset_id VARCHAR(255) PRIMARY KEY,
        revision INTEGER NOT NULL,
        stems TSVECTOR NOT NULL,
        words TSVECTOR NOT NULL,
        fingerprint VARCHAR(64) NOT NULL)""",
    "CREATE INDEX search_pg_document_stems ON search_pg_document USING GIN (stems)",
    "CREATE INDEX search_pg_document_words ON search_pg_document USING GIN (words)",
    """CREATE TABLE search_pg_value (
        key TEXT NOT NULL,
        value JSONB NOT NULL,
        dataset_id VARCHAR(255) NOT NULL,
        PRIMARY KEY (key, value, dataset_id))""",
    "CREATE INDEX search_pg_value_dataset ON search_pg_value (dataset_id)",
)


def up(migrator, db):
    if not isinstance(db, pw.PostgresqlDatabase):
        return
    for statement in STATEMENTS:
        db.execute_sql(statement)
