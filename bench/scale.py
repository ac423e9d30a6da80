"""A community at scale, written straight into an empty, migrated database in bulk.

``seed(target, "large")`` fills the database of ``target`` (a KPay app or a SQLAlchemy engine)
with 100,000 members, 50 circles (one of 20,000 topics), 50,000 topics and 550,000 posts (one
topic of 2,000 replies), 200 courses of 20 lessons, 100,000 enrolments, 60,000 paid orders
(50,000 of them for one creator) with their payments, entitlements and ledger, 200,000
notifications, and likes, read markers, watches, reviews, refunds, coupons and payouts, with
the skew of a real community: a few huge circles and topics, many small ones. ``"medium"`` is
a twentieth of it, ``"small"`` a two-hundredth (for tests). Rows are consistent with the models
and the ledger: counters match their rows, every ledger transaction sums to zero, and refunds
and payouts never take more than was there.

PostgreSQL is written with COPY, SQLite with executemany, in one transaction. Build the schema
first through the real migrations (``kpay db upgrade``); from the command line this does both::

    python bench/scale.py --scale large --database-url postgresql://postgres@127.0.0.1/kpay_large

The first six members are the demo's (``member@example.com`` ... with the demo password), so
benchmarks log in as they do on the demo; ``creator@example.com`` is the creator with most sales.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kpay.demo import DEMO_MEMBERS, DEMO_PASSWORD  # noqa: E402 (log-ins work as on the demo)
from kpay.postgres import mark_written  # noqa: E402

TOP_CREATOR = 4  # creator@example.com's id
MEMBER = 5  # member@example.com's id
FEE_PERCENT = 10  # the default platform_fee_percent
PROVIDERS = (("stripe", 6), ("manual", 3), ("sandbox", 1))  # name, weight
CURRENCY = "CNY"


@dataclass(frozen=True)
class Scale:
    """How much of everything to make."""

    members: int
    creators: int
    circles: int
    big_circle_topics: int
    topics: int
    posts: int
    long_topic_replies: int
    memberships: int
    courses: int
    lessons_per_course: int
    top_creator_courses: int
    enrolments: int
    top_creator_orders: int
    other_orders: int
    unpaid_orders: int
    notifications: int
    likes: int
    read_markers: int
    watches: int
    reviews: int
    coupons: int
    refund_percent: int = 2
    months: int = 12

    def fraction(self, divisor: int, **exact) -> Scale:
        """This scale divided by ``divisor`` (at least one of each), with ``exact`` values."""
        counts = {name: max(1, getattr(self, name) // divisor) for name in self.__dataclass_fields__
                  if name not in ("refund_percent", "months", "lessons_per_course")}
        return replace(self, **{**counts, **exact})


LARGE = Scale(
    members=100_000, creators=50, circles=50, big_circle_topics=20_000, topics=50_000, posts=550_000,
    long_topic_replies=2_000, memberships=100_000, courses=200, lessons_per_course=20, top_creator_courses=10,
    enrolments=100_000, top_creator_orders=50_000, other_orders=10_000, unpaid_orders=2_000,
    notifications=200_000, likes=150_000, read_markers=100_000, watches=20_000, reviews=10_000, coupons=50,
)
SCALES = {
    "large": LARGE,
    "medium": LARGE.fraction(20, circles=10, creators=10, top_creator_courses=4),
    "small": LARGE.fraction(200, circles=5, creators=5, courses=4, top_creator_courses=2, long_topic_replies=60),
}

WORDS_EN = ("prototype", "pricing", "launch", "feedback", "lesson", "cohort", "newsletter", "audience", "workflow",
            "design", "question", "habit", "writing", "video", "community", "idea", "review", "template")
WORDS_ZH = ("原型", "定价", "发布", "反馈", "课程", "社群", "写作", "视频", "习惯", "设计", "问题", "模板", "读者", "工作流")


def seed(target, scale: str | Scale = "medium", *, rng_seed: int = 2026, log=None) -> dict:
    """Fill the empty, migrated database of ``target`` (a KPay app or an engine) at ``scale``.

    Returns what benchmarks and tests look for: ``top_creator_id``, ``member_id``, ``password``,
    ``big_circle_id``, ``long_topic_id``, ``course_id``, ``lesson_id``, ``product_id``,
    ``statement_month`` (the last whole month, ``YYYY-MM``) and ``counts`` (rows per table).
    Raises ``ValueError`` when the database has members already.
    """
    engine = _engine(target)
    size = SCALES[scale] if isinstance(scale, str) else scale
    rows = _Community(size, random.Random(rng_seed), datetime.now(UTC).replace(tzinfo=None)).build()
    with engine.begin() as connection:
        if connection.execute(sa.text("SELECT count(*) FROM users")).scalar():
            raise ValueError("bench.scale.seed fills an empty database; this one has members")
        writer = _Writer(connection, log)
        for table, data in rows.tables.items():
            writer.write(table, data)
        writer.finish()
    return {**landmarks(), "counts": {table: len(data) for table, data in rows.tables.items()}}


def landmarks(now: datetime | None = None) -> dict:
    """What every seeded database has at the same ids, whatever its scale: the long topic in the
    big circle, the first course (paid, the demo member bought it) and its second lesson, the
    creator with most sales, the demo member, and the last whole month (for statements)."""
    last = (now or datetime.now(UTC)).replace(day=1) - timedelta(days=1)
    return {"big_circle_id": 1, "long_topic_id": 1, "course_id": 1, "lesson_id": 2, "product_id": 1,
            "member_id": MEMBER, "top_creator_id": TOP_CREATOR, "password": DEMO_PASSWORD,
            "statement_month": f"{last:%Y-%m}"}


def _engine(target) -> sa.Engine:
    if isinstance(target, sa.Engine):
        return target
    from kpay.extensions import db

    with target.app_context():
        return db.engine


def _stamp(moment: datetime) -> str:
    """A naive UTC time as both databases read it from text (SQLAlchemy's SQLite format)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Rows(list):
    """A table's rows as tuples, with the column names they fill."""

    def __init__(self, columns: str):
        super().__init__()
        self.columns = tuple(columns.split())


class _Community:
    """Makes every table's rows in memory, ids assigned, in an order foreign keys accept."""

    def __init__(self, size: Scale, rng: random.Random, now: datetime):
        self.size, self.rng, self.now = size, rng, now
        self.start = now - timedelta(days=30 * size.months + 30)
        self.tables: dict[str, _Rows] = {}

    def table(self, name: str, columns: str) -> _Rows:
        self.tables[name] = _Rows(columns)
        return self.tables[name]

    def when(self, after: datetime | None = None) -> datetime:
        """A random moment between ``after`` (default: the start) and now."""
        after = after or self.start
        return after + timedelta(seconds=self.rng.random() * (self.now - after).total_seconds())

    def skewed(self, count: int, total: int, power: float = 1.1) -> list[int]:
        """``total`` split over ``count`` buckets by a Zipf-like law, each at least 1 (when it can)."""
        weights = [1 / (rank + 1) ** power for rank in range(count)]
        scale = max(total - count, 0) / sum(weights)
        parts = [1 + int(w * scale) for w in weights] if total >= count else [1] * total + [0] * (count - total)
        parts[0] += total - sum(parts)
        return parts

    def heavy(self, count: int, total: int, cap: int) -> list[int]:
        """``total`` split over ``count`` buckets in random order with a heavy tail (most get a
        few, some get hundreds), none more than ``cap``."""
        weights = [min(self.rng.paretovariate(1.3), 400.0) for _ in range(count)]
        scale = total / sum(weights)
        parts = [min(cap, int(w * scale)) for w in weights]
        short, at = total - sum(parts), 0
        while short > 0:  # hand what rounding and the cap left over to the buckets below it
            if parts[at % count] < cap:
                parts[at % count] += 1
                short -= 1
            at += 7919
        return parts

    def text(self, n: int, sentences: int) -> str:
        r = self.rng
        lines = []
        for s in range(sentences):
            en = " ".join(r.choice(WORDS_EN) for _ in range(r.randint(5, 12)))
            zh = "".join(r.choice(WORDS_ZH) for _ in range(r.randint(3, 8)))
            lines.append(f"{en.capitalize()} ({n}.{s}), {zh}。")
        if r.random() < 0.3:
            lines.append("\n- " + "\n- ".join(r.sample(WORDS_EN, 3)))
        if r.random() < 0.2:
            lines.insert(0, f"**{r.choice(WORDS_EN)}** · {r.choice(WORDS_ZH)}")
        return "\n\n".join(lines)

    def build(self) -> _Community:
        self.users()
        self.products_and_courses()
        self.circles()
        self.forum_activity()
        self.orders_and_ledger()
        self.learning()
        self.notifications()
        return self

    # -- members ------------------------------------------------------------------------------

    def users(self) -> None:
        from werkzeug.security import generate_password_hash

        size, r = self.size, self.rng
        demo_hash = generate_password_hash(DEMO_PASSWORD)
        locked = "scrypt:32768:8:1$unusable$" + "0" * 64  # no password opens these
        rows = self.table("users", "id email display_name password_hash role status locale session_version bio "
                                   "interests digest status_reason email_confirmed_at last_login_at created_at")
        self.creator_ids = [TOP_CREATOR] + list(range(len(DEMO_MEMBERS) + 1, len(DEMO_MEMBERS) + size.creators))
        creators = set(self.creator_ids)
        for uid in range(1, size.members + 1):
            joined = self.when()
            if uid <= len(DEMO_MEMBERS):
                email, name, role = DEMO_MEMBERS[uid - 1]
                password = demo_hash
            else:
                role = "creator" if uid in creators else ("moderator" if uid % 5000 == 0 else "member")
                email = f"m{uid}@scale.example"
                name = f"{r.choice(('Ann', 'Bo', 'Chen', 'Dana', 'Eli', '小雨', '王芳', '李想', 'Kai'))} {uid}"
                password = locked
            status = "active" if r.random() > 0.01 else r.choice(("disabled", "banned"))
            rows.append((uid, email, name, password, role, status if uid > len(DEMO_MEMBERS) else "active",
                         r.choice(("zh_Hans_CN", "en", None)), 1, "", "[]", "weekly", "", _stamp(joined),
                         _stamp(self.when(joined)), _stamp(joined)))
        self.user_ids = range(1, size.members + 1)

    # -- products, courses ----------------------------------------------------------------------

    def products_and_courses(self) -> None:
        size, r = self.size, self.rng
        products = self.table("products", "id creator_id name description kind period_days price_minor currency "
                                          "active created_at")
        courses = self.table("courses_courses", "id creator_id product_id title subtitle description tags level "
                                                "language status publish_at published_at certificates learner_count "
                                                "rating_count rating_sum created_at updated_at")
        chapters = self.table("courses_chapters", "id course_id title position")
        lessons = self.table("courses_lessons", "id course_id chapter_id title kind body minutes preview position "
                                                "updated_at media_progress")
        self.product_creator: dict[int, int] = {}
        self.product_price: dict[int, int] = {}
        self.course_product: dict[int, int | None] = {}
        self.course_lessons: dict[int, list[int]] = {}
        self.course_creator: dict[int, int] = {}
        lesson_id = chapter_id = 0
        # Paid courses go to the top creator first, then round the other creators.
        others = self.creator_ids[1:] or [TOP_CREATOR]
        for course_id in range(1, size.courses + 1):
            creator = TOP_CREATOR if course_id <= size.top_creator_courses else others[course_id % len(others)]
            made = self.start + timedelta(days=r.randint(0, 20))
            product_id = None
            if course_id <= size.top_creator_courses or course_id % 4:  # a quarter of the others are free
                product_id = len(products) + 1
                price = r.choice((990, 4900, 9900, 19900, 29900))
                products.append((product_id, creator, f"Course {course_id} · 课程 {course_id}", "", "one_time", None,
                                 price, CURRENCY, 1, _stamp(made)))
                self.product_creator[product_id], self.product_price[product_id] = creator, price
            self.course_product[course_id], self.course_creator[course_id] = product_id, creator
            courses.append((course_id, creator, product_id, f"Course {course_id}: {r.choice(WORDS_EN)} · {r.choice(WORDS_ZH)}",
                            "A course at scale", self.text(course_id, 3), ",".join(r.sample(WORDS_EN, 2)),
                            r.choice(("beginner", "intermediate", "advanced")), r.choice(("zh", "en")), "published",
                            _stamp(made), _stamp(made), 1, 0, 0, 0, _stamp(made), _stamp(made)))
            ids = []
            for c in range(4):
                chapter_id += 1
                chapters.append((chapter_id, course_id, f"Chapter {c + 1} · 第{c + 1}章", c))
                for position in range(size.lessons_per_course // 4 * c, size.lessons_per_course // 4 * (c + 1)):
                    lesson_id += 1
                    ids.append(lesson_id)
                    lessons.append((lesson_id, course_id, chapter_id, f"Lesson {position + 1} · 第{position + 1}课",
                                    "text", self.text(lesson_id, 6), r.randint(3, 25), int(position == 0), position,
                                    _stamp(made), 0))
            self.course_lessons[course_id] = ids
        # Membership products for the paid circles: the top creator's first.
        self.membership_products = []
        for creator in self.creator_ids[: max(1, size.circles // 10)]:
            product_id = len(products) + 1
            price = r.choice((1990, 9900))
            products.append((product_id, creator, f"Circle membership {product_id} · 会员", "", "membership", 365,
                             price, CURRENCY, 1, _stamp(self.start)))
            self.product_creator[product_id], self.product_price[product_id] = creator, price
            self.membership_products.append(product_id)

    # -- circles, topics, posts -----------------------------------------------------------------

    def circles(self) -> None:
        size, r = self.size, self.rng
        circles = self.table("forums_circles", "id name description cover_url rules visibility product_id creator_id "
                                               "approve_first_posts member_count topic_count created_at updated_at")
        memberships = self.table("forums_memberships", "id circle_id user_id role banned active approved_posts joined_at")
        member_counts = self.skewed(size.circles, size.memberships, 0.9)
        topic_counts = [size.big_circle_topics] + self.skewed(size.circles - 1, size.topics - size.big_circle_topics)
        if size.circles == 1:
            topic_counts = [size.topics]
        self.circle_members: dict[int, list[int]] = {}
        self.topic_counts = topic_counts
        paid = iter(self.membership_products[1:])
        for index in range(size.circles):
            circle_id = index + 1
            creator = self.creator_ids[index % len(self.creator_ids)]
            visibility, product = "public", None
            if index == 1 and self.membership_products:
                visibility, product = "paid", self.membership_products[0]
            elif index % 10 == 1:
                product = next(paid, None)
                visibility = "paid" if product else "members"
            elif index % 3 == 2:
                visibility = "members"
            wanted = min(member_counts[index], size.members)
            chosen = r.sample(self.user_ids, wanted)
            if MEMBER not in chosen and index < 3:
                chosen[0] = MEMBER
            chosen = list(dict.fromkeys([creator, *chosen]))[:max(wanted, 1)]
            self.circle_members[circle_id] = chosen
            made = self.start
            circles.append((circle_id, f"Circle {circle_id} · 圈子 {circle_id}", self.text(circle_id, 2), "", "Be kind.",
                            visibility, product, creator, 0, len(chosen), topic_counts[index], _stamp(made), _stamp(made)))
            for uid in chosen:
                memberships.append((len(memberships) + 1, circle_id, uid, "moderator" if uid == creator else "member",
                                    0, 1, 0, _stamp(self.when())))

    def forum_activity(self) -> None:
        size, r = self.size, self.rng
        topics = self.table("forums_topics", "id circle_id author_id title kind tags status pinned locked featured_at "
                                             "post_count reply_count like_count bumped_at created_at updated_at")
        posts = self.table("forums_posts", "id topic_id circle_id number author_id body status hold_reason like_count "
                                           "flag_count created_at updated_at")
        replies_total = size.posts - size.topics - size.long_topic_replies
        replies = self.heavy(size.topics - 1, replies_total, cap=size.long_topic_replies * 3 // 4)
        replies.insert(0, size.long_topic_replies)  # topic 1, in the big circle: the long one
        topic_circle = [c + 1 for c, n in enumerate(self.topic_counts) for _ in range(n)]
        post_like = defaultdict(int)
        self.topic_posts: list[tuple[int, int]] = []  # (first post id, post count) per topic
        post_id = 0
        for index, circle_id in enumerate(topic_circle):
            topic_id = index + 1
            members = self.circle_members[circle_id]
            opened = self.when() if topic_id > 1 else self.start + timedelta(days=5)
            count = 1 + replies[index]
            step = (self.now - opened).total_seconds() / (count + 1)
            first = post_id + 1
            for number in range(1, count + 1):
                post_id += 1
                at = opened + timedelta(seconds=step * (number - 1))
                posts.append([post_id, topic_id, circle_id, number, r.choice(members), self.text(post_id, r.randint(1, 4)),
                              "visible", "", 0, 0, _stamp(at), _stamp(at)])
            self.topic_posts.append((first, count))
            pinned = int(topic_id % 997 == 0)
            featured = _stamp(opened) if topic_id % 101 == 0 else None
            kind = "question" if topic_id % 7 == 0 else "discussion"
            topics.append([topic_id, circle_id, members[0] if topic_id == 1 else posts[first - 1][4],
                           f"{r.choice(WORDS_EN).capitalize()} {topic_id} · {r.choice(WORDS_ZH)}{r.choice(WORDS_ZH)}",
                           kind, ",".join(r.sample(WORDS_EN, 2)), "visible", pinned, 0, featured, count, count - 1, 0,
                           posts[-1][10], _stamp(opened), _stamp(opened)])
        # Likes, mostly on the busy topics' posts.
        likes = self.table("forums_likes", "id post_id user_id created_at")
        seen = set()
        while len(likes) < size.likes:
            first, count = self.topic_posts[min(int(r.paretovariate(0.6)) - 1, len(self.topic_posts) - 1)
                                            if r.random() < 0.5 else r.randrange(len(self.topic_posts))]
            pid, uid = first + r.randrange(count), r.choice(self.user_ids)
            if (pid, uid) in seen:
                continue
            seen.add((pid, uid))
            post_like[pid] += 1
            likes.append((len(likes) + 1, pid, uid, posts[pid - 1][10]))
        for pid, n in post_like.items():
            posts[pid - 1][8] = n
            topics[posts[pid - 1][1] - 1][12] += n
        self.tables["forums_posts"][:] = [tuple(p) for p in posts]
        self.tables["forums_topics"][:] = [tuple(t) for t in topics]
        # Read markers, watches and a few open flags.
        reads = self.table("forums_reads", "id user_id topic_id last_number")
        pairs = set()
        while len(reads) < size.read_markers:
            topic_id = min(int(r.paretovariate(0.5)), size.topics) if r.random() < 0.5 else r.randint(1, size.topics)
            uid = MEMBER if len(reads) < 20 else r.choice(self.user_ids)
            if (uid, topic_id) not in pairs:
                pairs.add((uid, topic_id))
                reads.append((len(reads) + 1, uid, topic_id, r.randint(1, self.topic_posts[topic_id - 1][1])))
        watches = self.table("forums_watches", "id user_id target target_id")
        pairs = set()
        while len(watches) < size.watches:
            target = "circle" if r.random() < 0.1 else "topic"
            target_id = r.randint(1, size.circles if target == "circle" else size.topics)
            uid = r.choice(self.user_ids)
            if (uid, target, target_id) not in pairs:
                pairs.add((uid, target, target_id))
                watches.append((len(watches) + 1, uid, target, target_id))
        flags = self.table("forums_flags", "id post_id user_id reason open created_at")
        for n in range(max(1, size.posts // 5000)):
            pid = r.randint(1, len(posts))
            flags.append((n + 1, pid, r.choice(self.user_ids), "Spam?", 1, _stamp(self.now)))
        flags[:] = [(i + 1, *f[1:]) for i, f in enumerate({(f[1], f[2]): f for f in flags}.values())]

    # -- commerce -------------------------------------------------------------------------------

    def orders_and_ledger(self) -> None:
        size, r = self.size, self.rng
        coupons = self.table("coupons", "id code creator_id kind value product_id valid_from valid_until max_redemptions "
                                        "per_member used active created_at")
        orders = self.table("orders", "id user_id product_id product_name coupon_id provider status list_price_minor "
                                      "discount_minor amount_minor refunded_minor currency nonce provider_ref "
                                      "member_reference created_at expires_at paid_at")
        order_events = self.table("order_events", "id order_id name actor_id data created_at")
        redemptions = self.table("coupon_redemptions", "id coupon_id user_id n order_id created_at")
        payments = self.table("payments", "id order_id provider provider_ref amount_minor currency created_at")
        entitlements = self.table("entitlements", "id user_id product_id source status starts_at ends_at created_at")
        entitlement_events = self.table("entitlement_events", "id entitlement_id name data created_at")
        refunds = self.table("refunds", "id order_id amount_minor reason key provider_ref actor_id created_at")
        payouts = self.table("payouts", "id creator_id amount_minor currency reference key actor_id created_at")
        products = {p[0]: p for p in self.tables["products"]}
        for n in range(size.coupons):
            creator = self.creator_ids[n % len(self.creator_ids)]
            coupons.append([n + 1, f"SCALE{n + 1:04d}", creator, "percent", r.choice((10, 20, 30)), None, None, None,
                            None, 1, 0, 1, _stamp(self.start)])
        coupons_of = defaultdict(list)
        for c in coupons:
            coupons_of[c[2]].append(c)
        top_products = [p for p, c in self.product_creator.items() if c == TOP_CREATOR]
        other_products = [p for p, c in self.product_creator.items() if c != TOP_CREATOR] or top_products
        wanted = [(top_products, size.top_creator_orders - 1), (other_products, size.other_orders)]
        paid_span = (self.now - timedelta(days=30 * size.months)).replace(microsecond=0)
        pairs = {(MEMBER, 1)}  # the demo member bought the first course (product 1)
        sales = [(self.when(paid_span), MEMBER, 1)]  # (paid at, member, product)
        redeemed = set()  # (coupon, member): one use each
        for choices, count in wanted:
            weights = [1 / (i + 1) ** 0.7 for i in range(len(choices))]
            made = 0
            while made < count:
                product = r.choices(choices, weights)[0]
                uid = r.choice(self.user_ids)
                if (uid, product) in pairs:
                    continue
                pairs.add((uid, product))
                sales.append((self.when(paid_span), uid, product))
                made += 1
        sales.sort()
        self.enrolled = defaultdict(set)  # course buyers, enrolled below
        product_course = {p: c for c, p in self.course_product.items() if p}
        provider_names = [p for p, _ in PROVIDERS]
        provider_weights = [w for _, w in PROVIDERS]
        txns = []  # (at, kind, order_id, memo, {account: amount}, key)
        for order_id, (paid_at, uid, product) in enumerate(sales, start=1):
            price, creator = self.product_price[product], self.product_creator[product]
            coupon = None
            if r.random() < 0.08 and coupons_of[creator]:
                coupon = r.choice(coupons_of[creator])
                coupon = None if (coupon[0], uid) in redeemed else coupon
                redeemed.add((coupon[0], uid) if coupon else None)
            discount = (price * coupon[4] + 50) // 100 if coupon else 0
            amount = price - discount
            provider = r.choices(provider_names, provider_weights)[0]
            created = paid_at - timedelta(minutes=r.randint(1, 20))
            orders.append([order_id, uid, product, products[product][2], coupon[0] if coupon else None, provider, "paid",
                           price, discount, amount, 0, CURRENCY, f"scale-{order_id:08d}", f"{provider}-{order_id}", "",
                           _stamp(created), _stamp(created + timedelta(minutes=30)), _stamp(paid_at)])
            if coupon:
                coupon[10] += 1
                redemptions.append((len(redemptions) + 1, coupon[0], uid, 1, order_id, _stamp(created)))
            order_events.append((len(order_events) + 1, order_id, "created", uid, "{}", _stamp(created)))
            fee = (amount * FEE_PERCENT + 50) // 100
            order_events.append((len(order_events) + 1, order_id, "paid", None,
                                 f'{{"provider": "{provider}", "provider_ref": "{provider}-{order_id}", "fee_minor": {fee}}}',
                                 _stamp(paid_at)))
            payments.append((order_id, order_id, provider, f"{provider}-{order_id}", amount, CURRENCY, _stamp(paid_at)))
            ends = paid_at + timedelta(days=365) if products[product][4] == "membership" else None
            entitlements.append([order_id, uid, product, f"order:{order_id}", "active", _stamp(paid_at),
                                 _stamp(ends) if ends else None, _stamp(paid_at)])
            entitlement_events.append((len(entitlement_events) + 1, order_id, "granted", "{}", _stamp(paid_at)))
            txns.append((paid_at, "payment", order_id, products[product][2],
                         {f"provider:{provider}": amount, f"creator:{creator}": -(amount - fee), "platform:fees": -fee},
                         f"payment:{order_id}"))
            if product in product_course:
                self.enrolled[product_course[product]].add((uid, paid_at))
            if r.random() * 100 < size.refund_percent and amount:
                full = r.random() < 0.5
                back = amount if full else max(1, amount // 2)
                at = paid_at + timedelta(days=r.randint(1, 10))
                if at >= self.now:
                    continue
                refund_id = len(refunds) + 1
                refunds.append((refund_id, order_id, back, "Changed my mind", f"scale-refund-{refund_id}", None, 2,
                                _stamp(at)))
                fee_back = (fee * back + amount // 2) // amount
                orders[-1][10] = back
                txns.append((at, "refund", order_id, "Changed my mind",
                             {f"provider:{provider}": -back, f"creator:{creator}": back - fee_back,
                              "platform:fees": fee_back}, f"refund:{refund_id}"))
                order_events.append((len(order_events) + 1, order_id, "refunded", 2,
                                     f'{{"amount_minor": {back}, "full": {"true" if full else "false"}}}', _stamp(at)))
                if full:
                    orders[-1][6] = "refunded"
                    entitlements[-1][4] = "revoked"
                    entitlement_events.append((len(entitlement_events) + 1, order_id, "revoked", "{}", _stamp(at)))
        # Orders never paid: open, expired, cancelled.
        for _ in range(size.unpaid_orders):
            order_id = len(orders) + 1
            product = r.choice(list(self.product_price))
            created = self.when()
            status = "pending" if created > self.now - timedelta(minutes=30) else r.choice(("expired", "cancelled"))
            orders.append([order_id, r.choice(self.user_ids), product, products[product][2], None, "manual", status,
                           self.product_price[product], 0, self.product_price[product], 0, CURRENCY,
                           f"scale-{order_id:08d}", None, "", _stamp(created), _stamp(created + timedelta(minutes=30)),
                           None])
            order_events.append((len(order_events) + 1, order_id, "created", None, "{}", _stamp(created)))
        # Payouts: on the 3rd of each month, every creator is paid what they are owed then.
        owed = defaultdict(int)
        txns.sort(key=lambda t: t[0])
        month = datetime(paid_span.year, paid_span.month, 3)
        timeline, i = [], 0
        while True:
            month = (month + timedelta(days=32)).replace(day=3)
            while i < len(txns) and txns[i][0] < month:
                timeline.append(txns[i])
                for account, amount in txns[i][4].items():
                    if account.startswith("creator:"):
                        owed[int(account[8:])] -= amount
                i += 1
            if month >= self.now:
                break
            for creator in sorted(owed):
                if owed[creator] > 0:
                    payout_id = len(payouts) + 1
                    reference = f"Bank transfer {month:%Y-%m} #{payout_id}"
                    payouts.append((payout_id, creator, owed[creator], CURRENCY, reference, f"scale-payout-{payout_id}",
                                    1, _stamp(month)))
                    timeline.append((month, "payout", None, reference,
                                     {f"creator:{creator}": owed[creator], "payouts": -owed[creator]},
                                     f"payout:{payout_id}"))
                    owed[creator] = 0
        timeline.extend(txns[i:])
        self.ledger(timeline)
        for table, rows in (("coupons", coupons), ("orders", orders), ("entitlements", entitlements)):
            self.tables[table][:] = [tuple(row) for row in rows]

    def ledger(self, timeline: list) -> None:
        """Ledger transactions and entries, each entry with the account's balance after it."""
        transactions = self.table("ledger_transactions", "id key kind order_id memo created_at")
        entries = self.table("ledger_entries", "id transaction_id account amount_minor currency created_at "
                                               "balance_after_minor")
        balances = defaultdict(int)
        slots = defaultdict(lambda: [0, 0, 0])
        for txn_id, (at, kind, order_id, memo, moves, key) in enumerate(timeline, start=1):
            transactions.append((txn_id, key, kind, order_id, memo[:300], _stamp(at)))
            for account, amount in sorted(moves.items()):
                if amount:
                    balances[account, CURRENCY] += amount
                    entries.append((len(entries) + 1, txn_id, account, amount, CURRENCY, _stamp(at),
                                    balances[account, CURRENCY]))
                if amount and account.startswith("creator:"):
                    slot = slots[account, int(at.replace(tzinfo=UTC).timestamp()) // 900, kind]
                    slot[0] += amount
                    slot[1] += moves.get("platform:fees", 0)
                    slot[2] += 1
        summary = self.table("ledger_balances", "account currency balance_minor")
        summary.extend((account, currency, amount) for (account, currency), amount in sorted(balances.items()))
        self.table("ledger_slots", "account quarter currency kind amount_minor fee_minor entries").extend(
            (account, quarter, CURRENCY, kind, *sums) for (account, quarter, kind), sums in sorted(slots.items())
        )

    # -- learning -------------------------------------------------------------------------------

    def learning(self) -> None:
        size, r = self.size, self.rng
        enrolments = self.table("courses_enrolments", "id course_id user_id last_lesson_id completed_count percent "
                                                      "enrolled_at updated_at completed_at")
        completions = self.table("courses_completions", "id lesson_id course_id user_id created_at")
        reviews = self.table("courses_reviews", "id course_id user_id rating text reply helpful_count created_at "
                                                "updated_at")
        free = [c for c, p in self.course_product.items() if p is None] or [1]
        pairs = {(c, u) for c, bought in self.enrolled.items() for u, _ in bought}
        learners = [(c, u, at) for c, bought in self.enrolled.items() for u, at in bought]
        weights = [1 / (i + 1) ** 0.8 for i in range(len(free))]
        if (free[0], MEMBER) not in pairs:  # the demo member learns in the first free course
            pairs.add((free[0], MEMBER))
            learners.append((free[0], MEMBER, self.when()))
        while len(learners) < size.enrolments:
            course, uid = r.choices(free, weights)[0], r.choice(self.user_ids)
            if (course, uid) not in pairs:
                pairs.add((course, uid))
                learners.append((course, uid, self.when()))
        learner_count, rating = defaultdict(int), defaultdict(lambda: [0, 0])
        for course, uid, at in learners:
            lessons = self.course_lessons[course]
            done = min(len(lessons), int(r.expovariate(0.6)))
            eid = len(enrolments) + 1
            completed_at = _stamp(at + timedelta(days=9)) if done == len(lessons) else None
            enrolments.append((eid, course, uid, lessons[max(done - 1, 0)], done, done * 100 // len(lessons),
                               _stamp(at), _stamp(at + timedelta(days=done)), completed_at))
            for lesson in lessons[:done]:
                completions.append((len(completions) + 1, lesson, course, uid, _stamp(at + timedelta(hours=1))))
            learner_count[course] += 1
            if len(reviews) < size.reviews and r.random() < size.reviews * 2 / size.enrolments:
                stars = r.choices((1, 2, 3, 4, 5), (1, 1, 3, 8, 12))[0]
                reviews.append((len(reviews) + 1, course, uid, stars, self.text(eid, 1), "", 0, _stamp(at), _stamp(at)))
                rating[course][0] += 1
                rating[course][1] += stars
        self.tables["courses_courses"][:] = [
            (*c[:13], learner_count[c[0]], rating[c[0]][0], rating[c[0]][1], *c[16:]) for c in self.tables["courses_courses"]
        ]

    def notifications(self) -> None:
        size, r = self.size, self.rng
        rows = self.table("notifications", "id user_id kind channel text url key created_at read_at")
        per_user = self.skewed(min(size.members, size.notifications // 4), size.notifications, 0.7)
        ids = list(self.user_ids)
        r.shuffle(ids)
        ids.remove(MEMBER)
        ids.insert(0, MEMBER)
        kinds = (("forums.reply", "Someone replied to a topic you watch · 有人回复了您关注的话题", "/forums/t/{}"),
                 ("purchases", "Your order is paid · 您的订单已付款", "/orders/{}"),
                 ("courses.lesson", "A new lesson was published · 新课时已发布", "/courses/{}"))
        for uid, count in zip(ids, per_user, strict=False):
            for n in range(count):
                kind, text, url = kinds[n % 3]
                at = self.when()
                read = _stamp(at + timedelta(hours=2)) if r.random() < 0.6 else None
                rows.append((len(rows) + 1, uid, kind, "in_app", text, url.format(r.randint(1, 1000)),
                             f"scale:{len(rows) + 1}", _stamp(at), read))


class _Writer:
    """Writes rows in bulk: COPY on PostgreSQL, executemany on SQLite. Columns the database
    does not have (an older schema) are left out."""

    def __init__(self, connection: sa.Connection, log=None):
        self.connection, self.log = connection, log or (lambda message: None)
        self.dialect = connection.dialect.name
        self.inspector = sa.inspect(connection)
        self.tables = set(self.inspector.get_table_names())

    def write(self, table: str, rows: _Rows) -> None:
        if table not in self.tables:
            self.log(f"{table}: no such table here, skipped")
            return
        have = {c["name"] for c in self.inspector.get_columns(table)}
        keep = [i for i, name in enumerate(rows.columns) if name in have]
        columns = [rows.columns[i] for i in keep]
        data = rows if len(keep) == len(rows.columns) else [tuple(row[i] for i in keep) for row in rows]
        started = time.perf_counter()
        if self.dialect == "postgresql":
            mark_written(self.connection)  # COPY on the driver's connection: an error rolls the load back
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            raw = self.connection.connection.driver_connection.cursor()
            for at in range(0, len(data), 50_000):
                raw.executemany(sql, data[at:at + 50_000])
        self.log(f"{table}: {len(data):,} rows in {time.perf_counter() - started:.1f} s")

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids written; refresh planner statistics."""
        if self.dialect == "postgresql":
            for table in sorted(self.tables):
                if any(c["name"] == "id" for c in self.inspector.get_columns(table)):
                    self.connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM {table}), 1))"
                    )
        self.connection.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="medium")
    parser.add_argument("--database-url", required=True, help="an empty database (SQLite or PostgreSQL)")
    parser.add_argument("--instance", default=None, help="the instance folder (default: a new temporary one)")
    args = parser.parse_args()

    import tempfile

    from flask_migrate import upgrade

    from kpay.app import create_app

    instance = args.instance or tempfile.mkdtemp(prefix="kpay-scale-")
    app = create_app({"instance_path": instance, "database_url": args.database_url, "redis_url": ""})
    started = time.perf_counter()
    with app.app_context():
        upgrade(revision="heads")
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    facts = seed(app, args.scale, log=print)
    print(f"seeded {sum(facts['counts'].values()):,} rows in {time.perf_counter() - started:.0f} s")
    print({key: value for key, value in facts.items() if key != "counts"})


if __name__ == "__main__":
    main()
