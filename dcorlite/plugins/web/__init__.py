"""The web UI: pages for people with a browser, next to the API for clients.

Only hookimpls live here; the pages are in :mod:`.views`, login sessions in
:mod:`.auth`, and everything a page shows comes from the same actions and
permission code as the API.
"""
from ... import hookimpl
from . import auth, extensions


@hookimpl
def config_defaults():
    """Settings of the web UI (see docs/configuration.md)."""
    return {
        "WEB_INTRO": "",                      # Markdown shown on the home page
        "WEB_FAVICON": None,                  # path of an icon file; None: the shipped one
        "WEB_LOGIN_MAX_FAILURES_ACCOUNT": 5,  # failed logins per account and window
        "WEB_LOGIN_MAX_FAILURES_IP": 20,      # failed logins per client address and window
        "WEB_LOGIN_WINDOW_SECONDS": 900,
        "WEB_PLOT_MAX_POINTS": 100000,        # most events one plot request returns
        "WEB_LANGUAGE": None,                 # fixed UI language ("en", "de"); None: the browser's
        "WEB_TOTALS_SECONDS": 30,             # the home page's counts are kept this long per user
    }


@hookimpl
def register_blueprints(app):
    """The pages, their static files and the plot data endpoint."""
    from .views import blueprint
    return [blueprint()]


@hookimpl(tryfirst=True)
def admin_pages(app):
    """The sysadmins' pages of the web UI (deletion requests with the privacy plugin)."""
    from .views.admin import own_pages
    return own_pages(app)


@hookimpl(trylast=True)
def authenticate_request(request):
    """The user logged in with this browser session (an API token header wins)."""
    return auth.session_user(request)


@hookimpl(tryfirst=True)
def app_ready(app):
    """Sessions, CSRF, template helpers and error pages.

    First of all ``app_ready`` hooks: these change the app's setup, which
    Flask refuses once another listener has sent the app a request.
    """
    extensions.init_app(app)
