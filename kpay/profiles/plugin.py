"""Member profiles and settings, registered like any plugin."""

from flask_babel import lazy_gettext as _l

from kpay.hookspecs import hookimpl
from kpay.types import NavItem, UploadFolder


@hookimpl
def kpay_blueprints():
    from kpay.profiles.views import bp

    return [bp]


@hookimpl
def kpay_init_app(app):
    from kpay.profiles.avatars import avatar, hue, initials

    # templates/_macros.html hands ``avatar`` on to the templates that import it (plugins' too).
    app.jinja_env.filters.update(initials=initials, avatar_hue=hue)
    app.jinja_env.globals["member_avatar"] = avatar


@hookimpl
def kpay_nav_items(user):
    if not user.is_authenticated:
        return []
    return [NavItem(_l("Profile"), "profiles.edit", order=90, icon="user")]


@hookimpl
def kpay_upload_folders():
    from kpay.profiles.avatars import FOLDER, in_use

    return [UploadFolder(FOLDER, _l("Members' pictures"), in_use)]
