"""The error hierarchy of dcorlite.

Services raise these; the ``ckan_api`` plugin turns them into CKAN error
envelopes (and a web UI renders them as pages). Nothing below the view layer
calls ``flask.abort``.
"""


class DcorliteError(Exception):
    """Base class of all errors that reach a client."""

    status = 500
    ckan_type = "Internal Server Error"

    def __init__(self, message=""):
        super().__init__(message)
        self.message = message

    def error_dict(self):
        """Return the ``error`` object of the CKAN envelope."""
        return {"__type": self.ckan_type, "message": self.message}


class BadRequest(DcorliteError):
    """Malformed request (400)."""

    status = 400
    ckan_type = "Bad Request"


class _PrefixedError(DcorliteError):
    """An error whose CKAN message is ``"<prefix>: <message>"`` (or just the prefix)."""

    prefix = ""

    def error_dict(self):
        text = f"{self.prefix}: {self.message}" if self.message else self.prefix
        return {"__type": self.ckan_type, "message": text}


class NotAuthorized(_PrefixedError):
    """The caller may see the object but not do this (403)."""

    status = 403
    ckan_type = "Authorization Error"
    prefix = "Access denied"


class NotFound(_PrefixedError):
    """The object does not exist or the caller may not see it (404)."""

    status = 404
    ckan_type = "Not Found Error"
    prefix = "Not found"


class ValidationError(DcorliteError):
    """Invalid input (409) with CKAN's ``{"field": ["message", ...]}`` shape.

    :param errors: dict mapping field names to a list of messages, or a plain
        string, which becomes ``{"message": text}``.
    """

    status = 409
    ckan_type = "Validation Error"

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = {"message": errors}
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def error_dict(self):
        result = dict(self.errors)
        result["__type"] = self.ckan_type
        return result


class SearchQueryError(_PrefixedError):
    """A ``package_search`` parameter that cannot be used (400)."""

    status = 400
    ckan_type = "Search Query Error"
    prefix = "Search Query is invalid"


class SearchError(_PrefixedError):
    """A query that cannot be parsed (409)."""

    status = 409
    ckan_type = "Search Error"
    prefix = "Search error"


class StartupError(Exception):
    """Plugins that cannot work together (duplicate names, bad config)."""
