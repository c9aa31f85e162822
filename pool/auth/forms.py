from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from pool.forms import LOCALE_CHOICES, BaseForm, choices, email_validators
from pool.i18n import lazy_gettext as _l

REQUIRED_EMAIL = _l("Bitte geben Sie Ihre E-Mail-Adresse ein.")


class LoginForm(BaseForm):
    email = StringField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Anmelden"))


class ForgotPasswordForm(BaseForm):
    email = StringField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(REQUIRED_EMAIL), *email_validators()],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    submit = SubmitField(_l("Link zum Zurücksetzen senden"))


class NewPasswordForm(BaseForm):
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie ein neues Passwort ein.")), Length(max=256)],
        description=_l(
            "Mindestens 12 Zeichen. Ein Satz aus mehreren Wörtern ist leicht zu merken und sicher."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das neue Passwort.")),
            EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Passwort speichern"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein.")),
            Length(max=256),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Passwort ändern"))


class ProfileForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(_l("Sprache der Oberfläche"), choices=choices(LOCALE_CHOICES))
    submit = SubmitField(_l("Speichern"))


class TokenForm(BaseForm):
    name = StringField(
        _l("Wofür ist der Schlüssel?"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen für den Schlüssel ein.")),
            Length(max=80, message=_l("Höchstens 80 Zeichen.")),
        ],
        description=_l("Zum Beispiel: Fachverfahren Jugendamt"),
    )
    submit = SubmitField(_l("Schlüssel erstellen"))


class LanguageForm(BaseForm):
    locale = SelectField(_l("Sprache"), choices=choices(LOCALE_CHOICES))
    submit = SubmitField(_l("Sprache wechseln"))
