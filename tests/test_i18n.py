"""Visitors and members read KPay in their language: Simplified Chinese or English."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone, UTC
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import format_datetime, format_time, gettext

from kpay.config import LOCALES
from kpay.extensions import db
from kpay.hookspecs import hookimpl
from kpay.i18n import add_translations, forget_loaded_catalogs
from kpay.models import User
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "kpay" / "translations"
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
HELLO = ROOT / "examples" / "kpay-hello"  # a third-party plugin: catalogs and babel.cfg of its own
HELLO_CATALOGS = sorted(HELLO.glob("kpay_hello/translations/*/LC_MESSAGES/messages.po"))
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile each catalog whose .mo is missing or older than its .po (``make translations``)."""
    compiled = False
    for po in CATALOGS + HELLO_CATALOGS:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        # Written aside, then renamed: a parallel test process never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.replace(temporary, mo)
        compiled = True
    if compiled:
        forget_loaded_catalogs()


def page(client, url, headers=None) -> str:
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.status
    return response.get_data(as_text=True)


def set_member_locale(app, user, locale):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(locale=locale))
        db.session.commit()


def test_chinese_browser_sees_home_and_log_in_pages_in_chinese(client):
    home = page(client, "/", CHINESE)
    assert '<html lang="zh-CN">' in home
    for text in ("首页", "登录", "注册", "加入社区", "新成员", "由 KPay 提供技术支持"):
        assert text in home
    assert "Join the community" not in home

    login = page(client, "/login", CHINESE)
    assert '<html lang="zh-CN">' in login
    for text in ("<title>登录 ·", "邮箱", "密码", "在这台设备上保持登录", "还没有账号？", "立即注册"):
        assert text in login


def test_english_browser_sees_english_on_a_chinese_site(make_app):
    client = make_app({"default_locale": "zh_CN"}).test_client()
    home = page(client, "/", ENGLISH)
    assert '<html lang="en">' in home
    assert "Join the community" in home
    login = page(client, "/login", ENGLISH)
    assert "Keep me logged in on this device" in login
    assert "登录" not in login


def test_form_library_messages_follow_each_requests_language(client):
    """WTForms' own messages come in the page's language, request after request (the catalog
    is read once per language, not once per request)."""
    for headers, wanted, other in ((CHINESE, "该字段是必填字段。", "This field is required."),
                                   (ENGLISH, "This field is required.", "该字段是必填字段。"),
                                   (CHINESE, "该字段是必填字段。", "This field is required.")):
        token = csrf_token(client.get("/signup", headers=headers))
        answer = client.post("/signup", data={"email": "", "csrf_token": token}, headers=headers).get_data(as_text=True)
        assert wanted in answer and other not in answer


def test_site_default_language_when_the_browser_says_nothing(make_app):
    client = make_app({"default_locale": "zh_CN"}).test_client()
    home = page(client, "/")
    assert '<html lang="zh-CN">' in home
    assert "加入社区" in home
    assert "登录" in page(client, "/login")


@pytest.mark.parametrize(
    ("accept_language", "html_lang"),
    [
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-SG", "zh-CN"),
        # Traditional Chinese readers get the Chinese we have, not the site's English.
        ("zh-TW,en;q=0.5", "zh-CN"),
        ("zh-HK", "zh-CN"),
        # The browser's order counts, not how closely a tag matches.
        ("en-US,zh-CN;q=0.9", "en"),
        ("fr,zh-CN;q=0.8,en;q=0.5", "zh-CN"),
        ("en;q=0,zh-CN", "zh-CN"),
        # Nothing the site speaks: the site default (English here).
        ("fr,de;q=0.8", "en"),
        ("*", "en"),
    ],
)
def test_browser_languages_pick_the_page_language(client, accept_language, html_lang):
    home = page(client, "/", {"Accept-Language": accept_language})
    assert f'<html lang="{html_lang}">' in home


def test_member_language_setting_beats_the_browser(client, app, auth, make_user):
    member = make_user(name="小明")
    set_member_locale(app, member, "zh_CN")
    auth.login(member.email)
    home = page(client, "/", ENGLISH)
    assert '<html lang="zh-CN">' in home
    assert "欢迎回来，小明" in home


def test_member_who_chose_english_reads_english_in_a_chinese_browser(client, app, auth, make_user):
    member = make_user(name="Ming")
    set_member_locale(app, member, "en")
    auth.login(member.email)
    assert "Welcome back, Ming" in page(client, "/", CHINESE)


