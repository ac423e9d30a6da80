"""Demo content: a free circle and a paid one (Teacher Chen's membership), in English and Chinese,
with a discussion, a solved question, a poll and a featured topic. Posts, likes, the accepted
answer and the poll's vote go through the functions real actions use, so their events are the
same (analytics and gamification see the demo as they see real activity)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.api import Product, User, add_to, db, utcnow
from plugins.forums import polls
from plugins.forums.models import Circle, Membership, Poll, PollOption, Post, Topic
from plugins.forums.posting import accept, announce, set_like

RULES = (
    "1. Be kind and specific. 友善、具体。\n"
    "2. Stay on topic; search before you ask. 不跑题，提问前先搜索。\n"
    "3. No ads or spam. 禁止广告与刷屏。"
)


def _people() -> dict[str, User]:
    emails = ("creator@example.com", "member@example.com", "learner@example.com", "moderator@example.com")
    return {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User).where(User.email.in_(emails)))}


def _topic(circle: Circle, author: User, title: str, posts: list[tuple[User, str]], kind: str = "discussion",
           tags: str = "", age_hours: int = 0) -> Topic:
    """A visible topic whose opening post is ``posts[0]``, with the rest as replies an hour apart,
    and their ``topic.created`` / ``reply.created`` events."""
    start = utcnow() - timedelta(hours=age_hours + len(posts))
    topic = Topic(circle_id=circle.id, author_id=author.id, title=title, kind=kind, tags=tags, post_count=len(posts),
                  reply_count=len(posts) - 1, created_at=start, bumped_at=start + timedelta(hours=len(posts) - 1))
    db.session.add(topic)
    db.session.flush()
    written = [Post(topic_id=topic.id, circle_id=circle.id, number=number, author_id=writer.id, body=body,
                    created_at=start + timedelta(hours=number - 1)) for number, (writer, body) in enumerate(posts, start=1)]
    db.session.add_all(written)
    add_to(circle, topic_count=1)
    db.session.flush()
    for post in written:  # the events real posting emits (analytics names the circles from them)
        announce(post, topic)
    return topic


def _join(circle: Circle, *members: User, moderator: User | None = None) -> None:
    for user in members:
        db.session.add(Membership(circle_id=circle.id, user_id=user.id, approved_posts=1,
                                  role="moderator" if user is moderator else "member"))
    circle.member_count = len(members)


def add_demo_circles() -> None:
    """Create the demo circles, unless the demo members are missing."""
    people = _people()
    if len(people) < 4:
        return
    chen, mei, leo = people["creator"], people["member"], people["learner"]
    product = db.session.scalar(sa.select(Product).where(Product.creator_id == chen.id, Product.kind == "membership").order_by(Product.id))
    design = Circle(
        name="Product design · 产品设计", creator_id=chen.id, visibility="public", rules=RULES,
        description="Talk about product thinking, prototypes and user research.\n\n聊聊产品思维、原型和用户研究。",
    )
    star = Circle(
        name="陈老师的知识星球 · Teacher Chen's Circle", creator_id=chen.id,
        visibility="paid" if product else "members", product_id=product.id if product else None, rules=RULES,
        description="Weekly Q&A with Teacher Chen, for members.\n\n陈老师每周答疑，会员专享。",
    )
    db.session.add_all([design, star])
    db.session.flush()
    _join(design, chen, mei, leo, moderator=chen)
    _join(star, chen, leo, moderator=chen)

    welcome = _topic(design, chen, "Welcome! Introduce yourself · 欢迎！来做个自我介绍", [
        (chen, "Tell us who you are and what you are building.\n\n说说你是谁、在做什么产品。"),
        (mei, "Hi, I'm Mei, a designer in Hangzhou. 大家好，我是小美，杭州的设计师。"),
        (leo, "Leo here, learning product management. 我是李奥，正在学习产品管理。"),
    ], kind="announcement", tags="welcome", age_hours=48)
    welcome.pinned = True
    welcome.featured_at = utcnow() - timedelta(hours=40)
    question = _topic(design, mei, "How do I write a good PRD? · 怎样写好一份 PRD？", [
        (mei, "My PRDs get long and nobody reads them. Any advice?\n\n我的需求文档越写越长，没人看，怎么办？"),
        (chen, "Start from the problem and the metric, keep one page, and link details.\n\n从问题和指标写起，一页纸，细节用链接。"),
        (leo, "A template with *Goals / Non-goals* helped me. 用“目标/非目标”模板很有帮助。"),
    ], kind="question", tags="prd,writing", age_hours=20)
    accept(question, db.session.scalar(sa.select(Post).where(Post.topic_id == question.id, Post.number == 2)), mei)
    vote = _topic(design, chen, "Which prototyping tool do you use? · 你用哪个原型工具？", [
        (chen, "Vote and tell us why. 投票并说说理由。"),
    ], kind="poll", tags="tools", age_hours=6)
    poll = Poll(topic_id=vote.id, multiple=False, results_after="vote")
    db.session.add(poll)
    db.session.flush()
    options = [PollOption(topic_id=vote.id, position=i, label=label)
               for i, label in enumerate(["Figma", "墨刀 Modao", "Paper · 纸笔"])]
    db.session.add_all(options)
    db.session.flush()
    db.session.refresh(poll, ["options"])
    polls.vote(mei, vote, poll, [options[0].id])
    weekly = _topic(star, chen, "Weekly Q&A #1: pricing your first course · 每周问答第一期：第一门课怎么定价", [
        (chen, "Ask anything about pricing. 关于定价，尽管问。"),
        (leo, "Should I start cheap and raise later? 先低价再涨价可以吗？"),
        (chen, "Yes, and tell early members they keep their price. 可以，并承诺早期会员价格不变。"),
    ], tags="pricing", age_hours=30)
    weekly.featured_at = utcnow() - timedelta(hours=10)
    for topic, liker in ((question, leo), (welcome, chen), (weekly, chen)):  # as the like button does
        set_like(liker, db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 2)), True)
