"""The owner's settings forms: the site's own, and one made from each plugin's declared settings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, FloatField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, URL

from kpay.config import LOCALES
from kpay.forms import FlaskForm
from kpay.types import Setting

COLOR = Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour like #0b6e4f."))
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}


class SiteSettingsForm(FlaskForm):
    """Name, address, logo, colours and language of the site."""

    site_name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=80)])
    site_url = StringField(
        _l("Site address"), validators=[Optional(), URL(require_tld=False, message=_l("Use an address like https://community.example."))],
        description=_l("Links in e-mails and background jobs point here. Empty: the address KPay is served at."),
    )
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG, WebP or GIF; shown in the header at most 48 pixels high."))
    remove_logo = BooleanField(_l("Remove the logo"))
    brand_color = StringField(_l("Brand colour"), validators=[Optional(), COLOR],
                              description=_l("The site name and header accents, like #0b6e4f. Empty: the theme's."))
    accent_color = StringField(_l("Accent colour"), validators=[Optional(), COLOR],
                               description=_l("Buttons and links, like #b54708. Empty: the theme's."))
    default_locale = SelectField(_l("Default language"), choices=[SelectChoice(code, LANGUAGES[code]) for code in LOCALES],
                                 description=_l("For visitors whose browser asks for no language we have."))


def setting_of(declared: Any) -> Setting:
    """A plugin's declared setting as a ``Setting`` (plain defaults are allowed)."""
    return declared if isinstance(declared, Setting) else Setting(declared)


def plugin_settings_form(declared: dict[str, Any], values: dict[str, Any]) -> FlaskForm:
    """A form with a field for each of a plugin's settings, filled with ``values``.

    A secret field starts empty (a blank one keeps the stored value); a list is edited one
    item a line; an image field uploads a picture, with a box to remove the current one.
    """

    class PluginSettingsForm(FlaskForm):
        pass

    data = {}
    for key, raw in declared.items():
        setting = setting_of(raw)
        setattr(PluginSettingsForm, key, _field(key, setting))
        if setting.field == "image":
            setattr(PluginSettingsForm, f"{key}__remove", BooleanField(_l("Remove the picture")))
        elif setting.field != "secret":
            value = values.get(key, setting.default)
            data[key] = "\n".join(value) if isinstance(value, list) else value
    return PluginSettingsForm(data=data)


def form_values(form: FlaskForm, declared: dict[str, Any]) -> dict[str, Any]:
    """The typed values the owner entered, for the settings that are not pictures or
    secrets (those are handled by the caller)."""
    values = {}
    for key, raw in declared.items():
        setting = setting_of(raw)
        if setting.field in ("image", "secret"):
            continue
        value = form[key].data
        if isinstance(setting.default, list):
            value = [line.strip() for line in (value or "").splitlines() if line.strip()]
        elif isinstance(setting.default, str):
            value = (value or "").replace("\r\n", "\n")
        values[key] = value
    return values


def _field(key: str, setting: Setting):
    label = key.replace("_", " ").capitalize()
    options = {"description": setting.help}
    kind = type(setting.default)
    if setting.field == "image":
        return FileField(label, **options)
    if setting.field == "secret":
        return PasswordField(label, validators=[Optional(), Length(max=500)], **options)
    if setting.choices is not None:
        return SelectField(label, choices=[SelectChoice(c, str(c)) for c in setting.choices], coerce=kind, **options)
    if kind is bool:
        return BooleanField(label, **options)
    if kind is int:
        return IntegerField(label, validators=[Optional()], **options)
    if kind is float:
        return FloatField(label, validators=[Optional()], **options)
    if kind is list or setting.field == "textarea":
        return TextAreaField(label, validators=[Length(max=20_000)], render_kw={"rows": 6}, **options)
    return StringField(label, validators=[Length(max=2000)], **options)