def test_footer_form_switches_a_visitor_to_chinese(client):
    home = client.get("/", headers=ENGLISH)
    assert "Join the community" in home.get_data(as_text=True)
    response = client.post(
        "/language",
        data={"locale": "zh_CN", "next": "/login", "csrf_token": csrf_token(home)},
        headers=ENGLISH,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    login = page(client, "/login", ENGLISH)
    assert '<html lang="zh-CN">' in login
    assert "<title>登录 ·" in login
    assert '<option value="zh_CN" selected>' in login


def test_language_chosen_before_logging_in_stays_after(client, auth, make_user):
    member = make_user()
    token = csrf_token(client.get("/"))
    client.post("/language", data={"locale": "zh_CN", "csrf_token": token})
    auth.login(member.email)
    assert "欢迎回来" in page(client, "/", ENGLISH)


def test_sign_up_mistakes_are_explained_in_chinese(client):
    token = csrf_token(client.get("/signup", headers=CHINESE))
    response = client.post(
        "/signup",
        data={"email": "not-an-address", "display_name": "", "password": "short", "csrf_token": token},
        headers=CHINESE,
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    # WTForms' own validator messages, from its bundled Chinese catalog.
    assert "该字段是必填字段。" in text
    assert "无效的 Email 地址。" in text
    assert "字段长度必须介于 10 到 128 个字符之间。" in text
    # KPay's own help text.
    assert "至少 10 个字符。" in text


def test_taken_e_mail_address_page_speaks_chinese(client, make_user):
    member = make_user()
    token = csrf_token(client.get("/signup"))
    response = client.post(
        "/signup",
        data={"email": member.email, "display_name": "小红", "password": "长长的一句中文密码口令", "csrf_token": token},
        headers=CHINESE,
    )
    assert response.status_code == 200
    assert "该邮箱已有账号：我们已向它发送了一封邮件。" in response.get_data(as_text=True)


def test_wrong_password_is_explained_in_chinese(client, auth, make_user):
    member = make_user()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"email": member.email, "password": "wrong password!", "csrf_token": token},
        headers=CHINESE,
    )
    assert "邮箱或密码错误，或账号已停用。" in response.get_data(as_text=True)


def test_visitor_sent_to_log_in_is_told_why_in_chinese(client):
    response = client.get("/admin/", headers=CHINESE)
    assert response.status_code == 302
    assert "请登录后访问此页面。" in page(client, response.headers["Location"], CHINESE)


def test_missing_page_says_so_in_chinese(client):
    response = client.get("/no-such-page", headers=CHINESE)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "页面不存在" in text
    assert "返回首页" in text


NOON_UTC = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock_app(make_app):
    """A client of an app (site time zone UTC) with a page that shows noon UTC as HH:mm."""
    app = make_app({"timezone": "UTC"})
    app.add_url_rule("/test-clock", "test_clock", lambda: format_time(NOON_UTC, "HH:mm"))
    return app


@pytest.mark.parametrize(
    ("member_zone", "shown"),
    [("Asia/Shanghai", "20:00"), (None, "12:00"), ("Mars/Olympus_Mons", "12:00")],
)
def test_times_are_shown_in_the_member_time_zone_else_the_site(clock_app, member_zone, shown):
    app = clock_app
    client = app.test_client()
    assert page(client, "/test-clock") == "12:00"
    with app.app_context():
        member = User(email="zone@example.com", display_name="Zone", timezone=member_zone)
        member.set_password("correct horse battery")
        db.session.add(member)
        db.session.commit()
    token = csrf_token(client.get("/login"))
    client.post("/login", data={"email": "zone@example.com", "password": "correct horse battery", "csrf_token": token})
    assert page(client, "/test-clock") == shown


@pytest.mark.parametrize(
    ("zone", "language", "hour"),
    [("Asia/Shanghai", "en", "8:00"), ("America/New_York", "en", "7:00"), ("Asia/Shanghai", "zh_CN", "20:00"),
     ("UTC", "zh_CN", "12:00")],
)
def test_list_rows_short_date_time_reads_as_babel_writes_it_in_the_site_zone(make_app, zone, language, hour):
    """Lists show ``|datetimeformat("short")`` per row from cached days and minutes; the words
    are Babel's own, in the site's zone and the page's language, for aware and naive times."""
    app = make_app({"timezone": zone, "default_locale": language})
    with app.test_request_context("/"):
        for moment in (NOON_UTC, NOON_UTC.replace(tzinfo=None), NOON_UTC.replace(second=59, microsecond=7)):
            shown = render_template_string('{{ at|datetimeformat("short") }}', at=moment)
            assert shown == format_datetime(moment, "short") and hour in shown


