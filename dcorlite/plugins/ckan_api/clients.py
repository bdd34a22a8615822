"""Which clients the API turns away: DCOR-Aid releases older than a configured version.

DCOR does this in nginx by ``User-Agent`` (``DCOR-Aid/1.1.3``); DCOR-Aid
shows "Your version of DCOR-Aid is outdated" for a ``400 Bad Request`` whose
error text ends in ``outdated.``.
"""
import re

from flask import current_app

_DCORAID = re.compile(r"\bDCOR-Aid/([0-9][0-9A-Za-z.+-]*)", re.IGNORECASE)


def version_tuple(text):
    """``"1.1.3.dev2+g1"`` → ``(1, 1, 3)``: the leading numeric release parts."""
    numbers = []
    for part in text.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits.group()))
        if digits.group() != part:
            break
    return tuple(numbers)


def outdated_client_message(user_agent):
    """The error text for a DCOR-Aid older than ``CKAN_API_MIN_DCORAID_VERSION``, else None."""
    minimum = current_app.config.get("CKAN_API_MIN_DCORAID_VERSION")
    match = _DCORAID.search(user_agent or "")
    if not minimum or match is None:
        return None
    if version_tuple(match.group(1)) >= version_tuple(str(minimum)):
        return None
    return (f"This server needs DCOR-Aid {minimum} or newer; please upgrade, "
            f"DCOR-Aid {match.group(1)} is outdated.")
