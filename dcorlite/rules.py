"""DCOR's rules for datasets and resources, as plain functions.

* datasets are created as drafts, get resources, then become active;
* activation needs at least one DC resource that passes dclab's sanity check;
* an active dataset is frozen: only private→public and a less restrictive
  license are allowed, no resource can be added or removed;
* users may delete drafts (and then purge them), never active datasets.
"""
import logging
import mimetypes

from .errors import NotAuthorized, ValidationError
from .schemas import LICENSE_RATING
from .validation import DC_SUFFIXES

logger = logging.getLogger(__name__)

#: Fields a non-sysadmin may still change on an active dataset.
ACTIVE_MUTABLE_FIELDS = {"license_id", "private", "state"}

MIMETYPES = {".rtdc": "RT-DC", ".dc": "DC"}


def check_dataset_changes(dataset, changes, is_sysadmin, allow_public=True):
    """Refuse changes DCOR forbids; ``changes`` is ``{field: new value}``.

    :raises NotAuthorized: for a forbidden change (CKAN reports these as 403)
    """
    if not allow_public and changes.get("private") is False:
        raise NotAuthorized("Public datasets are not allowed on this server")
    if is_sysadmin:
        return
    if dataset.state == "active":
        for field in changes:
            if field not in ACTIVE_MUTABLE_FIELDS:
                raise NotAuthorized(f"Changing '{field}' not allowed for non-draft datasets!")
    if changes.get("private") is True and dataset.private is False and dataset.state == "active":
        raise NotAuthorized("Public datasets cannot be made private again")
    if "license_id" in changes and dataset.license_id:
        check_license_change(dataset.license_id, changes["license_id"])
    new_state = changes.get("state")
    if new_state is not None and new_state != dataset.state:
        if (dataset.state, new_state) != ("draft", "active"):
            raise NotAuthorized(f"Changing state from '{dataset.state}' to "
                                f"'{new_state}' is not allowed")


def check_license_change(old, new):
    """Allow only the same or a less restrictive license.

    :raises NotAuthorized: otherwise
    """
    if old == new:
        return
    if LICENSE_RATING.get(new, 0) >= LICENSE_RATING.get(old, 0):
        raise NotAuthorized(f"Cannot change license from '{old}' to '{new}': "
                            "only less restrictive licenses are allowed")


def check_can_add_resources(dataset, is_sysadmin):
    """:raises NotAuthorized: unless ``dataset`` is a draft (sysadmins excepted)."""
    if dataset.state != "draft" and not is_sysadmin:
        raise NotAuthorized(f"Adding resources to non-draft dataset {dataset.id} "
                            "is not allowed")


def check_can_delete(dataset):
    """:raises NotAuthorized: unless ``dataset`` is a draft."""
    if dataset.state != "draft":
        raise NotAuthorized("Only draft datasets can be deleted!")


def check_can_purge(dataset):
    """:raises NotAuthorized: unless ``dataset`` has been deleted."""
    if dataset.state != "deleted":
        raise NotAuthorized("Only deleted datasets can be purged!")


def is_dc_name(name):
    """Return True if a resource called ``name`` holds DC data."""
    return name.lower().endswith(DC_SUFFIXES)


def mimetype_for(name):
    """Return the mimetype DCOR gives a resource called ``name``."""
    for suffix, mime in MIMETYPES.items():
        if name.lower().endswith(suffix):
            return mime
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_activation(resources, dc_problems):
    """Check that a dataset with ``resources`` may become active.

    :param resources: the dataset's resources
    :param dc_problems: ``dc_problems(resource)`` returns a list of problems
        found by dclab's sanity check (empty if the file is fine)
    :raises ValidationError: without resources or without a valid DC resource
    """
    if not resources:
        raise ValidationError({"state": [
            "Cannot set state of dataset to 'active', because it does not "
            "contain any resources!"]})
    problems = []
    for resource in resources:
        if not is_dc_name(resource.name):
            continue
        found = dc_problems(resource)
        if not found:
            return
        problems += [f"{resource.name}: {p}" for p in found]
    raise ValidationError({"state": [
        "Cannot set state of dataset to 'active', because it does not "
        "contain a valid DC resource. " + "; ".join(problems)]})


def dc_sanity_problems(path):
    """Open ``path`` (or an ``http(s)`` URL) with dclab; the problems of its sanity check.

    A URL is read with ranged requests, so only the parts the check needs
    are fetched; the file's own basins are never followed.
    """
    import dclab
    from dclab.rtdc_dataset.check import IntegrityChecker
    try:
        if str(path).startswith(("http://", "https://")):
            with dclab.new_dataset(path, enable_basins=False) as ds, IntegrityChecker(ds) as ic:
                return [cue.msg for cue in ic.sanity_check()]
        with IntegrityChecker(path) as ic:
            return [cue.msg for cue in ic.sanity_check()]
    except Exception as exc:  # any file dclab cannot open is invalid
        logger.info("sanity check of %s failed: %s", path, exc)
        return [f"Cannot open file with dclab: {exc.__class__.__name__}: {exc}"]
