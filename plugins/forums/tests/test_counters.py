"""F16: concurrent replies keep every counter equal to a count of its rows (on PostgreSQL the
ORM's read-modify-write lost most of them)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from plugins.forums.models import Membership, Post, Topic
from plugins.forums.tests.conftest import count, scalar

WRITERS = 10
REPLIES_EACH = 10


def test_a_hundred_concurrent_replies_are_all_counted(app, forum, make_user, make_circle):
    chen = make_user(role="creator", name="Chen")
    circle = make_circle(chen)
    people = [make_user() for _ in range(WRITERS)]
    clients = [forum(person) for person in people]
    for client in clients:
        client.join(circle)
    topic = clients[0].start_topic(circle)
    start = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def write(client, n: int) -> None:
        start.wait()
        for i in range(REPLIES_EACH):
            statuses.append(client.reply(topic, body=f"Reply {i} from writer {n}").status_code)

    threads = [threading.Thread(target=write, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * (WRITERS * REPLIES_EACH)
    replies = count(app, Post, Post.topic_id == topic, Post.number > 1, Post.status == "visible")
    assert replies == WRITERS * REPLIES_EACH
    assert scalar(app, sa.select(Topic.reply_count).where(Topic.id == topic)) == replies
    assert scalar(app, sa.select(Topic.post_count).where(Topic.id == topic)) == replies + 1
    approved = scalar(app, sa.select(sa.func.sum(Membership.approved_posts)).where(Membership.circle_id == circle))
    assert approved == count(app, Post, Post.circle_id == circle, Post.status == "visible")
