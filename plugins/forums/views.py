"""The forums blueprint: circles, topics, replies, likes, polls, flags and moderation.

Every route resolves its circle and asks ``plugins.forums.access`` itself, partials included;
an outsider of a members-only or paid circle gets the circle's description and rules (403).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from kpay.api import (
    Product, User, access_notes, apply_cover, cover_from_form, db, emit, insert_once, keyed_by_member, limiter, query_int,
    record_audit, render, require, utcnow, wants_partial,
)
from plugins.forums import access, feed_html, lists, moderation, polls, post_html, posting
from plugins.forums.forms import CircleForm, EditForm, FlagForm, ReplyForm, TopicForm
from plugins.forums.models import Circle, Membership, Poll, Post, Topic

bp = Blueprint("forums", __name__, template_folder="templates", static_folder="static")


def _post_rate() -> str:
    return posting.settings()["post_rate_limit"]


# One budget for new topics and replies together, per member.
post_limit = limiter.shared_limit(_post_rate, scope="forums.post", methods=["POST"], key_func=keyed_by_member("forums.post"))


def _locked(circle: Circle):
    """The outsider's view of a circle: its description and rules, and how to join, with the
    other ways in that plugins grant (a level reached, say) (403)."""
    notes = access_notes(current_user, access.resource(circle)) if circle.visibility == "paid" else []
    return render("forums/locked.html", circle=circle, notes=notes, status=403)


def _readable_circle(circle_id: int):
    """(circle, membership, moderator?) when the current user may read it; else aborts with
    the circle's locked page. One statement (and ``can_access``'s for a paid circle)."""
    circle, member, _watching = access.circle_for(current_user, circle_id)
    return _checked(circle, member)


def _checked(circle: Circle, member: Membership | None):
    """(circle, membership, moderator?) when the current user may read the circle, else aborts."""
    if not access.can_see(current_user, circle):
        abort(_locked(circle))
    return circle, member, access.can_moderate(current_user, circle, member)


def _readable_topic(topic_id: int, found: lists.Reading | None = None):
    """(topic, membership, moderator?) for a topic the current user may read; else aborts
    (with the circle's locked page for an outsider)."""
    if found is None:
        topic = access.topic_or_404(topic_id)
        _circle, member, moderator = _readable_circle(topic.circle_id)
    else:
        topic = found.topic
        _circle, member, moderator = _checked(topic.circle, found.member)
    if not access.topic_visible_to(current_user, topic, moderator):
        abort(404)
    return topic, member, moderator


POST_ACTION_DONE = {
    "hide": _l("The post is hidden."), "restore": _l("The post is shown again."),
    "approve": _l("The post is approved and visible."),
}
TOPIC_ACTION_DONE = {
    "lock": _l("The topic is locked."), "unlock": _l("The topic is open for replies again."),
    "pin": _l("The topic is pinned."), "unpin": _l("The topic is no longer pinned."),
    "feature": _l("The topic is featured."), "unfeature": _l("The topic is no longer featured."),
    "move": _l("The topic was moved."),
}


def _back_to(topic: Topic, post: Post | None = None):
    number = post.number if post is not None else 0
    return redirect(url_for("forums.topic", topic_id=topic.id, after=max(number - 1, 0) or None,
                            _anchor=f"post-{number}" if number else None))


@bp.route("/")
def index():
    """The circle directory, with the member's own circles marked."""
    circles = lists.directory()
    mine = set()
    if current_user.is_authenticated:
        mine = set(db.session.scalars(sa.select(Membership.circle_id).where(
            Membership.user_id == current_user.id, Membership.active.is_(True))))
    return render("forums/index.html", partial="forums/_circles.html", circles=circles, mine=mine)


@bp.route("/new", methods=["GET", "POST"])
def new_circle():
    """Start a circle (creators and staff)."""
    require("forums.create_circle")
    return _circle_form(None)


@bp.route("/c/<int:circle_id>/edit", methods=["GET", "POST"])
def edit_circle(circle_id: int):
    """Change a circle's name, rules, visibility and product (its creator, or an admin: who
    may read a paid circle is not for the moderators to change)."""
    circle = access.circle_or_404(circle_id)
    access.require_login()
    if not (current_user.is_admin or circle.creator_id == current_user.id):
        abort(403)
    return _circle_form(circle)


def _circle_form(circle: Circle | None):
    form = CircleForm(obj=circle)
    owner_id = circle.creator_id if circle is not None else current_user.id
    query = sa.select(Product).where(Product.active.is_(True)).order_by(Product.name)
    if not current_user.is_admin:  # a creator's circle is sold through their own products
        query = query.where(Product.creator_id == owner_id)
    products = db.session.scalars(query).all()
    form.product_id.choices = [SelectChoice(0, "—")] + [SelectChoice(p.id, p.name) for p in products]
    cover = cover_from_form(form) if form.validate_on_submit() else None
    if form.errors or not form.is_submitted():
        return render("forums/circle_form.html", form=form, circle=circle, status=422 if form.is_submitted() else 200)
    values = {name: getattr(form, name).data for name in ("name", "description", "rules", "visibility", "approve_first_posts")}
    values["product_id"] = form.product_id.data or None
    if circle is None:
        circle = Circle(creator_id=current_user.id, member_count=1, **values)
        db.session.add(circle)
        db.session.flush()
        db.session.add(Membership(circle_id=circle.id, user_id=current_user.id, role="moderator"))
        record_audit("forums.circle_created", actor=current_user, target=circle, after={"name": circle.name})
    else:
        before = {k: getattr(circle, k) for k in values if getattr(circle, k) != values[k]}
        if "visibility" in before or "product_id" in before:  # every post's search visibility changes
            db.session.execute(sa.update(Topic).where(Topic.circle_id == circle.id).values(updated_at=utcnow()))
        for key, value in values.items():
            setattr(circle, key, value)
        record_audit("forums.circle_edited", actor=current_user, target=circle, before=before,
                     after={k: values[k] for k in before})
    apply_cover(circle, form, cover)
    db.session.commit()
    flash(_("The circle is saved."), "success")
    return redirect(url_for("forums.circle", circle_id=circle.id))


@bp.route("/c/<int:circle_id>")
def circle(circle_id: int):
    """A circle's topics: ``list`` latest, top (``period``), unanswered or featured, by keyset
    ``cursor``; a feed of openings with avatars, or with ``view=table`` a compact table."""
    user = current_user._get_current_object()  # once: the proxy costs µs a use
    circle, member, watching = access.circle_for(user, circle_id, watched=True)
    circle, member, moderator = _checked(circle, member)
    kind = request.args.get("list", "latest")
    kind = kind if kind in lists.LISTS else "latest"
    period = request.args.get("period", "all")
    period = period if period in lists.PERIODS else "all"
    cursor = request.args.get("cursor")
    feed = request.args.get("view") != "table"
    page = lists.topics([circle.id], kind, cursor, period, user=user,
                        with_pinned=kind == "latest" and not cursor, feed=feed)
    return render(
        "forums/circle.html", partial="forums/_topic_feed.html" if feed else "forums/_topic_page.html",
        circle=circle, member=member, moderator=moderator, feed=feed, openings=page.openings,
        kind=kind, period=period, listing=page, pinned=page.pinned, read=page.read, cursor=cursor, watching=watching,
        topics_html=feed_html.feed_html(page, circle.creator_id, user.is_authenticated) if feed else None,
    )


@bp.route("/c/<int:circle_id>/rules")
def rules(circle_id: int):
    """The circle's rules (open to everyone: an outsider reads them before joining)."""
    circle = access.circle_or_404(circle_id)
    return render("forums/rules.html", circle=circle, member=access.membership(current_user, circle))


@bp.route("/c/<int:circle_id>/join", methods=["POST"])
def join(circle_id: int):
    """Join the circle, then read its rules; a paid circle without access goes to its checkout."""
    circle = access.circle_or_404(circle_id)
    access.require_login()
    if not access.can_see(current_user, circle):
        if circle.visibility == "paid" and circle.product_id:
            return redirect(url_for("commerce.product", product_id=circle.product_id))
        abort(403)
    # A double click joins once: a unique row, or a conditional update of a left membership.
    joined = insert_once(Membership, ("circle_id", "user_id"), circle_id=circle.id, user_id=current_user.id,
                         joined_at=utcnow()) is not None or db.session.execute(
        sa.update(Membership).where(Membership.circle_id == circle.id, Membership.user_id == current_user.id,
                                    Membership.active.is_(False)).values(active=True, joined_at=utcnow())).rowcount
    if not joined:
        return redirect(url_for("forums.circle", circle_id=circle.id))
    db.session.execute(sa.update(Circle).where(Circle.id == circle.id).values(member_count=Circle.member_count + 1))
    emit("circle.joined", user=current_user, subject=circle)
    db.session.commit()
    flash(_("Welcome to %(name)s. Please read the rules.", name=circle.name), "success")
    return redirect(url_for("forums.rules", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/leave", methods=["POST"])
def leave(circle_id: int):
    """Leave the circle (a ban stays on record)."""
    circle = access.circle_or_404(circle_id)
    access.require_login()
    left = db.session.execute(sa.update(Membership).where(
        Membership.circle_id == circle.id, Membership.user_id == current_user.id, Membership.active.is_(True)
    ).values(active=False, role="member")).rowcount
    if left:
        db.session.execute(sa.update(Circle).where(Circle.id == circle.id).values(member_count=Circle.member_count - 1))
        posting.unwatch(current_user.id, "circle", circle.id)
        db.session.commit()
        flash(_("You left %(name)s.", name=circle.name), "success")
    return redirect(url_for("forums.circle", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/watch", methods=["POST"])
def watch_circle(circle_id: int):
    """Watch the circle's new topics and replies, or stop."""
    access.require_login()
    circle, member, moderator = _readable_circle(circle_id)
    now = _toggle_watch("circle", circle.id)
    if wants_partial():
        return render("forums/_watch.html", target="circle", target_id=circle.id, watching=now)
    return redirect(url_for("forums.circle", circle_id=circle.id))


def _toggle_watch(target: str, target_id: int) -> bool:
    watching = posting.watching(current_user, target, target_id)
    (posting.unwatch if watching else posting.watch)(current_user.id, target, target_id)
    db.session.commit()
    return not watching


@bp.route("/c/<int:circle_id>/members")
def members(circle_id: int):
    """The circle's member list; moderators also see bans and can change roles."""
    circle, member, moderator = _readable_circle(circle_id)
    query = sa.select(Membership).where(Membership.circle_id == circle.id)
    if not moderator:
        query = query.where(Membership.active.is_(True), Membership.banned.is_(False))
    rows = db.session.scalars(query.order_by(Membership.role.desc(), Membership.id).limit(500)).unique().all()
    return render("forums/members.html", circle=circle, rows=rows, moderator=moderator, member=member)


@bp.route("/c/<int:circle_id>/members/<int:user_id>", methods=["POST"])
def member_action(circle_id: int, user_id: int):
    """Moderators: ``action`` ban, unban, promote (to moderator) or demote a member."""
    circle = access.circle_or_404(circle_id)
    access.require_moderator(circle)
    action = request.form.get("action", "")
    user = db.session.get(User, user_id)
    if user is None or action not in ("ban", "unban", "promote", "demote"):
        abort(400)
    if action in ("ban", "unban"):
        if user.id == current_user.id or user.id == circle.creator_id:
            abort(400)
        moderation.set_ban(current_user, circle, user.id, action == "ban")
    else:
        target = db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id, Membership.user_id == user.id))
        if target is None or not target.active:
            abort(400)
        moderation.set_role(current_user, target, "moderator" if action == "promote" else "member")
    db.session.commit()
    return redirect(url_for("forums.members", circle_id=circle.id))


@bp.route("/c/<int:circle_id>/new", methods=["GET", "POST"])
@post_limit
def new_topic(circle_id: int):
    """Start a topic in the circle (members who may post; announcements by moderators)."""
    access.require_login()
    circle, member, moderator = _readable_circle(circle_id)
    if not access.can_post(current_user, circle, member):
        abort(403)
    form = TopicForm()
    if not moderator:
        form.kind.choices = [c for c in form.kind.choices if c.value != "announcement"]
    if not form.validate_on_submit():
        return render("forums/topic_form.html", form=form, circle=circle, status=422 if form.is_submitted() else 200)
    topic = posting.start_topic(current_user, circle, member, moderator, title=form.title.data, body=form.body.data,
                                kind=form.kind.data, tags=form.tag_list(), poll=form.poll())
    db.session.commit()
    if topic.status == "pending":
        flash(_("Thanks! A moderator will review your topic before others see it."), "success")
    return redirect(url_for("forums.topic", topic_id=topic.id))


@bp.route("/t/<int:topic_id>")
def topic(topic_id: int):
    """A topic and its posts from ``after`` (a post number), 30 at a time; htmx gets the next posts only."""
    user = current_user._get_current_object()  # once: the proxy costs µs a use
    found = lists.reading(topic_id, user)
    if found is None:
        abort(404)
    topic, member, moderator = _readable_topic(topic_id, found)
    after = query_int("after", 0)
    lists.posts_for(found, user, after)
    page = found.page
    can_post = access.can_post(user, topic.circle, member)
    context = {
        "topic": topic, "circle": topic.circle, "member": member, "moderator": moderator, "listing": page, "after": after,
        "can_post": can_post, "last_read": found.last_read,
        "posts_html": post_html.posts_html(found, user, moderator, can_post),
    }
    if wants_partial() and after:
        response = render("forums/_posts.html", **context)
    else:
        accepted = None
        if topic.accepted_post_id and all(p.id != topic.accepted_post_id for p in page.rows):
            # Shown under the question only when it is not among this page's posts already.
            accepted = db.session.get(Post, topic.accepted_post_id)
        response = render(
            "forums/topic.html", accepted=accepted, poll_context=_poll_context(topic),
            # The reply form under the last page only (WTForms costs ~0.1 ms to make one); a link elsewhere.
            form=ReplyForm() if can_post and (not topic.locked or moderator) and not page.next_cursor else None,
            watching=found.watching, move_to=access.moderated_circles(user) if moderator else [], **context,
        )
    return response


@bp.route("/t/<int:topic_id>/read", methods=["POST"])
def mark_read(topic_id: int):
    """Move the member's read marker to post ``number`` (never back). The last post shown posts
    it when it comes into view (htmx), or its "Mark read" button does; a GET never writes."""
    access.require_login()
    topic, member, moderator = _readable_topic(topic_id)
    number = min(request.form.get("number", 0, type=int), topic.post_count)
    lists.mark_read(current_user, topic.id, number)
    db.session.commit()
    if wants_partial():
        return "", 204
    return redirect(url_for("forums.topic", topic_id=topic.id, after=max(number - 30, 0) or None, _anchor=f"post-{number}"))


def _poll_context(topic: Topic) -> dict | None:
    if topic.kind != "poll":
        return None
    poll = db.session.get(Poll, topic.id)
    if poll is None:
        return None
    ballot = polls.ballot(current_user, poll)
    return {"poll": poll, "ballot": ballot, "closed": polls.is_closed(poll),
            "results": polls.shows_results(poll, ballot is not None), "topic": topic}


@bp.route("/t/<int:topic_id>/poll")
def poll(topic_id: int):
    """The poll's ballot or results (partial; a page of its own without htmx)."""
    topic, member, moderator = _readable_topic(topic_id)
    context = _poll_context(topic)
    if context is None:
        abort(404)
    return render("forums/poll.html", partial="forums/_poll.html", poll_context=context, topic=topic,
                  can_post=access.can_post(current_user, topic.circle, member))


@bp.route("/t/<int:topic_id>/vote", methods=["POST"])
def vote(topic_id: int):
    """Cast the member's one ballot in the poll."""
    access.require_login()
    topic, member, moderator = _readable_topic(topic_id)
    if not access.can_post(current_user, topic.circle, member):
        abort(403)
    context = _poll_context(topic)
    if context is None:
        abort(404)
    if context["closed"]:
        flash(_("This poll is closed."), "error")
    else:
        try:
            if not polls.vote(current_user, topic, context["poll"], request.form.getlist("option", type=int)):
                flash(_("You have already voted in this poll."), "error")
        except ValueError:
            flash(_("Choose one of the answers."), "error")
        db.session.commit()
    if wants_partial():
        return poll(topic_id)
    return redirect(url_for("forums.topic", topic_id=topic.id, _anchor="poll"))


@bp.route("/t/<int:topic_id>/watch", methods=["POST"])
def watch_topic(topic_id: int):
    """Watch the topic's new replies, or stop."""
    access.require_login()
    topic, member, moderator = _readable_topic(topic_id)
    now = _toggle_watch("topic", topic.id)
    if wants_partial():
        return render("forums/_watch.html", target="topic", target_id=topic.id, watching=now)
    return redirect(url_for("forums.topic", topic_id=topic.id))


@bp.route("/t/<int:topic_id>/reply", methods=["GET", "POST"])
@post_limit
def reply(topic_id: int):
    """Reply to the topic; ``quote`` (a post id) starts the reply with that post quoted."""
    access.require_login()
    topic, member, moderator = _readable_topic(topic_id)
    if not access.can_post(current_user, topic.circle, member):
        abort(403)
    form = ReplyForm()
    quote = _quotable(topic, request.values.get("quote") or form.quote_of.data, moderator)
    if topic.locked and not moderator:
        form.body.errors = [_("This topic is locked: it takes no new replies.")]
        return render("forums/reply_form.html", form=form, topic=topic, quote=quote, status=409 if request.method == "POST" else 200)
    if request.method == "GET" and quote is not None:
        form.quote_of.data = quote.id
        form.body.data = "\n".join(f"> {line}" for line in quote.body.splitlines()) + "\n\n"
    if not form.validate_on_submit():
        return render("forums/reply_form.html", form=form, topic=topic, quote=quote, status=422 if form.is_submitted() else 200)
    post = posting.reply(current_user, topic, member, moderator, form.body.data, quote)
    db.session.commit()
    if post.status == "pending":
        flash(_("Thanks! A moderator will review your reply before others see it."), "success")
    return _back_to(topic, post)


def _quotable(topic: Topic, post_id, moderator: bool) -> Post | None:
    try:
        post = db.session.get(Post, int(post_id)) if post_id else None
    except (TypeError, ValueError):
        return None
    if post is None or post.topic_id != topic.id or not access.can_read_post(current_user, post, moderator):
        return None
    return post


def _readable_post(post_id: int):
    """(post, topic, membership, moderator?) for a post the current user may read; else aborts."""
    post = access.post_or_404(post_id)
    topic, member, moderator = _readable_topic(post.topic_id)
    if not access.can_read_post(current_user, post, moderator):
        abort(404)
    return post, topic, member, moderator


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    """Edit a post (its author while they may post, or a moderator, which is audited)."""
    access.require_login()
    post, topic, member, moderator = _readable_post(post_id)
    own = post.author_id == current_user.id and access.can_post(current_user, topic.circle, member)
    if not (own or moderator) or post.status == "deleted":
        abort(403)
    form = EditForm(obj=post)
    if request.method == "GET" and post.number == 1:
        form.title.data = topic.title
    if not form.validate_on_submit():
        return render("forums/edit_form.html", form=form, post=post, topic=topic, status=422 if form.is_submitted() else 200)
    before = {"body": post.body, "title": topic.title}
    posting.edit(post, form.body.data, form.title.data if post.number == 1 and form.title.data else None)
    if not own:
        record_audit("forums.post_edit", actor=current_user, target=post, before=before,
                     after={"body": post.body, "title": topic.title})
    db.session.commit()
    return _back_to(topic, post)


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
def delete_post(post_id: int):
    """The author deletes their own post (soft: it keeps its place, without its text)."""
    access.require_login()
    post, topic, member, moderator = _readable_post(post_id)
    if post.author_id != current_user.id:
        abort(403)
    if post.status != "deleted":
        posting.set_status(post, "deleted")
        db.session.commit()
        flash(_("Your post is deleted."), "success")
    if post.number == 1:
        return redirect(url_for("forums.circle", circle_id=topic.circle_id))
    return _back_to(topic, post)


@bp.route("/p/<int:post_id>/like", methods=["POST"])
def like(post_id: int):
    """Like a post (``like=1``) or take the like back (``like=0``); htmx swaps the button,
    others go back to the post."""
    access.require_login()
    post, topic, member, moderator = _readable_post(post_id)
    if post.status != "visible" or post.author_id == current_user.id:
        abort(403)
    liked = request.form.get("like") == "1"
    posting.set_like(current_user, post, liked)
    db.session.commit()
    if wants_partial():
        return render("forums/_like.html", post=post, liked=liked, own=False)
    return _back_to(topic, post)


@bp.route("/p/<int:post_id>/accept", methods=["POST"])
def accept(post_id: int):
    """The asker or a moderator accepts a reply as the question's answer."""
    access.require_login()
    post, topic, member, moderator = _readable_post(post_id)
    if topic.kind != "question" or post.number == 1 or post.status != "visible":
        abort(400)
    if not (moderator or (topic.author_id == current_user.id and access.can_post(current_user, topic.circle, member))):
        abort(403)
    posting.accept(topic, post, current_user)
    db.session.commit()
    flash(_("Answer accepted: it now shows under the question."), "success")
    # The first page: the question, with the accepted answer under it.
    return redirect(url_for("forums.topic", topic_id=topic.id, _anchor="accepted"))


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
def flag(post_id: int):
    """Flag a post for the circle's moderators, with a reason."""
    access.require_login()
    post, topic, member, moderator = _readable_post(post_id)
    if post.status != "visible":
        abort(404)
    form = FlagForm()
    if not form.validate_on_submit():
        return render("forums/flag_form.html", form=form, post=post, topic=topic, status=422 if form.is_submitted() else 200)
    if moderation.flag(current_user, post, form.text()):
        flash(_("Thanks. The moderators will look at this post."), "success")
    else:
        flash(_("You have already flagged this post."), "error")
    db.session.commit()
    return _back_to(topic, post)


@bp.route("/p/<int:post_id>/moderate", methods=["POST"])
def moderate_post(post_id: int):
    """Moderators: ``action`` hide, restore or approve a post."""
    post = access.post_or_404(post_id)
    topic = post.topic
    access.require_moderator(topic.circle)
    action = request.form.get("action", "")
    if action not in moderation.POST_ACTIONS or post.status == "deleted":
        abort(400)
    moderation.act_on_post(current_user, post, action)
    db.session.commit()
    flash(str(POST_ACTION_DONE[action]), "success")
    return redirect(request.form.get("next") if request.form.get("next") == url_for("forums.queue", circle_id=topic.circle_id)
                    else url_for("forums.topic", topic_id=topic.id, after=max(post.number - 1, 0) or None))


@bp.route("/t/<int:topic_id>/moderate", methods=["POST"])
def moderate_topic(topic_id: int):
    """Moderators: ``action`` lock, unlock, pin, unpin, feature, unfeature, or ``move`` to ``circle_id``."""
    topic = access.topic_or_404(topic_id)
    access.require_moderator(topic.circle)
    action = request.form.get("action", "")
    if action == "move":
        target = db.session.get(Circle, request.form.get("circle_id", type=int) or 0)
        if target is None or not access.can_moderate(current_user, target):
            abort(400)
        moderation.move(current_user, topic, target)
    elif action in moderation.TOPIC_ACTIONS:
        moderation.act_on_topic(current_user, topic, action)
    else:
        abort(400)
    db.session.commit()
    flash(str(TOPIC_ACTION_DONE[action]), "success")
    return redirect(url_for("forums.topic", topic_id=topic.id))


@bp.route("/c/<int:circle_id>/queue")
def queue(circle_id: int):
    """The circle's moderation queue: held posts and flagged ones."""
    circle = access.circle_or_404(circle_id)
    access.require_moderator(circle)
    return _queue_page([circle.id], circle)


@bp.route("/queue")
def site_queue():
    """Every circle's moderation queue, for site-wide forum moderators."""
    require("forums.moderate")
    return _queue_page([c.id for c in lists.all_circles() if access.can_see(current_user, c)], None)


def _queue_page(circle_ids, circle):
    posts = moderation.queue(circle_ids)
    return render("forums/queue.html", posts=posts, circle=circle, flags=moderation.open_flags([p.id for p in posts]))


@bp.route("/widgets/queue")
def queue_widget():
    """"Moderation queue" on the admin overview: how many posts wait, with the link."""
    require("forums.moderate")
    waiting = len(moderation.queue([c.id for c in lists.all_circles() if access.can_see(current_user, c)]))
    return render("forums/queue_widget.html", partial="forums/_queue_widget.html", waiting=waiting)


@bp.route("/widgets/active")
def active_widget():
    """"Active discussions": the latest topics of the circles the visitor may read."""
    readable = [c.id for c in lists.all_circles() if access.can_see(current_user, c)]
    rows = lists.topics(readable, "latest", limit=5).rows if readable else []
    return render("forums/widget_page.html", partial="forums/_widget_topics.html", rows=rows,
                  widget_id="forums-active", title=_("Active discussions"))


@bp.route("/widgets/mine")
def my_circles_widget():
    """"My circles" in My learning: the member's circles with their unread topics."""
    access.require_login()
    return render("forums/my_circles.html", partial="forums/_my_circles.html",
                  rows=lists.my_circles(current_user))


@bp.route("/widgets/unanswered")
def unanswered_widget():
    """"Unanswered questions" in the circles the member moderates or created (for creators)."""
    access.require_login()
    circles = [c.id for c in access.moderated_circles(current_user)]
    rows = lists.topics(circles, "unanswered", limit=5).rows if circles else []
    return render("forums/widget_page.html", partial="forums/_widget_topics.html", rows=rows,
                  widget_id="forums-unanswered", title=_("Unanswered questions"))
