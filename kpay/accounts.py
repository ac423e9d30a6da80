"""Creating members and checking their credentials."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from kpay.extensions import db
from kpay.models import ROLES, User

PASSWORD_MIN = 10
PASSWORD_MAX = 128
# Verifying against this when the e-mail is unknown takes as long as a real check.
_DUMMY_HASH = generate_password_hash("kpay-no-such-member")


class AccountError(ValueError):
    """A member cannot be created as asked; ``field`` says which input is at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    """The address as stored: trimmed and lower-case."""
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    """The member with this e-mail address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(email: str, display_name: str, password: str, role: str = "member") -> User:
    """A new member, added to the session (the caller commits).

    Raises ``AccountError`` when the address is taken, the role unknown or the password
    shorter than ``PASSWORD_MIN``.
    """
    from flask_babel import gettext as _

    if role not in ROLES:
        raise AccountError("role", _("Unknown role %(role)s.", role=role))
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccountError(
            "password", _("Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
        )
    if find_by_email(email) is not None:
        raise AccountError("email", _("An account with this e-mail address already exists."))
    user = User(email=normalize_email(email), display_name=display_name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active member with these credentials, else None (in about the same time)."""
    user = find_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` on its next request."""
    user.session_version += 1
