"""SQLite writers queue on one write lock per database file, in every process that opens it."""
import os
import stat
import subprocess
import sys
import threading

import peewee
import pytest

from dcorlite.db import SqliteWriteLock, open_database

#: a process of its own that writes one row to the database at argv[1]
OTHER_PROCESS = """
import sys
from dcorlite.db import open_database
db = open_database("sqlite:///" + sys.argv[1])
db.execute_sql("INSERT INTO counter (name, value) VALUES ('other', 1)")
print("written")
"""


@pytest.fixture
def db(tmp_path):
    """A pooled SQLite database with a table ``counter(name, value)``."""
    database = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.execute_sql("CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER)")
    database.execute_sql("INSERT INTO counter (name, value) VALUES ('n', 0)")
    database.close()
    yield database
    database.close_all()


def _value(db, name="n"):
    return db.execute_sql("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()[0]


def test_concurrent_read_modify_write_transactions_lose_no_update(db):
    errors = []

    def work():
        try:
            with db.connection_context():
                for _ in range(40):
                    with db.atomic():
                        value = _value(db)
                        db.execute_sql("UPDATE counter SET value = ? WHERE name = 'n'",
                                       (value + 1,))
        except Exception as exc:  # collected: a failing thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _value(db) == 8 * 40


def test_a_writer_in_another_process_waits_for_an_open_transaction(db, tmp_path):
    with db.atomic():
        db.execute_sql("UPDATE counter SET value = 5 WHERE name = 'n'")
        other = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(tmp_path / "db.sqlite")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(1.0)  # waits for this transaction (it imports dcorlite meanwhile)
    out, err = other.communicate(timeout=60)
    assert (other.returncode, out.strip()) == (0, "written"), err
    assert _value(db) == 5
    assert _value(db, "other") == 1


def test_a_write_outside_a_transaction_waits_for_another_threads_transaction(db):
    started, finished = threading.Event(), threading.Event()

    def write_alone():
        with db.connection_context():
            started.set()
            db.execute_sql("INSERT INTO counter (name, value) VALUES ('alone', 1)")
        finished.set()

    with db.atomic():
        db.execute_sql("UPDATE counter SET value = 7 WHERE name = 'n'")
        writer = threading.Thread(target=write_alone)
        writer.start()
        assert started.wait(10)
        assert not finished.wait(0.3)  # queued behind the open transaction
    assert finished.wait(30)
    writer.join()
    assert (_value(db), _value(db, "alone")) == (7, 1)


def test_a_connection_given_back_mid_transaction_lets_go_of_the_lock(db):
    def leave_open():
        db.connect()
        db.begin()
        db.execute_sql("UPDATE counter SET value = 9 WHERE name = 'n'")
        db.close()  # the pool rolls the transaction back

    db.connect()  # so that the thread borrows a connection of its own
    thread = threading.Thread(target=leave_open)
    thread.start()
    thread.join()
    db.write_lock._timeout = 2
    with db.atomic():
        db.execute_sql("UPDATE counter SET value = value + 1 WHERE name = 'n'")
    assert _value(db) == 1
    db.close()


def _errors_of_a_write_in_another_thread(database, sql):
    """Run ``sql`` on ``database`` in a thread of its own; its OperationalErrors' texts."""
    failures = []

    def write():
        with database.connection_context():
            try:
                database.execute_sql(sql)
            except peewee.OperationalError as exc:
                failures.append(str(exc))

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive()  # it gave up after its timeout, it did not hang
    return failures


def test_a_writer_that_waits_too_long_gets_sqlites_own_error(db):
    db.write_lock._timeout = 0.2
    with db.atomic():
        failures = _errors_of_a_write_in_another_thread(
            db, "UPDATE counter SET value = 1 WHERE name = 'n'")
    assert failures == ["database is locked"]
    assert _value(db) == 0


def test_two_database_objects_on_one_file_share_the_lock_and_its_timeout(db, tmp_path):
    """A second object in the same process waits on the same lock, with a timeout."""
    other = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert other.write_lock is db.write_lock
    db.write_lock._timeout = 0.2
    with db.atomic():
        db.execute_sql("UPDATE counter SET value = 1 WHERE name = 'n'")
        failures = _errors_of_a_write_in_another_thread(
            other, "UPDATE counter SET value = 2 WHERE name = 'n'")
    assert failures == ["database is locked"]
    assert _value(db) == 1
    other.close_all()


def test_the_lock_file_is_private(db, tmp_path):
    with db.atomic():
        db.execute_sql("UPDATE counter SET value = 1 WHERE name = 'n'")
    mode = stat.S_IMODE(os.stat(tmp_path / "db.sqlite-writelock").st_mode)
    assert mode & 0o077 == 0


def test_an_in_memory_database_needs_no_lock_file(tmp_path):
    lock = SqliteWriteLock(":memory:", timeout=1)
    conn = object()
    assert lock.acquire(conn) is True
    assert lock.acquire(conn) is False  # held already
    lock.release(conn)
    assert lock.acquire(object()) is True
