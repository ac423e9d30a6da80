"""The widget slots: where pages show plugins' widgets, and what each slot passes them.

A page places a slot with ``{{ widget_slot("course.side", {"course": course}) }}`` (from
``_macros.html``); every plugin's ``kpay_widgets(slot=, context=, user=)`` is asked for widgets
to show there. The list below is the reference: docs/hooks.md is generated from it and a test
renders every slot and checks that the templates place exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """A named place for widgets: the page it is on and the context it passes."""

    name: str
    page: str
    context: tuple[str, ...] = ()


SLOTS = (
    Slot("home.main", "the home page's main column"),
    Slot("home.sidebar", "the home page's side column"),
    Slot("learning.main", "My learning (/me/learning and its part of the home page)"),
    Slot("profile.main", "a member's public profile, under the bio", ("member",)),
    Slot("course.side", "a course's page, under its syllabus", ("course",)),
    Slot("lesson.side", "a lesson's page, under the syllabus (also when the lesson is locked)", ("course", "lesson")),
    Slot("lesson.source", "an open lesson made of another plugin's content, in its place (see "
                          "`kpay_lesson_sources`)", ("course", "lesson", "source")),
    Slot("circle.side", "a circle's topic list, beside the topics", ("circle",)),
    Slot("topic.end", "a topic's page, under its posts", ("circle", "topic")),
    Slot("product.end", "a product's page in the shop, under its card", ("product",)),
    Slot("lecture.side", "a live lecture's page, in its side column", ("lecture",)),
    Slot("signup.form", "the sign-up form, before its button (fields; see below)"),
    Slot("checkout.form", "a product's checkout form, before its button (fields; see below)", ("product",)),
    Slot("studio.main", "the creator studio's first page (products)"),
    Slot("admin.overview", "the admin console's overview, under the figures"),
    Slot("privacy.main", "a member's privacy page, under data export and account deletion"),
)


def render_docs() -> list[str]:
    """The slots section of docs/hooks.md."""
    lines = [
        "", "## Widget slots", "",
        "Where `kpay_widgets(slot, context, user)` is asked. `context` holds the objects the page",
        "passes (models: read them, never change them); the widget's template sees them as",
        "`context` beside `widget`. Generated from `kpay/slots.py`.", "",
        "| slot | page | context |", "| --- | --- | --- |",
    ]
    for slot in SLOTS:
        names = ", ".join(f"`{name}`" for name in slot.context) or "-"
        lines.append(f"| `{slot.name}` | {slot.page} | {names} |")
    lines += [
        "", "A slot whose name ends in `.form` sits inside a form: its widgets' templates are included",
        "bare (no card, no title) and add form fields, with names the plugin prefixes with its own",
        "(`referral_code`). The core form ignores them; the plugin reads them from `request.form` in",
        "its own handler (an event such as `user.signed_up`, which is emitted inside the request, or a",
        "`before_app_request` on the form's endpoint). Validate them there and ignore what is wrong.",
    ]
    return lines
