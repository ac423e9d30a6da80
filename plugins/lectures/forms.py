"""The lectures forms: scheduling (with the DST policy and a weekly series), the replay, a
question, and a message to attendees. Bad input comes back beside its field, nothing saved."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from flask_wtf.file import FileField

from kpay.api import FlaskForm, utcnow
from plugins.lectures import zones
from plugins.lectures.access import settings

MAX_DESCRIPTION = 20000


def options(*pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class LectureForm(FlaskForm):
    """A lecture: what, who, when (wall time and zone), how many, how sold, where."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Description (markdown)"), validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    speakers = StringField(_l("Speakers"), validators=[Optional(), Length(max=240)])
    starts = DateTimeLocalField(_l("Starts at (local time)"), validators=[InputRequired(_l("Give the start time."))])
    zone = StringField(_l("Time zone"), description=_l("An IANA zone such as Asia/Shanghai or Europe/Berlin."),
                       validators=[DataRequired(), Length(max=64)])
    minutes = IntegerField(_l("Duration in minutes"), default=60,
                           validators=[InputRequired(), NumberRange(min=5, max=24 * 60)])
    capacity = IntegerField(_l("Seats"), description=_l("Empty: no limit."),
                            validators=[Optional(), NumberRange(min=1, max=100000)])
    product_id = SelectField(_l("Sold as"), coerce=str,
                             description=_l("One of your products, or free for every member."))
    membership_product_id = SelectField(_l("Also unlocked by the membership"), coerce=str)
    provider = SelectField(_l("Where it happens"), coerce=str)
    meeting_url = StringField(_l("Meeting link"), description=_l(
        "Shown only to confirmed attendees, shortly before the start."), validators=[Optional(), Length(max=500)])
    repeat_until = DateField(_l("Repeat weekly until"), description=_l(
        "A day in the zone above, included: a lecture late that day is the last. Empty: once."), validators=[Optional()])

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.instants: list = []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.meeting_url.data and not _http_url(self.meeting_url.data):
            self.meeting_url.errors = [_l("Give an http:// or https:// link.")]
            valid = False
        if not valid or self.starts.data is None:
            return False
        try:
            if self.repeat_until.data and not self.editing:
                self.instants = zones.weekly(self.starts.data, self.zone.data.strip(), self.repeat_until.data)
            else:
                self.instants = [(self.starts.data, zones.to_utc(self.starts.data, self.zone.data.strip()))]
        except zones.WallTimeError as error:
            field = self.zone if error.reason == "unknown" else self.starts
            field.errors = [MESSAGES[error.reason] if error.local in (None, self.starts.data) else
                            _l("%(when)s does not exist or happens twice in this zone (a clock change).",
                               when=f"{error.local:%Y-%m-%d %H:%M}")]
            return False
        except ValueError as error:
            self.repeat_until.errors = [_l("The series must end after it starts.") if "before" in str(error)
                                        else _l("A series runs at most %(n)s weeks.", n=zones.MAX_WEEKS)]
            return False
        if self.instants[0][1] <= utcnow():
            self.starts.errors = [_l("Choose a time in the future.")]
            return False
        return True

    def values(self) -> dict:
        """The lecture's columns from the form."""
        return {
            "title": self.title.data.strip(), "description": self.description.data or "",
            "speakers": (self.speakers.data or "").strip(), "minutes": self.minutes.data,
            "capacity": self.capacity.data, "provider": self.provider.data or "url",
            "product_id": int(self.product_id.data) if self.product_id.data else None,
            "membership_product_id": int(self.membership_product_id.data) if self.membership_product_id.data else None,
            "meeting_url": (self.meeting_url.data or "").strip(),
        }


MESSAGES = {
    "unknown": _l("Unknown time zone: use an IANA name such as Asia/Shanghai."),
    "missing": _l("This local time does not exist in this zone (the clocks jump forward): choose another."),
    "ambiguous": _l("This local time happens twice in this zone (the clocks go back): choose another."),
}


class ReplayForm(FlaskForm):
    """The recording: an embed from the allowed players or an uploaded file (or both), and notes."""

    replay_url = StringField(_l("Recording (embed address)"), validators=[Optional(), Length(max=500)])
    replay_upload = FileField(_l("Or upload the recording (MP4, WebM, MP3, M4A)"),
                              render_kw={"accept": "video/mp4,video/webm,audio/mpeg,audio/mp4"})
    replay_notes = TextAreaField(_l("Notes (markdown)"), validators=[Optional(), Length(max=MAX_DESCRIPTION)])

    def validate_replay_url(self, field) -> None:
        from wtforms import ValidationError

        if not field.data:
            return
        parts = urlsplit(field.data)
        hosts = settings()["embed_hosts"]
        if parts.scheme != "https" or parts.hostname not in hosts:
            raise ValidationError(_l("Embed only https players from: %(hosts)s", hosts=", ".join(hosts)))


class QuestionForm(FlaskForm):
    body = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=1000)])


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Message to attendees"), validators=[DataRequired(), Length(max=1000)])