def test_text_made_outside_a_request_uses_the_site_language(make_app):
    """Jobs render e-mails with an app context only; they get the site default, no crash."""
    app = make_app({"default_locale": "zh_CN"})
    with app.app_context():
        assert gettext("Log in") == "登录"


def test_plugin_ships_its_own_chinese_catalog(make_app, tmp_path):
    """A third-party plugin merges its catalog into the core's; its templates' ``_()`` find it."""
    folder = tmp_path / "translations"
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Hello from a plugin", "插件向你问好")
    (folder / "zh_Hans_CN" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").open("wb") as target:
        write_mo(target, catalog)

    class GreetingPlugin:
        @hookimpl
        def kpay_init_app(self, app):
            add_translations(app, folder)
            app.add_url_rule(
                "/greeting", "greeting",
                lambda: render_template_string("{{ _('Hello from a plugin') }} / {{ _('Log in') }}"),
            )

    client = make_app(plugins=[GreetingPlugin()]).test_client()
    try:
        assert page(client, "/greeting", CHINESE) == "插件向你问好 / 登录"
        assert page(client, "/greeting", ENGLISH) == "Hello from a plugin / Log in"
    finally:
        forget_loaded_catalogs()


def test_the_example_plugin_speaks_chinese_from_its_own_catalog(make_app, make_user):
    client = make_app({"plugins": {"enabled": ["hello"]}}).test_client()
    try:
        chinese = page(client, "/hello/", CHINESE)
        assert "<title>你好 ·" in chinese and "还没有问候。" in chinese and "登录" in chinese
        assert "No greetings yet." in page(client, "/hello/", ENGLISH)
    finally:
        forget_loaded_catalogs()


# -- every string marked for translation is translated ------------------------------------

PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def extraction_keywords() -> dict:
    """Babel's default keywords plus the Makefile's ``BABEL_KEYWORDS`` (what `make messages` uses)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^BABEL_KEYWORDS\s*:?=\s*(.+)$", makefile, re.MULTILINE)
    assert match, "Makefile has no BABEL_KEYWORDS line"
    return {**DEFAULT_KEYWORDS, **parse_keywords(match.group(1).split())}


def extracted_messages(root: Path = ROOT):
    """(where, msgid, plural, context) for every marked string the sources of ``root``'s babel.cfg hold."""
    with (root / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=extraction_keywords()
    ):
        msgid, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if msgid:
            yield f"{filename}:{lineno}", msgid, plural, context


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize(("root", "po"), [(ROOT, po) for po in CATALOGS] + [(HELLO, po) for po in HELLO_CATALOGS],
                         ids=[po.relative_to(ROOT).parts[0] + "-" + po.parent.parent.name for po in CATALOGS + HELLO_CATALOGS])
def test_every_marked_string_is_translated(root, po):
    with po.open("rb") as source:
        catalog = read_po(source)
    problems = []
    for where, msgid, plural, context in extracted_messages(root):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: {msgid!r} is not in the catalog (run `make messages`)")
            continue
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            problems.append(f"{where}: {msgid!r} is marked fuzzy; check and unmark it")
        elif not all(translations):
            problems.append(f"{where}: {msgid!r} has no translation")
        else:
            wanted = placeholders(msgid) | placeholders(plural or "")
            for text in translations:
                if placeholders(text) != wanted:
                    problems.append(f"{where}: {msgid!r} -> {text!r}: placeholders differ")
    assert not problems, f"{po.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_a_catalog_exists_for_every_language_but_the_source():
    """Folders carry Babel's full name (zh_Hans_CN for zh_CN), the only one Flask-Babel finds."""
    wanted = {str(Locale.parse(code)) for code in LOCALES if code != "en"}
    assert {po.parent.parent.name for po in CATALOGS} == wanted


def test_chinese_catalogue_addresses_the_reader_as_nin_throughout():
    """One form of address: the polite 您, never 你 (in any translation, plural forms too)."""
    for po in CATALOGS:
        if not po.parent.parent.name.startswith("zh"):
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        informal = [
            message.id for message in catalog if message.id
            for text in (message.string if isinstance(message.string, tuple) else (message.string,))
            if "你" in (text or "")
        ]
        assert informal == [], f"{po}: use 您 in {informal[:5]}"
