"""The owner's settings in the admin: the site, plugins on and off, payment providers, and an
overview that says what happened today and what needs attention."""

from __future__ import annotations

import io
import stat
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from kpay import jobs
from kpay.extensions import db
from kpay.models import AuditEntry, Job
from tests.conftest import Auth, csrf_token

PAYMENTS = {"plugins": {"enabled": ["pay_manual", "pay_stripe", "pay_sandbox"]}}


def png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(out, "PNG")
    return out.getvalue()


def owner_of(app, make_user, role="owner"):
    client = app.test_client()
    Auth(client).login(make_user(role=role).email)
    return client


def send(client, url: str, **data):
    """POST the form at ``url`` as the page would, with its CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(url)), **data},
                       content_type="multipart/form-data")


def site_form(**changes) -> dict:
    return {"site_name": "Chen's Studio", "site_url": "", "default_locale": "en", "brand_color": "",
            "accent_color": "", **changes}


def config_file(app) -> str:
    return (Path(app.instance_path) / "kpay.toml").read_text(encoding="utf-8")


def audit_actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


def test_owner_names_and_colours_the_site_and_kpay_toml_keeps_its_comments(app, make_user):
    client = owner_of(app, make_user)
    assert "Chen" not in app.test_client().get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    saved = send(client, "/admin/settings", **site_form(
        brand_color="#0b6e4f", accent_color="#b54708", site_url="https://club.example", default_locale="zh_CN"))
    assert saved.status_code == 302
    text = config_file(app)
    assert "# KPay site configuration. Uncomment a line to change it." in text
    written = tomllib.loads(text)
    assert (written["site_name"], written["brand_color"], written["site_url"], written["default_locale"]) == (
        "Chen's Studio", "#0b6e4f", "https://club.example", "zh_CN")
    home = app.test_client().get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Chen&#39;s Studio" in home and 'lang="zh-CN"' in home, "name and default language apply at once"
    assert "--brand: #0b6e4f;" in app.test_client().get("/site/theme.css").get_data(as_text=True)
    assert "site.settings_changed" in audit_actions(app)
    with app.app_context():
        assert app.config["SERVER_NAME"] == "club.example"


@pytest.mark.parametrize("field, value, message", [
    ("brand_color", "red", "Use a colour like #0b6e4f."),
    ("site_url", "club dot example", "Use an address like https://community.example."),
    ("site_name", "", "This field is required."),
])
def test_bad_values_are_explained_beside_their_field_and_nothing_is_written(app, make_user, field, value, message):
    client = owner_of(app, make_user)
    before = config_file(app) if (Path(app.instance_path) / "kpay.toml").exists() else ""
    answer = send(client, "/admin/settings", **site_form(**{field: value}))
    assert answer.status_code == 422
    assert f'<ul class="errors" id="{field}-errors"><li>{message}</li></ul>' in answer.get_data(as_text=True)
    assert config_file(app) == before


def test_logo_is_re_encoded_and_shown_in_the_header(app, make_user):
    client = owner_of(app, make_user)
    refused = send(client, "/admin/settings", **site_form(logo=(io.BytesIO(b"not a picture"), "logo.png")))
    assert refused.status_code == 422 and "Upload a PNG, JPEG, WebP or GIF picture." in refused.get_data(as_text=True)
    send(client, "/admin/settings", **site_form(logo=(io.BytesIO(png((800, 400))), "logo.png")))
    home = app.test_client().get("/").get_data(as_text=True)
    assert '<img src="/site/logo?v=logo-' in home
    served = app.test_client().get("/site/logo")
    with Image.open(io.BytesIO(served.data)) as image:
        assert (image.format, image.size) == ("PNG", (192, 96))


@pytest.mark.parametrize("url", ["/admin/settings", "/admin/payments", "/admin/plugins/pay_manual/settings"])
def test_only_the_owner_changes_settings(make_app, make_user, url):
    app = make_app(PAYMENTS)
    assert owner_of(app, make_user, role="admin").get(url).status_code == 403
    assert app.test_client().get(url).status_code in (302, 403)
    assert owner_of(app, make_user).get(url).status_code == 200


def test_settings_refuse_a_post_without_the_csrf_token(app, make_user):
    client = owner_of(app, make_user)
    assert client.post("/admin/settings", data=site_form()).status_code == 400


def test_owner_switches_a_plugin_off_like_the_command_does(make_app, make_user):
    app = make_app(PAYMENTS)
    client = owner_of(app, make_user)
    admin = owner_of(app, make_user, role="admin")
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert 'action="/admin/plugins/pay_sandbox/switch"' in page and "Switch pay_sandbox off" in page
    assert 'action="/admin/plugins/pay_sandbox/switch"' not in admin.get("/admin/plugins").get_data(as_text=True)
    assert admin.post("/admin/plugins/pay_sandbox/switch", data={"csrf_token": csrf_token(admin.get("/admin/")), "enabled": "0"}).status_code == 403
    reloads = []
    app.extensions["kpay_reload"] = lambda: reloads.append(1)
    switched = client.post("/admin/plugins/pay_sandbox/switch", data={"csrf_token": csrf_token(client.get("/admin/plugins")), "enabled": "0"})
    assert switched.status_code == 302
    enabled = tomllib.loads(config_file(app))["plugins"]["enabled"]
    assert "pay_sandbox" not in enabled and "forums" in enabled
    assert "# KPay site configuration" in config_file(app)
    assert reloads == [1]
    after = client.get("/admin/plugins").get_data(as_text=True)
    assert "pay_sandbox is switched off." in after and "reloads with the change on the next page" in after
    assert audit_actions(app)[-1] == "plugin.disabled"
    assert client.post("/admin/plugins/no_such/switch", data={"csrf_token": csrf_token(client.get("/")), "enabled": "1"}).status_code == 404


def test_owner_sets_up_manual_transfer_and_members_can_pay_with_it_at_once(make_app, make_user):
    app = make_app(PAYMENTS)
    client = owner_of(app, make_user)
    assert "not set up yet" in client.get("/admin/payments").get_data(as_text=True)
    saved = send(client, "/admin/plugins/pay_manual/settings",
                 instructions="Transfer to our account and **write your order number**.",
                 account_details="Bank: ICBC\r\nAccount: 6222 0000 1234", qr_image=(io.BytesIO(png()), "qr.png"))
    assert saved.status_code == 302
    settings = tomllib.loads(config_file(app))["plugins"]["pay_manual"]
    assert settings["account_details"] == ["Bank: ICBC", "Account: 6222 0000 1234"]
    assert settings["qr_image"].startswith("pay_manual-qr_image-") and settings["qr_image"].endswith(".png")
    assert (Path(app.instance_path) / settings["qr_image"]).is_file()
    assert client.get(f"/admin/picture/{settings['qr_image']}").status_code == 200
    assert client.get("/admin/picture/secret_key").status_code == 404, "only the pictures settings name"
    assert "offered at checkout" in client.get("/admin/payments").get_data(as_text=True)
    with app.test_request_context():
        from kpay.commerce.providers import providers

        assert "manual" in [p.name for p in providers()]


def test_stripe_keys_are_kept_private_and_never_shown_again(make_app, make_user):
    app = make_app(PAYMENTS)
    client = owner_of(app, make_user)
    send(client, "/admin/plugins/pay_stripe/settings", secret_key="sk_test_51abcdefghSECRET9876", webhook_secret="whsec_abcdefgh1234")
    secrets_file = Path(app.instance_path) / "secrets.toml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert tomllib.loads(secrets_file.read_text())["plugins"]["pay_stripe"]["secret_key"] == "sk_test_51abcdefghSECRET9876"
    assert "sk_test_51" not in config_file(app)
    page = client.get("/admin/plugins/pay_stripe/settings").get_data(as_text=True)
    assert "••••9876" in page and "SECRET" not in page
    send(client, "/admin/plugins/pay_stripe/settings", secret_key="", webhook_secret="")
    assert app.config["KPAY"]["plugins"]["pay_stripe"]["secret_key"] == "sk_test_51abcdefghSECRET9876", "blank keeps it"
    with app.app_context():
        first = db.session.scalars(sa.select(AuditEntry.after).where(AuditEntry.action == "site.settings_changed")).first()
    assert first["plugins.pay_stripe.secret_key"] == "(secret)", "the audit log never holds a secret"


def build_link_outside_a_request() -> None:
    from flask import url_for

    url_for("home.index", _external=True)


def test_overview_counts_todays_sign_ups_and_names_the_setting_a_failed_job_waits_for(app, make_user):
    client = owner_of(app, make_user)
    make_user()
    with app.app_context():
        jobs.enqueue(build_link_outside_a_request)
        db.session.commit()
        [job] = db.session.scalars(sa.select(Job)).all()
        assert (job.status, job.attempts, job.needs_setting) == ("failed", 1, "site_url"), "no retries: they would fail too"
    page = client.get("/admin/").get_data(as_text=True)
    today = page.split("<h2>Today</h2>", 1)[1].split("</dl>", 1)[0]
    assert "<dt>Sign-ups</dt><dd>2</dd>" in today
    assert "Waits for the setting site_url" in page and 'href="/admin/settings#setting-site_url"' in page
    assert "address is not set: e-mail digests" in page
    assert "Waits for the setting site_url" in client.get("/admin/jobs").get_data(as_text=True)


def test_a_key_the_plugin_refuses_at_start_up_is_refused_beside_its_field_and_nothing_is_kept(make_app, make_user):
    app = make_app(PAYMENTS)
    client = owner_of(app, make_user)
    refused = send(client, "/admin/plugins/pay_stripe/settings", secret_key="pk_test_publishable", webhook_secret="whsec_x")
    assert refused.status_code == 422
    assert "expected a secret key (sk_live_..., sk_test_... or rk_...)" in refused.get_data(as_text=True)
    assert not (Path(app.instance_path) / "secrets.toml").exists()
    assert app.config["KPAY"]["plugins"]["pay_stripe"]["secret_key"] == ""
