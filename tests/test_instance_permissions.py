"""Patient data: the files of an instance are readable by its owner only (UMASK 077)."""
import os
import stat

import pytest

from dcorlite import create_app
from dcorlite.app import stop_app
from dcorlite.config import apply_umask
from dcorlite.errors import StartupError
from dcorlite.storage import get_storage, resource_key

pytestmark = pytest.mark.sqlite_only


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def embedded_app(tmp_path):
    """An app with the embedded defaults: everything inside its instance folder."""
    instance = tmp_path / "instance"
    app = create_app({"LOAD_ENTRY_POINTS": False}, instance_path=str(instance))
    yield app
    stop_app(app)


def test_everything_the_instance_makes_is_private(embedded_app):
    import io

    from dcorlite import datasets, groups, resources, users
    instance = embedded_app.instance_path
    with embedded_app.app_context():
        owner = users.create_user("owner", "owner@example.org")
        circle = groups.create_group("lab", True, creator=owner)
        dataset = datasets.create_dataset(owner, {"title": "T", "authors": "A",
                                                  "license_id": "CC0-1.0",
                                                  "owner_org": circle.id})
        resource = resources.attach_stream(owner, dataset, "notes.txt",
                                           io.BytesIO(b"patient data"), {}, get_storage())
        stored = get_storage().local_path(resource_key(resource.id))
    assert _mode(instance) == 0o700
    for name in os.listdir(instance):
        path = os.path.join(instance, name)
        assert _mode(path) & 0o077 == 0, (name, oct(_mode(path)))
    for name in ("dcorlite.sqlite", "jobs.sqlite"):
        assert _mode(os.path.join(instance, name)) == 0o600, name
    assert _mode(stored) == 0o600
    assert _mode(os.path.dirname(stored)) == 0o700


def test_files_of_an_older_instance_are_narrowed(tmp_path):
    instance = tmp_path / "old"
    instance.mkdir(mode=0o755)
    database = instance / "dcorlite.sqlite"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    os.chmod(instance, 0o755)
    app = create_app({"LOAD_ENTRY_POINTS": False}, instance_path=str(instance))
    stop_app(app)
    assert _mode(instance) == 0o700
    assert _mode(database) == 0o600


def test_another_umask_can_be_chosen_and_bad_ones_are_refused():
    try:
        assert apply_umask("027") == 0o027
        with pytest.raises(StartupError, match="UMASK"):
            apply_umask("rw-r--r--")
        with pytest.raises(StartupError, match="UMASK"):
            apply_umask("1777")
    finally:
        apply_umask("077")
