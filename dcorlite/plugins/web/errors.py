"""Error pages (403, 404, 500, …) in the site's layout.

The app already has handlers for every HTTP error and for unexpected
exceptions (the API's envelopes); they are kept and still answer everything
but pages: a page, or a URL that matches no route, gets the HTML page.
"""
import logging

from flask import render_template, request

logger = logging.getLogger(__name__)


def wants_page():
    """True for requests to the pages, and for URLs no route matches (outside ``/api/``)."""
    if "web" in request.blueprints:
        return True
    return request.url_rule is None and not request.path.startswith("/api/")


def register(app, http_exception, internal_error):
    """Put the page handlers in front of the app's handlers for ``http_exception`` and ``Exception``."""
    handlers = app.error_handler_spec.setdefault(None, {}).setdefault(None, {})
    previous_http = handlers.get(http_exception)
    previous_any = handlers.get(Exception)

    def http_error(exc):
        if wants_page() and exc.code >= 400:
            return error_page(exc.code, exc.description), exc.code
        return previous_http(exc) if previous_http else exc

    def any_error(exc):
        if isinstance(exc, http_exception):
            return http_error(exc)
        if wants_page():
            logger.error("internal error answering %s %s", request.method, request.path,
                         exc_info=exc)
            return error_page(500, internal_error.description), 500
        if previous_any:
            return previous_any(exc)
        raise exc

    app.register_error_handler(http_exception, http_error)
    app.register_error_handler(Exception, any_error)


def error_page(code, description=""):
    """The HTML of the error page for ``code``."""
    return render_template("web/error.html", code=code, description=description)
