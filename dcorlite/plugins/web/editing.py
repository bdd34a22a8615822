"""What the edit form of a dataset offers: only the changes DCOR's rules allow.

The choices are worked out by asking :func:`dcorlite.rules.check_dataset_changes`
about each candidate change, so the form and ``package_patch`` agree.
"""
from ... import rules
from ...errors import DcorliteError


def _allowed(dataset, changes, user, allow_public):
    try:
        rules.check_dataset_changes(dataset, changes, user.sysadmin, allow_public)
    except DcorliteError:
        return False
    return True


def edit_options(dataset, user, licenses, allow_public):
    """``{"text": bool, "licenses": [(id, title)], "make_public": bool}`` for ``dataset``.

    :param licenses: ``license_list``'s answer
    """
    return {
        "text": _allowed(dataset, {"title": dataset.title, "notes": dataset.notes}, user,
                         allow_public),
        "licenses": [(lic["id"], lic["title"]) for lic in licenses
                     if _allowed(dataset, {"license_id": lic["id"]}, user, allow_public)],
        "make_public": dataset.private and _allowed(dataset, {"private": False}, user,
                                                    allow_public),
    }
