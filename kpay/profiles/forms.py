"""The profile settings form and the avatar upload form."""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo

import pytz
from babel import Locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from kpay.config import LOCALES
from kpay.forms import FlaskForm
from kpay.profiles.interests import MAX_TAG_LENGTH, MAX_TAGS, parse_interests

BIO_MAX = 5000
NAME_MAX = 80


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """IANA zones a member may choose, sorted: those Python and pytz (dates on pages) both know."""
    return tuple(sorted(zoneinfo.available_timezones() & pytz.all_timezones_set))


def timezone_choices() -> dict[str, list[tuple[str, str]]]:
    """The zones grouped by region ("Asia": "Shanghai", ...); zones without one under "Other"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    other = []
    for name in timezone_names():
        region, _slash, place = name.partition("/")
        if place:
            groups.setdefault(region, []).append((name, place.replace("_", " ")))
        else:
            other.append((name, name))
    groups[_("Other")] = other
    return groups


def language_choices() -> list[tuple[str, str]]:
    """Each language the site speaks, named in itself."""
    return [(code, Locale.parse(code).get_display_name(code)) for code in LOCALES]


def _single_line(value):
    """Trimmed, with line breaks, tabs and other control characters taken out."""
    if not isinstance(value, str):
        return value
    return "".join(c for c in value if unicodedata.category(c) != "Cc").strip()


def _unix_newlines(value):
    """Browsers send a textarea's line breaks as CRLF; count and keep each as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class InterestsField(StringField):
    """Comma-separated tags in, a list of normalised tags (``parse_interests``) out.

    What the member typed is shown back as typed when the form is re-displayed with errors.
    """

    typed: str | None = None

    def process_formdata(self, valuelist):
        self.typed = valuelist[0] if valuelist else ""
        self.data = parse_interests(self.typed)

    def _value(self):
        return self.typed if self.typed is not None else ", ".join(self.data or ())

    def pre_validate(self, form):
        if len(self.data) > MAX_TAGS:
            raise ValidationError(_("Choose at most %(n)s interests.", n=MAX_TAGS))
        too_long = [tag for tag in self.data if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            raise ValidationError(
                _("Keep each interest to %(n)s characters: %(tag)s", n=MAX_TAG_LENGTH, tag=too_long[0])
            )


class ProfileForm(FlaskForm):
    """What a member may change about themselves here, and nothing else (see ``PROFILE_FIELDS``)."""

    display_name = StringField(
        _l("Display name"), filters=[_single_line],
        validators=[DataRequired(), Length(max=NAME_MAX)], render_kw={"maxlength": NAME_MAX},
    )
    bio = TextAreaField(
        _l("About me"), filters=[_unix_newlines], validators=[Length(max=BIO_MAX)],
        description=_l("Markdown: **bold**, *italic*, [links](https://example.org). Up to %(n)s characters.", n=BIO_MAX),
        render_kw={"rows": 8},
    )
    interests = InterestsField(
        _l("Interests"),
        description=_l("Up to %(n)s topics, separated by commas: writing, 摄影, product design", n=MAX_TAGS),
    )
    locale = SelectField(_l("Language"), choices=language_choices)
    timezone = SelectField(
        _l("Time zone"), choices=timezone_choices,
        invalid_choice_message=_l("Choose a time zone from the list."),
    )
    preview = SubmitField(_l("Preview"))


PROFILE_FIELDS = ("display_name", "bio", "interests", "locale", "timezone")


class AvatarForm(FlaskForm):
    avatar = FileField(
        _l("New picture"),
        validators=[FileRequired(_l("Choose a picture to upload."))],
        description=_l("PNG, JPEG, WebP or GIF. It is cropped to a square."),
        render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"},
    )
