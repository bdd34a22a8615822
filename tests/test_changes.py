"""Cached tokens and roles follow changes made anywhere: another process, the CLI, raw SQL.

Each change here is written through a connection of its own (as another
``dcorlite serve`` process or host sharing the database would), never through
the functions of this process, so only the database's change counter can
tell this process's caches about it.
"""
import datetime

import pytest

from dcorlite import changes
from dcorlite.db import open_database
from dcorlite.models import utcnow


@pytest.fixture
def elsewhere(app):
    """``elsewhere(sql, *params)``: run one statement on a connection of its own, committed."""
    other = open_database(app.config["DATABASE_URL"])

    def run(sql, *params):
        other.execute_sql(sql.replace("?", other.param), params)
    yield run
    other.close_all()


@pytest.fixture
def shared(make_user, make_circle, make_dataset):
    """A circle member and a private dataset of the circle, both used once (now cached)."""
    admin, member = make_user(), make_user()
    circle = make_circle(admin, members={member: "member"})
    dataset = make_dataset(admin, circle, private=True)
    return member, circle, dataset


def test_a_token_deleted_elsewhere_stops_working_at_once(shared, api, elsewhere):
    member, _, dataset = shared
    assert api("package_show", member, id=dataset.id)[0] == 200
    elsewhere('DELETE FROM api_token WHERE id = ?', member.token.split(".")[0])
    status, body = api("package_show", member, id=dataset.id)
    assert status == 403, body


def test_a_membership_removed_elsewhere_ends_read_access_at_once(shared, api, elsewhere):
    member, circle, dataset = shared
    assert api("package_show", member, id=dataset.id)[0] == 200
    elsewhere("DELETE FROM membership WHERE group_id = ? AND user_id = ?", circle.id, member.id)
    assert api("package_show", member, id=dataset.id)[0] == 403


def test_a_membership_added_elsewhere_gives_read_access_at_once(make_user, make_circle,
                                                                 make_dataset, api, elsewhere):
    admin, outsider = make_user(), make_user()
    circle = make_circle(admin)
    dataset = make_dataset(admin, circle, private=True)
    assert api("package_show", outsider, id=dataset.id)[0] == 403  # "no role" is cached too
    elsewhere("INSERT INTO membership (group_id, user_id, role) VALUES (?, ?, ?)",
              circle.id, outsider.id, "member")
    assert api("package_show", outsider, id=dataset.id)[0] == 200


def test_a_user_deleted_elsewhere_loses_every_token_at_once(shared, api, elsewhere):
    member, _, dataset = shared
    assert api("package_show", member, id=dataset.id)[0] == 200
    elsewhere('UPDATE "user" SET state = ? WHERE id = ?', "deleted", member.id)
    assert api("package_show", member, id=dataset.id)[0] == 403


def test_a_sysadmin_flag_set_elsewhere_counts_at_once(make_user, make_circle, make_dataset,
                                                      api, elsewhere):
    admin, other = make_user(), make_user()
    dataset = make_dataset(admin, make_circle(admin), private=True)
    assert api("package_show", other, id=dataset.id)[0] == 403
    elsewhere('UPDATE "user" SET sysadmin = ? WHERE id = ?', True, other.id)
    assert api("package_show", other, id=dataset.id)[0] == 200


def test_an_expiry_set_elsewhere_ends_the_token_at_once(shared, api, elsewhere):
    member, _, dataset = shared
    assert api("package_show", member, id=dataset.id)[0] == 200
    past = utcnow() - datetime.timedelta(minutes=1)
    elsewhere("INSERT INTO api_token_expiry (token_id, expires_at) VALUES (?, ?)",
              member.token.split(".")[0], past)
    assert api("package_show", member, id=dataset.id)[0] == 403


def test_a_collaboration_ended_elsewhere_ends_read_access_at_once(make_user, make_circle,
                                                                   make_dataset, api, elsewhere):
    admin, guest = make_user(), make_user()
    dataset = make_dataset(admin, make_circle(admin), private=True)
    elsewhere("INSERT INTO collaborator (dataset_id, user_id, capacity, modified) "
              "VALUES (?, ?, ?, ?)", dataset.id, guest.id, "member", utcnow())
    assert api("package_show", guest, id=dataset.id)[0] == 200
    elsewhere("DELETE FROM collaborator WHERE dataset_id = ? AND user_id = ?",
              dataset.id, guest.id)
    assert api("package_show", guest, id=dataset.id)[0] == 403


