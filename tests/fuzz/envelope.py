"""What every answer under ``/api/`` must be: a CKAN envelope with a fitting status.

Shared by the schemathesis run in the tests and ``benchmarks/fuzz.py``.
"""
import json


def envelope_problem(status, content):
    """Why an ``/api/`` answer is not a proper CKAN answer, or None if it is.

    :param status: the HTTP status code
    :param content: the body (bytes)
    """
    try:
        body = json.loads(content)
    except ValueError:
        return f"{status}: not JSON: {content[:200]!r}"
    if status >= 500:
        return f"{status}: a server error: {content[:300]!r}"
    if isinstance(body, str):  # CKAN's answer to unknown actions and unreadable bodies
        if status == 400 and body.startswith("Bad request"):
            return None
        return f"{status}: a bare JSON string: {body[:200]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
        return f"{status}: no envelope: {content[:200]!r}"
    if status == 200:
        return None if body["success"] and "result" in body else \
            f"200 without success and result: {content[:200]!r}"
    error = body.get("error")
    if body["success"] or not isinstance(error, dict) or "__type" not in error:
        return f"{status}: an error without error.__type: {content[:200]!r}"
    return None


#: methods whose answers have no body by definition (HTTP's own, answered by Flask)
BODILESS = {"HEAD", "OPTIONS"}


def check_ckan_envelope(ctx, response, case):
    """schemathesis check: the answer is a CKAN envelope and not a server error.

    ``HEAD`` and ``OPTIONS`` answers carry no body; only their status is checked.
    """
    if case.method.upper() in BODILESS:
        if response.status_code >= 500:
            raise AssertionError(f"{case.method} answered {response.status_code}")
        return
    problem = envelope_problem(response.status_code, response.content)
    if problem:
        raise AssertionError(problem)
