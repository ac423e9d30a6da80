"""Three bilingual demo courses (one free, two paid) with text, audio, video and an e-book,
two demo purchases, some progress and reviews. The media are a few kilobytes each."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from kpay.api import Product, User, checkout, db, mark_paid, utcnow
from plugins.courses import progress, uploads
from plugins.courses.models import Chapter, Course, Lesson, Review

MEDIA = Path(__file__).parent / "demo"


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII), built by hand: the demo e-book."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _media(lesson: Lesson, data: bytes, filename: str) -> None:
    lesson.media, lesson.media_type, lesson.media_size = uploads.store_media(io.BytesIO(data), lesson.kind)
    lesson.media_name = filename


def _course(creator: User, product: Product | None, chapters: list[tuple[str, list[dict]]], **values) -> Course:
    course = Course(creator_id=creator.id, product_id=product.id if product else None, status="published",
                    publish_at=utcnow() - timedelta(days=3), **values)
    db.session.add(course)
    db.session.flush()
    for position, (title, lessons) in enumerate(chapters):
        chapter = Chapter(course_id=course.id, title=title, position=position)
        db.session.add(chapter)
        db.session.flush()
        for order, spec in enumerate(lessons):
            media = spec.pop("media", None)
            lesson = Lesson(course_id=course.id, chapter_id=chapter.id, position=order, **spec)
            if media:
                _media(lesson, *media)
            db.session.add(lesson)
    db.session.flush()
    return course


def build() -> None:
    """The demo courses of the demo creator, bought, studied and reviewed by the demo members."""
    creator = db.session.scalar(sa.select(User).where(User.email == "creator@example.com"))
    if creator is None:
        return
    video = (MEDIA / "demo.webm").read_bytes(), "intro.webm"
    audio = (MEDIA / "demo.ogg").read_bytes(), "tone.ogg"
    ebook = tiny_pdf("KPay demo e-book / Data analysis notes"), "data-analysis-notes.pdf"
    currency = current_app.config["KPAY"]["commerce"]["currency"]
    free = _course(
        creator, None, [("开始 · Getting started", [
            dict(title="如何学习 · How to learn", kind="text", minutes=5, preview=True,
                 body="**间隔重复**比一次学很久更有效。\n\nSpaced repetition beats cramming."),
            dict(title="听一听 · A short listen", kind="audio", minutes=1, media=audio,
                 body="一段两秒钟的提示音。\n\nA two-second tone."),
            dict(title="做笔记 · Taking notes", kind="text", minutes=5,
                 body="用自己的话写下来。\n\nWrite it in your own words."),
        ])],
        title="学会学习 · Learning How to Learn", subtitle="免费入门课 · A free starter course",
        description="三节短课，帮你养成好习惯。\n\nThree short lessons on good study habits.",
        tags="学习,study", level="beginner", language="zh,en",
    )
    data_product = Product(creator_id=creator.id, name="数据分析入门 · Data Analysis Basics", kind="one_time",
                           price_minor=9900, currency=currency,
                           description="数据分析课程。\n\nThe data analysis course.")
    writing_product = Product(creator_id=creator.id, name="写作课 · Writing That Sells", kind="one_time",
                              price_minor=19900, currency=currency, description="写作课程。\n\nThe writing course.")
    db.session.add_all([data_product, writing_product])
    db.session.flush()
    data = _course(
        creator, data_product, [
            ("基础 · Foundations", [
                dict(title="课程介绍 · Welcome", kind="video", minutes=1, preview=True, media=video,
                     body="欢迎！这节课免费试看。\n\nWelcome! This lesson is a free preview."),
                dict(title="什么是数据 · What data is", kind="text", minutes=8,
                     body="数据是记录下来的事实。\n\nData are recorded facts."),
                dict(title="讲义 · Lecture notes (PDF)", kind="attachment", minutes=10, media=ebook,
                     body="下载讲义。\n\nDownload the notes."),
            ]),
            ("实践 · Practice", [
                dict(title="清洗数据 · Cleaning data", kind="text", minutes=12,
                     body="先看缺失值。\n\nLook for missing values first."),
                dict(title="复习音频 · Review audio", kind="audio", minutes=1, media=audio,
                     body="听一遍，复习一下。\n\nListen once to review."),
            ]),
        ],
        title="数据分析入门 · Data Analysis Basics", subtitle="从表格到洞察 · From spreadsheets to insight",
        description="五节课，学会整理和理解数据。\n\nFive lessons on tidying and understanding data.",
        tags="数据,data", level="beginner", language="zh,en",
    )
    _course(
        creator, writing_product, [("写作 · Writing", [
            dict(title="好标题 · Good headlines", kind="text", minutes=6, preview=True,
                 body="标题要具体。\n\nMake headlines specific."),
            dict(title="结构 · Structure", kind="text", minutes=9, body="先说结论。\n\nLead with the point."),
            dict(title="第二周 · Week two", kind="text", minutes=9, opens_after_days=7,
                 body="报名一周后开放。\n\nOpens a week after you enrol."),
        ])],
        title="写作课 · Writing That Sells", subtitle="写出让人读完的文字 · Words people finish reading",
        description="三节课，报名后逐步开放。\n\nThree lessons that open step by step after you enrol.",
        tags="写作,writing", level="intermediate", language="zh,en",
    )
    visual_product = Product(creator_id=creator.id, name="数据可视化 · Data Visualisation", kind="one_time",
                             price_minor=14900, currency=currency, description="可视化课程。\n\nThe charts course.")
    db.session.add(visual_product)
    db.session.flush()
    _course(
        creator, visual_product, [("图表 · Charts", [
            dict(title="选对图表 · Choosing a chart", kind="text", minutes=7, preview=True,
                 body="先问要比较什么。\n\nAsk what you compare first."),
            dict(title="颜色 · Colour", kind="text", minutes=8, body="少用颜色。\n\nUse colour sparingly."),
        ])],
        title="数据可视化 · Data Visualisation", subtitle="让数据一眼看懂 · Charts people read at a glance",
        description="两节课，接着数据分析入门学。\n\nTwo lessons that follow Data Analysis Basics.",
        tags="数据,data,charts", level="intermediate", language="zh,en",
    )
    _studied(data, data_product, free)


def _studied(data: Course, product: Product, free: Course) -> None:
    """The member bought and half-studied the data course; the learner finished and reviewed it."""
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.course_id == data.id)
                                 .order_by(Lesson.chapter_id, Lesson.position)).all()
    for email, done, rating, text in (
        ("member@example.com", 2, None, ""),
        ("learner@example.com", len(lessons), 5, "讲得很清楚！Clear and practical."),
    ):
        buyer = db.session.scalar(sa.select(User).where(User.email == email))
        order = checkout(buyer, product, "demo", secrets.token_urlsafe(24))
        mark_paid(order.id, "demo", f"demo:{order.id}", order.amount_minor, order.currency)
        enrolment = progress.enrol(buyer, data)
        for lesson in lessons[:done]:
            progress.complete(buyer, data, lesson, enrolment)
        if rating:
            db.session.add(Review(course_id=data.id, user_id=buyer.id, rating=rating, text=text))
            data.rating_count, data.rating_sum = data.rating_count + 1, data.rating_sum + rating
    member = db.session.scalar(sa.select(User).where(User.email == "member@example.com"))
    progress.enrol(member, free)
    db.session.add(Review(course_id=free.id, user_id=member.id, rating=4, text="简单实用。Short and useful."))
    free.rating_count, free.rating_sum = free.rating_count + 1, free.rating_sum + 4
