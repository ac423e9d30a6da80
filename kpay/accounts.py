"""Creating members, checking their credentials and changing them."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from kpay import audit
from kpay.extensions import db
from kpay.models import ROLES, User
from kpay.models.base import utcnow
from kpay.transactions import add_to

PASSWORD_MIN = 10
PASSWORD_MAX = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
# Verifying against this when the e-mail is unknown takes as long as a real check; its
# method prefix ("scrypt:32768:8:1") is the one every stored hash should have.
_DUMMY_HASH = generate_password_hash("kpay-no-such-member")
_CURRENT_METHOD = _DUMMY_HASH.partition("$")[0]


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


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used (too short, too long, too common), or None."""
    from flask_babel import gettext as _

    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return _("Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    if password.lower() in _common_passwords():
        return _("This password is one of the most common ones. Choose another.")
    return None


def create_user(email: str, display_name: str, password: str, role: str = "member") -> User:
    """A new member, added to the session (the caller commits).

    Raises ``AccountError`` when the role is unknown, the password refused by
    ``password_problem`` or the address taken. The password is hashed before the address
    is looked up, so a taken address answers as slowly as a free one.
    """
    from flask_babel import gettext as _

    if role not in ROLES:
        raise AccountError("role", _("Unknown role %(role)s.", role=role))
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    password_hash = generate_password_hash(password)
    taken = AccountError("email", _("An account with this e-mail address already exists."))
    if find_by_email(email) is not None:
        raise taken
    user = User(
        email=normalize_email(email), display_name=display_name.strip(), role=role,
        password_hash=password_hash,
    )
    try:
        with db.session.begin_nested():  # another sign-up may take the address meanwhile
            db.session.add(user)
    except sa.exc.IntegrityError:
        raise taken from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active member with these credentials, else None (in about the same time).

    A hash made with outdated parameters (a legacy ``pbkdf2:`` one, say) is replaced by one
    with Werkzeug's current defaults while the password is at hand; the caller commits.
    """
    user = find_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    if user.password_hash.partition("$")[0] != _CURRENT_METHOD:
        user.set_password(password)
    return user


def record_login(user: User) -> None:
    """Note a successful log-in: ``last_login_at`` and an audit entry."""
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, target=user)


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` on its next request."""
    add_to(user, session_version=1)


def change_password(user: User, password: str, action: str = "auth.password_changed") -> None:
    """Give ``user`` a new password and end their sessions; audited as ``action``.

    ``action`` is ``auth.password_changed`` (by the member) or ``auth.password_reset``
    (through an e-mailed link). Raises ``AccountError`` when ``password_problem`` refuses it.
    """
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    user.set_password(password)
    end_sessions(user)
    audit.record(action, actor=user, target=user)


def change_email(user: User, new_email: str) -> None:
    """Move ``user`` to ``new_email``, confirmed (they followed a link sent there); audited.

    Raises ``AccountError`` when another account took the address meanwhile.
    """
    from flask_babel import gettext as _

    new_email = normalize_email(new_email)
    if find_by_email(new_email) is not None:
        raise AccountError("email", _("Another account uses this e-mail address now."))
    before = {"email": user.email}
    user.email = new_email
    user.email_confirmed_at = utcnow()
    audit.record("auth.email_changed", actor=user, target=user, before=before, after={"email": new_email})
