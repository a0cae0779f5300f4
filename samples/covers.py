"""Fax cover sheets in several designs, typed or filled in by hand."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from reportlab.pdfgen.canvas import Canvas

from intake.forms import wrap_text
from samples.dates import write_date
from samples.layout import (
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    draw_letterhead,
    flip,
)
from samples.letters import CENTER_FAX
from samples.pen import INKS, Pen, choose_font
from samples.people import Practice
from samples.truth import SampleDocument

NOTICE = (
    "CONFIDENTIALITY NOTICE: The pages that follow may contain protected health "
    "information. They are meant only for the recipient named above. If you "
    "received this fax in error, please call the sender and destroy every page. "
    "Any other review, use or copying is prohibited."
)
PRINT_SHOP = ("Print & Ship Center #0412", "88 Main St, Fairhaven, OR 97058",
              "(541) 555-0198")
DESIGNS = ("big_fax", "letterhead", "minimal", "shop_handwritten")


@dataclass
class CoverFacts:
    """The facts a cover sheet states."""

    sender: str
    sender_name: str
    sender_phone: str
    sender_fax: str
    day: date
    pages: int
    """Pages of the whole transmission, including the cover."""
    subject: str
    message: str


def fax_cover(rng: random.Random, facts: CoverFacts, practice: Practice | None,
              design: str | None = None) -> SampleDocument:
    """Build a fax cover sheet.

    Args:
        practice: The sending practice, for the letterhead design; None for a
            patient sending from a print shop.
        design: One of ``DESIGNS``; drawn at random when None. The
            letterhead design needs a practice.
    """
    if design is None:
        designs = DESIGNS[:3] if practice else ("shop_handwritten", "minimal")
        design = rng.choice(designs)
    seed = rng.getrandbits(64)

    def draw(canvas: Canvas) -> None:
        page_rng = random.Random(seed)
        if design == "big_fax":
            _big_fax(canvas, facts, page_rng)
        elif design == "letterhead" and practice is not None:
            _letterhead_cover(canvas, facts, practice)
        elif design == "shop_handwritten":
            _shop_cover(canvas, facts, page_rng)
        else:
            _minimal_cover(canvas, facts)

    return SampleDocument(
        doc_type="fax_cover", language="en", pages=[draw],
        notes={"design": design, "sender": facts.sender,
               "pages_stated": facts.pages},
    )


def _notice(canvas: Canvas, top: float, font: str = "Helvetica") -> None:
    canvas.setFont(font, 8)
    for index, line in enumerate(wrap_text(NOTICE, font, 8, PAGE_WIDTH - 2 * MARGIN)):
        canvas.drawString(MARGIN, flip(top + index * 10), line)


def _big_fax(canvas: Canvas, facts: CoverFacts, rng: random.Random) -> None:
    canvas.setFont("Helvetica-Bold", 44)
    canvas.drawString(MARGIN, flip(100), "FAX")
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(70), facts.sender)
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(84), f"Phone {facts.sender_phone}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(96), f"Fax {facts.sender_fax}")

    rows = (
        ("To:", "Image Service Center, Alder Creek Regional Hospital"),
        ("Fax:", CENTER_FAX),
        ("From:", facts.sender_name),
        ("Fax:", facts.sender_fax),
        ("Date:", write_date(facts.day, rng, "en")),
        ("Pages:", f"{facts.pages} (including cover)"),
        ("Re:", facts.subject),
    )
    top = 130.0
    canvas.setLineWidth(0.7)
    for label, value in rows:
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN, flip(top + 16), label)
        canvas.setFont("Helvetica", 11)
        canvas.drawString(MARGIN + 70, flip(top + 16), value)
        canvas.line(MARGIN, flip(top + 22), PAGE_WIDTH - MARGIN, flip(top + 22))
        top += 26

    options = ("Urgent", "For review", "Please comment", "Please reply")
    picked = rng.randrange(len(options))
    x = MARGIN
    for index, option in enumerate(options):
        canvas.rect(x, flip(top + 28), 10, 10)
        if index == picked:
            canvas.setFont("Helvetica-Bold", 10)
            canvas.drawString(x + 1.5, flip(top + 26.5), "X")
        canvas.setFont("Helvetica", 10)
        canvas.drawString(x + 15, flip(top + 27), option)
        x += 118

    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(MARGIN, flip(top + 70), "Comments:")
    canvas.setFont("Helvetica", 11)
    canvas.drawString(MARGIN, flip(top + 88), facts.message)
    _notice(canvas, PAGE_HEIGHT - 110)


def _letterhead_cover(canvas: Canvas, facts: CoverFacts, practice: Practice) -> None:
    top = draw_letterhead(canvas, practice, 1)
    canvas.setFont("Times-Bold", 20)
    canvas.drawCentredString(PAGE_WIDTH / 2, flip(top + 20), "Facsimile Transmittal")
    rows = (
        ("Date", facts.day.strftime("%m/%d/%Y")),
        ("Pages", str(facts.pages)),
        ("To", "Image Service Center"),
        ("Fax", CENTER_FAX),
        ("From", facts.sender_name),
        ("Phone", facts.sender_phone),
    )
    y = top + 56
    for index, (label, value) in enumerate(rows):
        x = MARGIN if index % 2 == 0 else PAGE_WIDTH / 2 + 10
        canvas.setFont("Times-Bold", 11)
        canvas.drawString(x, flip(y), f"{label}:")
        canvas.setFont("Times-Roman", 11)
        canvas.drawString(x + 52, flip(y), value)
        if index % 2 == 1:
            y += 22
    canvas.setFont("Times-Bold", 11)
    canvas.drawString(MARGIN, flip(y + 20), f"Re: {facts.subject}")
    canvas.setFont("Times-Roman", 11)
    canvas.drawString(MARGIN, flip(y + 44), facts.message)
    _notice(canvas, PAGE_HEIGHT - 120, "Times-Roman")


def _minimal_cover(canvas: Canvas, facts: CoverFacts) -> None:
    canvas.setFont("Courier-Bold", 16)
    canvas.drawCentredString(PAGE_WIDTH / 2, flip(90), "FAX COVER SHEET")
    lines = (
        f"DATE:  {facts.day.strftime('%m-%d-%Y')}",
        "TO:    IMAGE SERVICE CENTER",
        f"FAX:   {CENTER_FAX}",
        f"FROM:  {facts.sender_name.upper()}",
        f"PHONE: {facts.sender_phone}",
        f"NUMBER OF PAGES INCLUDING COVER: {facts.pages}",
        "",
        f"RE: {facts.subject}",
        "",
        facts.message,
    )
    canvas.setFont("Courier", 11)
    for index, line in enumerate(lines):
        canvas.drawString(MARGIN, flip(140 + index * 18), line)
    _notice(canvas, PAGE_HEIGHT - 130, "Courier")


def _shop_cover(canvas: Canvas, facts: CoverFacts, rng: random.Random) -> None:
    name, address, phone = PRINT_SHOP
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawString(MARGIN, flip(80), "Fax Cover Sheet")
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(66), name)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, flip(78), f"{address}  {phone}")

    values = (
        ("To", "Image Service Center"),
        ("Fax number", CENTER_FAX),
        ("From", facts.sender_name),
        ("Phone", facts.sender_phone),
        ("Number of pages", str(facts.pages)),
        ("Date", write_date(facts.day, rng, "en")),
        ("Comments", facts.message),
    )
    text = " ".join(value for _, value in values)
    font = choose_font(rng, text)
    pen = Pen(canvas, PAGE_HEIGHT, rng, INKS[rng.choice(("black", "blue"))])

    y = 130.0
    for label, value in values:
        canvas.setFont("Helvetica", 11)
        canvas.drawString(MARGIN, flip(y), f"{label}:")
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN + 110, flip(y + 2), PAGE_WIDTH - MARGIN, flip(y + 2))
        size = rng.uniform(11.5, 14)
        width = pen.text_width(value, font, size) * 1.1
        size = min(size, size * (PAGE_WIDTH - MARGIN - 120 - MARGIN) / width)
        pen.write(value, MARGIN + 118, y - rng.uniform(0.5, 2.5), font, size,
                  rng.uniform(-1.5, 1.5))
        y += 34

    _notice(canvas, PAGE_HEIGHT - 110)