def test_using_a_token_leaves_the_access_counter_alone(shared, api):
    """Its ``last_access`` write must not empty every process's caches each minute."""
    member, _, dataset = shared
    before = changes.current(changes.ACCESS)
    assert api("package_show", member, id=dataset.id)[0] == 200  # first use: writes last_access
    assert changes.current(changes.ACCESS) == before


def test_every_access_change_moves_the_counter(shared, elsewhere):
    member, circle, _ = shared
    values = [changes.current(changes.ACCESS)]
    for sql, params in (
            ('UPDATE "user" SET fullname = ? WHERE id = ?', ("New Name", member.id)),
            ("UPDATE membership SET role = ? WHERE user_id = ?", ("editor", member.id)),
            ("DELETE FROM api_token WHERE user_id = ?", (member.id,))):
        elsewhere(sql, *params)
        values.append(changes.current(changes.ACCESS))
    assert values == sorted(set(values)), values


def test_a_dataset_made_private_elsewhere_is_hidden_at_once(make_user, make_circle,
                                                            make_dataset, api, elsewhere):
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin), private=False)
    assert api("package_show", None, id=dataset.id)[0] == 200  # its row is cached now
    elsewhere("UPDATE dataset SET private = ? WHERE id = ?", True, dataset.id)
    assert api("package_show", None, id=dataset.id)[0] == 403


def test_a_dataset_renamed_elsewhere_answers_to_its_new_name_at_once(
        make_user, make_circle, make_dataset, api, elsewhere):
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin))
    assert api("package_show", admin, id=dataset.name)[0] == 200
    elsewhere("UPDATE dataset SET name = ? WHERE id = ?", "renamed-elsewhere", dataset.id)
    assert api("package_show", admin, id=dataset.name)[0] == 404
    status, body = api("package_show", admin, id="renamed-elsewhere")
    assert status == 200 and body["result"]["id"] == dataset.id


def test_a_dataset_deleted_elsewhere_is_gone_at_once(make_user, make_circle, make_dataset,
                                                     api, elsewhere):
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin), active=False)
    assert api("package_show", admin, id=dataset.id)[0] == 200
    elsewhere("DELETE FROM dataset WHERE id = ?", dataset.id)
    assert api("package_show", admin, id=dataset.id)[0] == 404


def test_a_request_reads_its_own_dataset_writes(app, make_user, make_circle, make_dataset):
    """What a request cached before its own write is not what it reads after it."""
    from dcorlite.models import Dataset
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin))
    with app.test_request_context("/"):
        assert Dataset.by_id_or_name(dataset.id).title == "Test dataset"
        Dataset.update(title="Written here").where(Dataset.id == dataset.id).execute()
        assert Dataset.by_id_or_name(dataset.id).title == "Written here"


def test_a_rolled_back_write_leaves_no_cached_row(app, make_user, make_circle, make_dataset,
                                                  elsewhere):
    """Nothing read inside the transaction, nor under its counter value, outlives it."""
    from dcorlite.db import database
    from dcorlite.models import Dataset
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin))
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError):
            with database.atomic():
                Dataset.update(title="Never committed").where(
                    Dataset.id == dataset.id).execute()
                assert Dataset.by_id_or_name(dataset.id).title == "Never committed"
                raise RuntimeError("roll it back")
        assert Dataset.by_id_or_name(dataset.id).title == "Test dataset"
    # a committed change brings the counter to the value the rolled-back write had
    elsewhere("UPDATE dataset SET title = ? WHERE id = ?", "Changed elsewhere", dataset.id)
    with app.test_request_context("/"):
        assert Dataset.by_id_or_name(dataset.id).title == "Changed elsewhere"


def test_callers_may_change_the_dataset_they_get(app, make_user, make_circle, make_dataset):
    """Each call gives a new object: a change one request makes in memory stays its own."""
    from dcorlite.models import Dataset
    admin = make_user()
    dataset = make_dataset(admin, make_circle(admin))
    with app.test_request_context("/"):
        first = Dataset.by_id_or_name(dataset.id)
        first.title = "changed in memory only"
        assert Dataset.by_id_or_name(dataset.id).title == "Test dataset"
        assert not Dataset.by_id_or_name(dataset.id).is_dirty()
