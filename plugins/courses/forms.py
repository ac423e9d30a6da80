"""The courses forms: catalogue filters, reviews, and the studio's course, chapter, lesson and
publishing forms. Bad input comes back beside its field and nothing is saved."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateTimeLocalField, Form, HiddenField, IntegerField, RadioField, SelectField, StringField,
    TextAreaField, ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from kpay.api import CURSOR_LENGTH, FlaskForm


def options(*pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


LEVELS = (("beginner", _l("Beginner")), ("intermediate", _l("Intermediate")), ("advanced", _l("Advanced")))
KINDS = (("text", _l("Text")), ("video", _l("Video")), ("audio", _l("Audio")), ("attachment", _l("Attachment")),
         ("source", _l("Linked content")))


class CatalogueFilters(Form):
    """The catalogue's filters, read from the query string."""

    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=40)])
    level = SelectField(_l("Level"), choices=options(("", _l("Any level")), *LEVELS), validators=[Optional()])
    price = SelectField(_l("Price"), choices=options(("", _l("Any price")), ("free", _l("Free")), ("paid", _l("Paid"))),
                        validators=[Optional()])
    creator = IntegerField(_l("Creator"), validators=[Optional(), NumberRange(min=1)])
    sort = SelectField(_l("Sort by"), choices=options(("newest", _l("Newest")), ("popular", _l("Most learners")),
                                                ("rating", _l("Best rated"))), default="newest",
                       validators=[Optional()])
    cursor = StringField(validators=[Optional(), Length(max=CURSOR_LENGTH)])


class ReviewForm(FlaskForm):
    """A member's stars and words about a course."""

    rating = RadioField(_l("Rating"), choices=options(*((n, str(n)) for n in range(5, 0, -1))), coerce=int,
                        validators=[InputRequired(_l("Choose a rating from 1 to 5 stars."))])
    text = TextAreaField(_l("Your review (optional)"), validators=[Optional(), Length(max=4000)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=4000)])


class CourseForm(FlaskForm):
    """A course's description, how it is sold, and its cover."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    subtitle = StringField(_l("Subtitle"), validators=[Optional(), Length(max=240)])
    description = TextAreaField(_l("Description (markdown)"), validators=[Optional(), Length(max=20000)])
    tags = StringField(_l("Tags"), description=_l("Separated by commas."), validators=[Optional(), Length(max=240)])
    level = SelectField(_l("Level"), choices=options(*LEVELS), validators=[DataRequired()])
    language = SelectField(_l("Language"), choices=options(("zh", "中文"), ("en", "English"), ("zh,en", "中文 / English")))
    product_id = SelectField(_l("Sold as"), coerce=str, description=_l(
        "One of your products (create it under Studio → Products), or free."))
    membership_product_id = SelectField(_l("Also unlocked by the membership"), coerce=str)
    certificates = BooleanField(_l("Give a certificate to members who finish"), default=True)
    cover = FileField(_l("Cover picture"))


class ChapterForm(FlaskForm):
    title = StringField(_l("Chapter title"), validators=[DataRequired(), Length(max=160)])


class LessonForm(FlaskForm):
    """A lesson: its kind and content, whether it is a free preview, and when it opens."""

    chapter_id = SelectField(_l("Chapter"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=options(*KINDS), validators=[DataRequired()])
    body = TextAreaField(_l("Text (markdown)"), validators=[Optional(), Length(max=200000)])
    embed_url = StringField(_l("Or embed a video from"), validators=[Optional(), Length(max=500)])
    source = SelectField(_l("What it shows"), coerce=lambda key: key or "", validate_choice=False, description=_l(
        "For a linked lesson: what it shows, such as a live lecture you scheduled (its time, then its replay)."))
    file = FileField(_l("File"))
    upload = HiddenField()  # the token of a file sent in chunks by courses/upload.js
    minutes = IntegerField(_l("Duration in minutes"), validators=[Optional(), NumberRange(min=0, max=10000)])
    preview = BooleanField(_l("Free preview: open to everyone"))
    opens_at = DateTimeLocalField(_l("Opens at"), validators=[Optional()])
    opens_after_days = IntegerField(_l("Opens this many days after enrolling"),
                                    validators=[Optional(), NumberRange(min=1, max=3650)])

    def validate_embed_url(self, field) -> None:
        if not field.data:
            return
        parts = urlsplit(field.data)
        hosts = current_app.config["KPAY"]["plugins"]["courses"]["embed_hosts"]
        if parts.scheme != "https" or parts.hostname not in hosts:
            raise ValidationError(_l("Embed only https players from: %(hosts)s", hosts=", ".join(hosts)))


class PublishForm(FlaskForm):
    """Publish now, at a time, or take back to draft."""

    action = SelectField(_l("Publishing"), choices=options(
        ("now", _l("Publish now")), ("schedule", _l("Publish at the time below")), ("draft", _l("Back to draft")),
    ))
    publish_at = DateTimeLocalField(_l("Publish at"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.action.data == "schedule" and not self.publish_at.data:
            self.publish_at.errors = [_l("Give the time to publish at.")]
            return False
        return True

