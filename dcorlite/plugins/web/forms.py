"""The pages' forms; every one carries a CSRF token (Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, PasswordField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length

from ... import validation


class LoginForm(FlaskForm):
    """User name and password."""
    name = StringField(_l("User name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that changes something (log out, revoke): only the CSRF token."""


class TokenForm(FlaskForm):
    """A new API token's label."""
    name = StringField(_l("Token name"), validators=[
        DataRequired(), Length(max=validation.TOKEN_NAME_MAX)])


class RevokeForm(FlaskForm):
    """Which token to revoke."""
    token_id = HiddenField(validators=[DataRequired(), Length(max=100)])


class ShareForm(FlaskForm):
    """Share a dataset with a user."""
    user = StringField(_l("User name"), validators=[DataRequired(), Length(max=200)])
    capacity = SelectField(_l("Role"), choices=[("member", _l("may read")),
                                                ("editor", _l("may edit"))],
                           default="member")


class UnshareForm(FlaskForm):
    """Stop sharing a dataset with a user."""
    user_id = HiddenField(validators=[DataRequired(), Length(max=100)])


class MemberForm(FlaskForm):
    """Give a user a role in a circle or collection."""
    user = StringField(_l("User name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[("member", _l("member (reads)")),
                                        ("editor", _l("editor (adds and edits datasets)")),
                                        ("admin", _l("admin (also manages members)"))],
                       default="member")


class RemoveMemberForm(FlaskForm):
    """Take a user out of a circle or collection."""
    user_id = HiddenField(validators=[DataRequired(), Length(max=100)])


class CollectionDatasetForm(FlaskForm):
    """Add a dataset to, or remove it from, a collection (by id or name)."""
    dataset = StringField(_l("Dataset name or id"), validators=[DataRequired(), Length(max=200)])


class EditForm(FlaskForm):
    """The fields of a dataset a user may still change (see :mod:`.editing`)."""
    title = StringField(_l("Title"), validators=[Length(max=500)])
    notes = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=100000)])
    license_id = SelectField(_l("License"), choices=[], validate_choice=True)
    make_public = BooleanField(_l("Make this dataset public (this cannot be undone once active)"))


class NewUserForm(FlaskForm):
    """An account made by an administrator (there is no self-registration)."""
    name = StringField(_l("User name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=300)])
    fullname = StringField(_l("Full name"), validators=[Length(max=300)])
    password = PasswordField(_l("Password (8 characters or more)"),
                             validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "new-password"})
    sysadmin = BooleanField(_l("Administrator of this site"))


class PasswordResetForm(FlaskForm):
    """A new password for a user."""
    user_id = HiddenField(validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "new-password"})


class StatementForm(FlaskForm):
    """A statement for the record: confirming scan hits, asking for a deletion."""
    statement = TextAreaField(_l("Statement"), validators=[DataRequired(), Length(max=10000)])


class ApproveDeletionForm(FlaskForm):
    """A sysadmin's approval of a deletion request, with the reason kept."""
    dataset_id = HiddenField(validators=[DataRequired(), Length(max=100)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=10000)])


class AccountChangeForm(FlaskForm):
    """Grant or remove sysadmin rights, disable or enable an account."""
    user_id = HiddenField(validators=[DataRequired(), Length(max=100)])
    change = HiddenField(validators=[DataRequired(), Length(max=20)])


class JobRerunForm(FlaskForm):
    """Queue the jobs of a resource again."""
    resource_id = HiddenField(validators=[DataRequired(), Length(max=100)])


class NewCircleForm(FlaskForm):
    """Name, title and description of a new circle."""
    name = StringField(_l("Name (in URLs)"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title"), validators=[Length(max=500)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])


class AccessTokenForm(FlaskForm):
    """Whose encrypted access token, how long its token lives, and the file's password."""
    user = SelectField(_l("User"), validators=[DataRequired()], choices=[])
    expires = SelectField(_l("The token inside expires after"), default="90d", choices=[
        ("30d", _l("30 days")), ("90d", _l("90 days")), ("365d", _l("one year")),
        ("never", _l("never"))])
    password = PasswordField(_l("Password of the file (empty: a strong one is generated)"),
                             validators=[Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
