"""User accounts: creation, passwords, lookup.

Passwords are stored as salted scrypt hashes (Werkzeug's
``generate_password_hash``); the plain text is never kept.
"""
import re

import peewee as pw
from werkzeug.security import check_password_hash, generate_password_hash

from . import validation
from .errors import NotFound, ValidationError
from .models import User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def check_password_strength(password):
    """:raises ValidationError: if ``password`` is shorter than 8 characters."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": [
            f"Your password must be {MIN_PASSWORD_LENGTH} characters or longer"]})


def clean_email(email):
    """Return ``email`` stripped, or raise for an invalid address."""
    email = validation.as_str(email, "email", max_length=300)
    if not EMAIL_RE.match(email):
        raise ValidationError({"email": [f"Email {email!r} is not a valid format"]})
    return email


def create_user(name, email, password=None, sysadmin=False, fullname="", about=""):
    """Create an active user.

    :param password: plain text (≥ 8 characters) or None for a token-only account
    :raises ValidationError: invalid or taken name, invalid email, weak password
    """
    name = validation.name(name)
    email = clean_email(email)
    if password is not None:
        check_password_strength(password)
    if User.select().where(User.name == name).exists():
        raise ValidationError({"name": ["That login name is not available."]})
    try:
        return User.create(
            name=name, email=email, sysadmin=bool(sysadmin),
            fullname=validation.as_str(fullname, "fullname", max_length=300),
            about=validation.as_str(about, "about", max_length=5000),
            password_hash=generate_password_hash(password) if password else "")
    except pw.IntegrityError:
        raise ValidationError({"name": ["That login name is not available."]}) from None


def set_password(user, password):
    """Replace the password of ``user`` (≥ 8 characters)."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    user.save()


def verify_password(user, password):
    """Return True if ``password`` is the password of ``user``."""
    if not user.password_hash or not password:
        return False
    return check_password_hash(user.password_hash, password)


#: the states of an account: ``deleted`` is disabled (no login, no tokens)
STATES = ("active", "deleted")


def get_user(id_or_name, include_deleted=False):
    """Return the active user with this id or name.

    :param include_deleted: also find a disabled (``deleted``) account
    :raises NotFound: if there is none
    """
    condition = (User.id == id_or_name) | (User.name == id_or_name)
    if not include_deleted:
        condition &= User.state == "active"
    user = User.get_or_none(condition)
    if user is None:
        raise NotFound(f"User '{id_or_name}' not found")
    return user


def clean_state(state):
    """Return ``state`` if it is an account state, else raise ValidationError."""
    if state not in STATES:
        raise ValidationError({"state": [f"Must be one of: {', '.join(STATES)}"]})
    return state
