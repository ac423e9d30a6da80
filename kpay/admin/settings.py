"""The owner's settings in the admin: the site, plugins on and off, each plugin's settings
(payment providers among them). Every change is validated, written with
``kpay.site_settings`` (kpay.toml keeps its comments), audited and reloaded."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kpay import audit, plugins, site_settings
from kpay.admin.settings_forms import SiteSettingsForm, form_values, plugin_settings_form, setting_of
from kpay.admin.views import bp
from kpay.app import use_site_url
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.permissions import require
from kpay.pictures import store_png
from kpay.render import render
from kpay.uploads import UploadError

SITE_KEYS = ("site_name", "site_url", "brand_color", "accent_color", "default_locale")
RELOADED = {
    "gunicorn": _l("Saved. The site's workers are reloading with the change."),
    "server": _l("Saved. The site reloads with the change on the next page."),
    "restart": _l("Saved. Restart KPay (and its workers) to apply the change everywhere."),
}


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The site's name, address, logo, colours and default language (owner only)."""
    require("site.configure")
    config = current_app.config["KPAY"]
    form = SiteSettingsForm(data={key: config[key] for key in SITE_KEYS})
    if form.validate_on_submit():
        changes = {key: form[key].data.strip() if isinstance(form[key].data, str) else form[key].data for key in SITE_KEYS}
        try:
            if form.logo.data:
                changes["logo"] = store_png(form.logo.data.stream, "logo", 192)
            elif form.remove_logo.data:
                changes["logo"] = ""
        except UploadError as error:
            form.logo.errors.append(str(error))
        else:
            if _save(form, changes):
                use_site_url(current_app, changes["site_url"])
                current_app.config["BABEL_DEFAULT_LOCALE"] = changes["default_locale"]
                return redirect(url_for("admin.settings"))
    overridden = {key: site_settings.overridden(key) for key in SITE_KEYS}
    return render("admin/settings.html", form=form, logo=config["logo"], overridden=overridden,
                  status=422 if form.errors else 200)


@bp.route("/plugins/<name>/switch", methods=["POST"])
def toggle_plugin(name: str):
    """Switch a plugin on (``enabled=1``) or off: the same edit as ``kpay plugins enable|disable``."""
    require("site.configure")
    installed = {info.name for info in plugins.describe(current_app.extensions["kpay"].enabled)}
    if name not in installed:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    action = "enable" if enabled else "disable"
    try:
        with site_settings.kept_if_valid(Path(current_app.instance_path)):
            changed = site_settings.set_plugin_enabled(Path(current_app.instance_path), name, enabled)
    except ConfigError as error:
        flash(_("Not switched: %(problem)s", problem=str(error)), "error")
        return redirect(url_for("admin.plugin_list"))
    if changed:
        audit.record(f"plugin.{action}d", actor=current_user, after={"plugin": name})
        db.session.commit()
        how = site_settings.reload(current_app)
        flash(_("%(name)s is switched on.", name=name) if enabled else _("%(name)s is switched off.", name=name), "success")
        flash(str(RELOADED[how]), "info")
        if site_settings.overridden("plugins.enabled"):
            flash(_("KPAY_PLUGINS_ENABLED is set in the environment and overrides this choice."), "error")
    return redirect(url_for("admin.plugin_list"))


@bp.route("/plugins/<name>/settings", methods=["GET", "POST"])
def plugin_settings(name: str):
    """An enabled plugin's settings, as its ``kpay_config_defaults`` declares them."""
    require("site.configure")
    state = current_app.extensions["kpay"]
    declared = plugins.declared_settings(state.pm).get(name)
    if name not in state.enabled or not declared:
        abort(404)
    values = current_app.config["KPAY"]["plugins"].get(name, {})
    form = plugin_settings_form(declared, values)
    if form.validate_on_submit():
        changes = {f"plugins.{name}.{key}": value for key, value in form_values(form, declared).items()}
        secrets = {}
        try:
            for key, raw in declared.items():
                setting, field = setting_of(raw), form[key]
                if setting.field == "image" and field.data:
                    changes[f"plugins.{name}.{key}"] = store_png(field.data.stream, f"{name}-{key}", 1024)
                elif setting.field == "image" and form[f"{key}__remove"].data:
                    changes[f"plugins.{name}.{key}"] = ""
                elif setting.field == "secret" and field.data:
                    secrets[f"plugins.{name}.{key}"] = field.data.strip()
        except UploadError as error:
            field.errors.append(str(error))
        else:
            if _save(form, changes, secrets, prefix=f"plugins.{name}."):
                return redirect(url_for("admin.plugin_settings", name=name))
    shown = {key: _masked(values.get(key, "")) for key, raw in declared.items() if setting_of(raw).field == "secret"}
    pictures = {key: values.get(key, "") for key, raw in declared.items() if setting_of(raw).field == "image"}
    return render("admin/plugin_settings.html", form=form, name=name, secrets=shown, pictures=pictures,
                  status=422 if form.errors else 200)


@bp.route("/payments")
def payments():
    """The payment providers' plugins, each with a link to its settings."""
    require("site.configure")
    state = current_app.extensions["kpay"]
    declared = plugins.declared_settings(state.pm)
    offered_by = {
        impl.plugin_name: bool(impl.function())
        for impl in state.pm.hook.kpay_payment_providers.get_hookimpls() if impl.plugin_name in state.enabled
    }
    return render("admin/payments.html", providers=sorted(offered_by), declared=declared, offered_by=offered_by)


@bp.route("/picture/<name>")
def picture(name: str):
    """A picture the owner uploaded for a plugin setting (a QR code), for the settings page;
    only a file an image setting names now (never another file of the instance folder)."""
    require("site.configure")
    state = current_app.extensions["kpay"]
    values = current_app.config["KPAY"]["plugins"]
    pictures = {
        values.get(plugin, {}).get(key)
        for plugin, declared in plugins.declared_settings(state.pm).items()
        for key, raw in declared.items() if setting_of(raw).field == "image"
    }
    if name not in pictures:
        abort(404)
    return send_from_directory(current_app.instance_path, name)


def _save(form, changes: dict, secrets: dict | None = None, prefix: str = "") -> bool:
    """Validate ``changes`` and ``secrets`` (dotted keys) as at start-up, write, apply, audit
    and reload; False, with the message beside the field it names, when a value is refused."""
    app = current_app
    instance = Path(app.instance_path)
    try:
        checked = site_settings.checked(app, {**changes, **(secrets or {})})
        with site_settings.kept_if_valid(instance):
            site_settings.write(instance, changes)
            if secrets:
                site_settings.write(instance, secrets, secret=True)
    except ConfigError as error:
        key, _sep, message = str(error).partition(": ")
        field = key.removeprefix(prefix)
        target = form[field] if field in form else None
        (target.errors if target is not None else form.form_errors).append(message)
        return False
    app.config["KPAY"] = checked
    audit.record("site.settings_changed", actor=current_user,
                 after={**changes, **{key: "(secret)" for key in secrets or {}}})
    db.session.commit()
    flash(str(RELOADED[site_settings.reload(app)]), "success")
    return True


def _masked(secret: str) -> str:
    """A stored secret as the owner may see it again: its last four characters."""
    return f"••••{secret[-4:]}" if len(secret) > 8 else ("••••" if secret else "")
