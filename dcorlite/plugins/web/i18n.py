"""The language of the pages: the browser's choice among the shipped ones, or the config's."""
from pathlib import Path

from flask import current_app, has_request_context, request

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
