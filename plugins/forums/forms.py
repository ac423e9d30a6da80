"""The forums' forms: a circle, a topic (with its poll), a reply, an edit and a flag."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from kpay.api import FlaskForm, can, from_local, utcnow

TITLE_MAX = 200
BODY_MAX = 20_000
MAX_TAGS = 5
MAX_OPTIONS = 10
LINK = re.compile(r"https?://|www\.|mailto:|\]\(", re.IGNORECASE)  # a bare address or a Markdown link


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _links_allowed(form, field):
    """Refuse a text with a link from a member without ``forums.post_links``."""
    if field.data and LINK.search(field.data) and not can("forums.post_links"):
        raise ValidationError(_l("Links are not open to you yet: remove the link and post again."))


class CircleForm(FlaskForm):
    """A circle: its name, description, cover, rules, who may read it and how to join."""

    name = StringField(_l("Name"), filters=[_stripped], validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), filters=[_stripped], validators=[Length(max=2000)])
    cover_file = FileField(_l("Cover picture"), description=_l(
        "PNG, JPEG, WebP or GIF; shown 16:9. Without one the circle gets a cover of its colour and initials."))
    remove_cover = BooleanField(_l("Remove the cover picture"))
    rules = TextAreaField(_l("Rules"), filters=[_stripped], validators=[Length(max=10_000)],
                          description=_l("Markdown; shown to each new member when they join."))
    visibility = SelectField(_l("Who may read it"), choices=[
        SelectChoice("public", _l("Everyone")), SelectChoice("members", _l("Members of the site")), SelectChoice("paid", _l("Buyers of a product")),
    ], default="public")
    product_id = SelectField(_l("Product that unlocks it"), coerce=int, default=0,
                             description=_l("For a paid circle: usually a membership product."))
    approve_first_posts = BooleanField(_l("Moderators approve each new member's first post"))

    def validate_product_id(self, field):
        if self.visibility.data != "paid":
            field.data = None
            return
        if not field.data:
            raise ValidationError(_l("Choose the product that unlocks this circle."))


class TopicForm(FlaskForm):
    """A new topic; for a poll, its answers one per line."""

    title = StringField(_l("Title"), filters=[_stripped], validators=[DataRequired(), Length(min=3, max=TITLE_MAX)])
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("discussion", _l("Discussion")), SelectChoice("question", _l("Question")), SelectChoice("poll", _l("Poll")),
        SelectChoice("announcement", _l("Announcement")),
    ], default="discussion")
    body = TextAreaField(_l("Message"), filters=[_stripped], validators=[DataRequired(), Length(max=BODY_MAX), _links_allowed],
                         description=_l("Markdown. Mention a member with @name."))
    tags = StringField(_l("Tags"), filters=[_stripped], validators=[Length(max=200)], description=_l("Separated by commas."))
    poll_options = TextAreaField(_l("Poll answers"), filters=[_stripped], description=_l("One per line, 2 to 10."))
    poll_multiple = BooleanField(_l("Members may choose several answers"))
    poll_results_after = SelectField(_l("Show results"), choices=[
        SelectChoice("vote", _l("After voting")), SelectChoice("close", _l("After the poll closes")),
    ], default="vote")
    poll_closes_at = DateTimeLocalField(_l("Closes at (your time zone)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def validate_tags(self, field):
        if len(self.tag_list()) > MAX_TAGS or any(len(t) > 30 for t in self.tag_list()):
            raise ValidationError(_l("Up to 5 tags of at most 30 characters."))

    def validate_kind(self, field):
        if field.data == "poll" and not can("forums.create_poll"):
            raise ValidationError(_l("Polls are not open to you yet: choose another kind."))

    def validate_poll_options(self, field):
        if self.kind.data == "poll":
            options = self.option_list()
            if not 2 <= len(options) <= MAX_OPTIONS or any(len(o) > 200 for o in options):
                raise ValidationError(_l("Give 2 to 10 answers, one per line, each up to 200 characters."))

    def validate_poll_closes_at(self, field):
        if self.kind.data == "poll" and self.poll_closes_at.data and self.closes_at() <= utcnow():
            raise ValidationError(_l("Choose a time in the future."))

    def validate_poll_results_after(self, field):
        if self.kind.data == "poll" and field.data == "close" and not self.poll_closes_at.data:
            raise ValidationError(_l("Results after closing need a closing time."))

    def tag_list(self) -> list[str]:
        """The tags written, lower-cased, each once."""
        return list(dict.fromkeys(t.strip().lower().replace(",", "") for t in (self.tags.data or "").split(",") if t.strip()))

    def option_list(self) -> list[str]:
        """The poll's answers, one per non-empty line."""
        return [line.strip() for line in (self.poll_options.data or "").splitlines() if line.strip()]

    def closes_at(self):
        """The closing time as an aware UTC datetime, or None."""
        return from_local(self.poll_closes_at.data)

    def poll(self) -> dict | None:
        """The poll's settings for ``posting.start_topic``, or None for other kinds."""
        if self.kind.data != "poll":
            return None
        return {"multiple": self.poll_multiple.data, "results_after": self.poll_results_after.data,
                "closes_at": self.closes_at(), "options": self.option_list()}


class ReplyForm(FlaskForm):
    """A reply, perhaps quoting an earlier post."""

    body = TextAreaField(_l("Your reply"), filters=[_stripped], validators=[DataRequired(), Length(max=BODY_MAX), _links_allowed],
                         description=_l("Markdown. Mention a member with @name."))
    quote_of = HiddenField()


class EditForm(FlaskForm):
    """A post's new text (and, for an opening post, the topic's title)."""

    title = StringField(_l("Title"), filters=[_stripped], validators=[Optional(), Length(min=3, max=TITLE_MAX)])
    body = TextAreaField(_l("Message"), filters=[_stripped], validators=[DataRequired(), Length(max=BODY_MAX), _links_allowed])


class FlagForm(FlaskForm):
    """Why a member flags a post."""

    reason = SelectField(_l("Reason"), choices=[
        SelectChoice("off_topic", _l("Off topic")), SelectChoice("inappropriate", _l("Inappropriate")),
        SelectChoice("spam", _l("Spam")), SelectChoice("other", _l("Something else")),
    ], default="off_topic")
    details = TextAreaField(_l("Details"), filters=[_stripped], validators=[Length(max=400)])

    def text(self) -> str:
        """The reason as stored: its name, and the details when given."""
        return f"{self.reason.data}: {self.details.data}" if self.details.data else self.reason.data
