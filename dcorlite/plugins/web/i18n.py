"""The language of the pages: the browser's choice among the shipped ones, or the config's."""
from pathlib import Path

import flask_babel
from flask import current_app, g, has_request_context, request

#: compiled catalogues, one folder per language (``de/LC_MESSAGES/messages.mo``)
TRANSLATIONS = Path(__file__).parent / "translations"
#: the languages the UI ships; English is the source language of every text
LANGUAGES = ("en", "de")


def locale_for_request():
    """``WEB_LANGUAGE`` when set, else the best match of the browser's Accept-Language.

    Outside a request (a job, a test formatting a value) it is English.
    """
    fixed = current_app.config.get("WEB_LANGUAGE")
    if fixed:
        return fixed
    if not has_request_context():
        return LANGUAGES[0]
    return request.accept_languages.best_match(LANGUAGES, default=LANGUAGES[0])


def page_translations():
    """The request's catalogue, looked up once per request.

    Flask-Babel looks it up anew for every text a template translates (about
    230 on a dataset page, a quarter of the page's time); the language cannot
    change within a request.
    """
    found = g.get("_page_translations")
    if found is None:
        found = g._page_translations = flask_babel.get_translations()
    return found


def install_template_gettext(app):
    """Let the templates' ``_()`` and ``ngettext()`` use :func:`page_translations`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: page_translations().ugettext(text),
        ngettext=lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        newstyle=True)
