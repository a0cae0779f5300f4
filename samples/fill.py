"""Fill the center's forms the way patients do, and record what was written.

:func:`plan_form` decides every value, blank and defect of one form. It
returns a :class:`~samples.truth.SampleDocument` whose page drawer renders
the printed form and then the fills. Fills are handwriting in one of the
handwriting fonts (or typed text), checkbox marks and a pen signature, and
sometimes stray marks, a smudge or a crossed-out word. About
``DEFECT_RATE`` of forms get one or two defects that change their expected
status; the cosmetic marks never do.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from intake.forms import Element, Layout
from intake.forms.render import draw_layout, draw_typed_check
from intake.reasons import Reason
from samples.dates import write_date
from samples.pen import INKS, HandFont, Pen, choose_font
from samples.people import Patient
from samples.truth import SampleDocument

logger = logging.getLogger(__name__)

DEFECT_RATE = 0.42
"""Share of forms drawn with at least one status-changing defect."""

FORM_DEFECTS = (
    (Reason.SIGNATURE_MISSING, 3),
    (Reason.SIGNATURE_DATE_MISSING, 3),
    (Reason.SIGNATURE_DATE_IN_FUTURE, 2),
    (Reason.REPRESENTATIVE_AUTHORITY_MISSING, 1),
)
THIRD_PARTY_DEFECTS = (
    (Reason.XRAY_BOX_UNCHECKED, 4),
    (Reason.RELEASE_TO_MISSING, 2),
    (Reason.HIPAA_PURPOSE_MISSING, 2),
    (Reason.HIPAA_EXPIRY_MISSING, 2),
    (Reason.AUTHORIZATION_EXPIRED, 2),
)
CONFLICTING_DEFECTS = (
    {Reason.SIGNATURE_DATE_MISSING, Reason.SIGNATURE_DATE_IN_FUTURE},
    {Reason.SIGNATURE_DATE_IN_FUTURE, Reason.AUTHORIZATION_EXPIRED},
    {Reason.HIPAA_EXPIRY_MISSING, Reason.AUTHORIZATION_EXPIRED},
)
"""Pairs of defects that cannot both show on one form."""
OTHER_INFORMATION = ("discharge_summary", "lab_results", "progress_notes",
                     "operative_reports", "emergency_records", "entire_record")
PURPOSES = {
    "en": ("Continuing care", "Second opinion", "Consultation with specialist",
           "Personal records", "Insurance claim", "Surgery planning",
           "Follow-up care", "Transfer of care"),
    "es": ("Atención continua", "Segunda opinión", "Archivo personal"),
}
LEGAL_PURPOSES = ("Legal claim", "Attorney review", "Personal injury claim")
EXPIRY_EVENTS = ("End of treatment", "Completion of my claim",
                 "When my case is settled", "Upon transfer of care",
                 "One year after signing")
WRONG_WORDS = {
    "exam_description": ("MRI", "CT", "Xray", "knee"),
    "purpose": ("Legal", "Personal", "Insurance"),
    "release_to_name": ("Dr.", "Providence", "Summit"),
    "patient_phone": ("541-555", "503"),
}


@dataclass
class FillStyle:
    """One person's handwriting or typing habits, used for a whole form."""

    typed: bool
    font: HandFont | None
    size: float
    ink: tuple[float, float, float]
    pen_width: float
    capitals: bool
    check_style: str
    tilt: float
    typed_font: str = "Courier"


@dataclass
class FormContext:
    """The generator's inputs for one filled form."""

    patient: Patient
    as_of: date
    typed: bool = False
    recipient: tuple[str, str] | None = None
    """(name, address with "\\n" between lines) for the release-to block."""
    recipient_phone: str | None = None
    recipient_fax: str | None = None
    legal: bool = False
    defect_rate: float = DEFECT_RATE


@dataclass
class FormFill:
    """Everything drawn on one form beyond its printed layout."""

    written: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    """Ids of the checkbox elements that are marked."""
    signed: bool = True
    crossed_out: tuple[str, str] | None = None
    """(field, wrong word) written and struck through before the value."""
    mark_offsets: dict[str, tuple[float, float]] = field(default_factory=dict)
    stray_marks: int = 0
    smudges: int = 0


def draw_style(rng: random.Random, typed: bool) -> FillStyle:
    """Draw one person's handwriting (or typing) habits."""
    ink = INKS[rng.choice(("black", "black", "blue", "blue_black"))]
    return FillStyle(
        typed=typed,
        font=None,
        size=rng.uniform(10.5, 13.5),
        ink=ink,
        pen_width=rng.uniform(0.7, 1.3),
        capitals=not typed and rng.random() < 0.15,
        check_style=rng.choice(("tick", "tick", "tick", "cross", "cross", "fill",
                                "circle")),
        tilt=rng.uniform(-1.8, 1.8),
        typed_font=rng.choice(("Courier", "Helvetica")),
    )


def plan_form(rng: random.Random, layout: Layout,
              context: FormContext) -> SampleDocument:
    """Decide the content of one filled form and return it with its drawer.

    Args:
        rng: Seeded random source for this form.
        layout: The form edition to fill.
        context: The patient, the processing date and the recipient.
    """
    style = draw_style(rng, context.typed)
    fill = FormFill()
    document = SampleDocument(
        doc_type=layout.doc_type, language=layout.language, pages=[],
        edition=layout.form_id, signed=True,
    )
    if context.legal:
        document.extra_reasons.append(Reason.LEGAL_REQUEST)
    _plan_patient_fields(rng, layout, context, fill, document)
    if layout.doc_type == "third_party_release":
        _plan_third_party(rng, layout, context, fill, document)
    else:
        _plan_release_images(rng, layout, context, fill, document)
    _plan_signature(rng, layout, context, fill, document)
    if rng.random() < context.defect_rate:
        _apply_defects(rng, layout, context, fill, document)
    _plan_marks(rng, layout, fill, style)
    _finish_text(style, fill, document)
    document.notes.update({
        "filled_by": "typed" if style.typed else "hand",
        "checkbox_mark": "typed_x" if style.typed else style.check_style,
    })

    draw_seed = rng.getrandbits(64)
    style.font = None if style.typed else choose_font(
        rng, " ".join(fill.written.values()))

    def draw(canvas: Canvas) -> None:
        draw_filled_form(canvas, layout, fill, style, random.Random(draw_seed))

    document.pages.append(draw)
    return document


def _set(fill: FormFill, document: SampleDocument, name: str, written: str,
         truth: str) -> None:
    fill.written[name] = written
    document.fields[name] = truth


def _plan_patient_fields(rng: random.Random, layout: Layout,
                         context: FormContext, fill: FormFill,
                         document: SampleDocument) -> None:
    patient = context.patient
    language = layout.language
    document.patient_key = patient.full_name
    _set(fill, document, "patient_name", patient.written_name,
         patient.written_name)
    _set(fill, document, "date_of_birth",
         write_date(patient.dob, rng, language, patient.dob.year >= 1969),
         patient.dob.isoformat())
    if rng.random() < 0.65:
        mrn = patient.mrn
        written = f"{mrn[:4]}-{mrn[4:]}" if rng.random() < 0.3 else mrn
        _set(fill, document, "mrn", written, mrn)
    else:
        document.fields["mrn"] = None
    if rng.random() < 0.55 and layout.for_field("patient_phone"):
        fill.written["patient_phone"] = patient.phone
    if patient.written_first or patient.written_last:
        document.notes["name_variant"] = (
            "nickname" if patient.written_first else "typo")


def _plan_release_images(rng: random.Random, layout: Layout,
                         context: FormContext, fill: FormFill,
                         document: SampleDocument) -> None:
    patient = context.patient
    _set(fill, document, "exam_date",
         write_date(patient.exam_date, rng, layout.language),
         patient.exam_date.isoformat())
    description = patient.exam.describe(layout.language)
    _set(fill, document, "exam_description", description, description)

    delivery = "mail" if rng.random() < 0.4 else "pick_up"
    box = layout.checkbox("delivery", delivery)
    if box is not None:
        fill.checked.append(box.id)
    if delivery == "mail":
        fill.written["mail_address"] = "\n".join(patient.address_lines)


def _plan_third_party(rng: random.Random, layout: Layout, context: FormContext,
                      fill: FormFill, document: SampleDocument) -> None:
    name, address = context.recipient or ("", "")
    _set(fill, document, "release_to_name", name, name)
    _set(fill, document, "release_to_address", address,
         address.replace("\n", ", "))
    if context.recipient_phone and rng.random() < 0.5:
        fill.written["release_to_phone"] = context.recipient_phone
    if context.recipient_fax and rng.random() < 0.7:
        fill.written["release_to_fax"] = context.recipient_fax

    options = ["xray_scan_reports"]
    options += rng.sample(OTHER_INFORMATION, rng.randint(0, 2))
    _check_information(layout, fill, options)
    if rng.random() < 0.25:
        _set_other_information(layout, fill, "CD of images")
    if rng.random() < 0.3 and layout.for_field("dates_of_service"):
        fill.written["dates_of_service"] = write_date(
            context.patient.exam_date, rng, layout.language)

    pool = LEGAL_PURPOSES if context.legal else PURPOSES[layout.language]
    purpose = rng.choice(pool)
    _set(fill, document, "purpose", purpose, purpose)
    _plan_expiry(rng, layout, context, fill, document)


def _check_information(layout: Layout, fill: FormFill, options: list[str]) -> None:
    for option in options:
        box = layout.checkbox("information_released", option)
        if box is not None and box.id not in fill.checked:
            fill.checked.append(box.id)


def _set_other_information(layout: Layout, fill: FormFill, text: str) -> None:
    box = layout.checkbox("information_released", "other")
    if box is None:
        return
    if box.id not in fill.checked:
        fill.checked.append(box.id)
    fill.written["information_other"] = text


def _plan_expiry(rng: random.Random, layout: Layout, context: FormContext,
                 fill: FormFill, document: SampleDocument) -> None:
    draw = rng.random()
    if draw < 0.9:
        expiry = context.as_of + timedelta(days=rng.randint(20, 400))
        _set(fill, document, "expiry_date",
             write_date(expiry, rng, layout.language), expiry.isoformat())
    if draw >= 0.6:
        event = rng.choice(EXPIRY_EVENTS)
        _set(fill, document, "expiry_event", event, event)


def _plan_signature(rng: random.Random, layout: Layout, context: FormContext,
                    fill: FormFill, document: SampleDocument) -> None:
    patient = context.patient
    signed_on = context.as_of - timedelta(days=rng.randint(0, 45))
    document.signature_date = signed_on
    fill.written["signature_date"] = write_date(signed_on, rng, layout.language)
    document.notes["signer"] = "patient"
    if patient.representative:
        name, authority = patient.representative
        _set(fill, document, "representative_name", name, name)
        _set(fill, document, "representative_authority", authority, authority)
        document.notes["signer"] = "representative"


def _apply_defects(rng: random.Random, layout: Layout, context: FormContext,
                   fill: FormFill, document: SampleDocument) -> None:
    choices = list(FORM_DEFECTS)
    if layout.doc_type == "third_party_release":
        choices += THIRD_PARTY_DEFECTS
    count = 2 if rng.random() < 0.2 else 1
    picked: list[Reason] = []
    while len(picked) < count:
        reasons, weights = zip(*choices, strict=True)
        reason = rng.choices(reasons, weights)[0]
        clashes = any({reason, earlier} in CONFLICTING_DEFECTS for earlier in picked)
        if reason not in picked and not clashes:
            picked.append(reason)
    for reason in picked:
        _apply_defect(rng, reason, layout, context, fill, document)
        document.intended_defects.append(str(reason))


def _apply_defect(rng: random.Random, reason: Reason, layout: Layout,
                  context: FormContext, fill: FormFill,
                  document: SampleDocument) -> None:
    as_of = context.as_of
    if reason is Reason.SIGNATURE_MISSING:
        fill.signed = False
        document.signed = False
    elif reason is Reason.SIGNATURE_DATE_MISSING:
        _blank(fill, document, "signature_date")
        document.signature_date = None
    elif reason is Reason.SIGNATURE_DATE_IN_FUTURE:
        future = (as_of + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.6
                  else as_of.replace(year=as_of.year + 1) - timedelta(days=3))
        document.signature_date = future
        fill.written["signature_date"] = write_date(future, rng, layout.language)
    elif reason is Reason.REPRESENTATIVE_AUTHORITY_MISSING:
        if "representative_name" not in fill.written:
            name = f"{rng.choice(('Pat', 'Lee', 'Sam', 'Robin'))} "
            name += context.patient.last
            _set(fill, document, "representative_name", name, name)
            document.notes["signer"] = "representative"
        _blank(fill, document, "representative_authority")
    elif reason is Reason.XRAY_BOX_UNCHECKED:
        _uncheck_xray(rng, layout, fill)
        document.xray_checked = False
    elif reason is Reason.RELEASE_TO_MISSING:
        _blank(fill, document, rng.choice(("release_to_name", "release_to_address",
                                           "both")))
    elif reason is Reason.HIPAA_PURPOSE_MISSING:
        _blank(fill, document, "purpose")
    elif reason is Reason.HIPAA_EXPIRY_MISSING:
        _blank(fill, document, "expiry_date")
        _blank(fill, document, "expiry_event")
    elif reason is Reason.AUTHORIZATION_EXPIRED:
        _expire(rng, layout, context, fill, document)


def _blank(fill: FormFill, document: SampleDocument, name: str) -> None:
    names = ["release_to_name", "release_to_address"] if name == "both" else [name]
    for blank in names:
        fill.written.pop(blank, None)
        document.fields[blank] = None


def _uncheck_xray(rng: random.Random, layout: Layout, fill: FormFill) -> None:
    box = layout.checkbox("information_released", "xray_scan_reports")
    if box is not None and box.id in fill.checked:
        fill.checked.remove(box.id)
    others = [b for b in layout.checkboxes("information_released")
              if b.option != "xray_scan_reports" and b.id in fill.checked]
    if not others:
        option = rng.choice(("discharge_summary", "lab_results", "progress_notes"))
        _check_information(layout, fill, [option])
    if rng.random() < 0.35:
        # A trap: the images are asked for under "Other", but the x-ray box
        # itself stays empty, which the rules still count as unticked.
        _set_other_information(layout, fill, "CD with MRI images")


def _expire(rng: random.Random, layout: Layout, context: FormContext,
            fill: FormFill, document: SampleDocument) -> None:
    expiry = context.as_of - timedelta(days=rng.randint(1, 200))
    signed_on = expiry - timedelta(days=rng.randint(30, 300))
    if "signature_date" in fill.written:
        document.signature_date = signed_on
        fill.written["signature_date"] = write_date(signed_on, rng, layout.language)
    _set(fill, document, "expiry_date", write_date(expiry, rng, layout.language),
         expiry.isoformat())
    fill.written.pop("expiry_event", None)
    document.fields["expiry_event"] = None


def _plan_marks(rng: random.Random, layout: Layout, fill: FormFill,
                style: FillStyle) -> None:
    if style.typed:
        return
    fill.stray_marks = rng.choice((0, 0, 0, 1, 2, 3))
    fill.smudges = 1 if rng.random() < 0.15 else 0
    if rng.random() < 0.25:
        for element_id in fill.checked:
            side = 9.0
            fill.mark_offsets[element_id] = (rng.uniform(-0.5, 0.5) * side,
                                             rng.uniform(-0.5, 0.5) * side)
    candidates = [name for name in WRONG_WORDS if name in fill.written
                  and layout.for_field(name) is not None]
    if candidates and rng.random() < 0.15:
        name = rng.choice(candidates)
        fill.crossed_out = (name, rng.choice(WRONG_WORDS[name]))


def _finish_text(style: FillStyle, fill: FormFill,
                 document: SampleDocument) -> None:
    """Apply block capitals and record the cosmetic marks in the notes."""
    if style.capitals:
        for name, text in fill.written.items():
            fill.written[name] = text.upper()
        for name, value in document.fields.items():
            if value and name not in ("date_of_birth", "exam_date", "expiry_date",
                                      "mrn"):
                document.fields[name] = value.upper()
    if document.doc_type == "third_party_release" and document.xray_checked is None:
        document.xray_checked = True
    marks = []
    if fill.stray_marks:
        marks.append("stray_marks")
    if fill.smudges:
        marks.append("smudge")
    if fill.mark_offsets:
        marks.append("checkbox_mark_off_center")
    if fill.crossed_out:
        marks.append(f"crossed_out_word:{fill.crossed_out[0]}")
    document.notes["marks"] = marks
    document.notes["capitals"] = style.capitals
    document.notes["written"] = {name: text for name, text in fill.written.items()}
    document.notes["checked"] = list(fill.checked)


def draw_filled_form(canvas: Canvas, layout: Layout, fill: FormFill,
                     style: FillStyle, rng: random.Random) -> None:
    """Draw the printed form and every fill of ``fill`` on the current page."""
    draw_layout(canvas, layout)
    pen = Pen(canvas, layout.page_size[1], rng, style.ink, style.pen_width)
    for name, text in fill.written.items():
        element = layout.for_field(name)
        if element is None:
            continue
        wrong = fill.crossed_out[1] if fill.crossed_out and (
            fill.crossed_out[0] == name) else None
        _write_field(canvas, pen, layout, element, text, style, rng, wrong)
    for element_id in fill.checked:
        element = layout.element(element_id)
        if style.typed:
            draw_typed_check(canvas, layout, element)
        else:
            jitter = (rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8))
            pen.check(element.box, style.check_style,
                      fill.mark_offsets.get(element_id, jitter))
    signature = layout.signature
    if fill.signed and signature is not None:
        pen.width = style.pen_width * rng.uniform(0.9, 1.3)
        pen.signature(signature.box)
    _draw_noise(pen, layout, fill, rng)


def _write_field(canvas: Canvas, pen: Pen, layout: Layout, element: Element,
                 text: str, style: FillStyle, rng: random.Random,
                 wrong: str | None) -> None:
    rows = text.split("\n")
    if len(rows) > len(element.line_ys):
        rows = [", ".join(rows)]
    right = element.input_box[2] - 3 if element.input_box else element.box[2]
    for index, (line_y, row) in enumerate(zip(element.line_ys, rows, strict=False)):
        x = element.line_x0 + rng.uniform(3, 12)
        if index == 0 and wrong:
            x = _write_crossed_out(pen, wrong, x, line_y, style, rng)
        if style.typed:
            _type_row(canvas, layout, row, x, line_y, right, style)
        else:
            _hand_row(pen, row, x, line_y, right, style, rng)


def _write_crossed_out(pen: Pen, wrong: str, x: float, line_y: float,
                       style: FillStyle, rng: random.Random) -> float:
    assert style.font is not None
    size = style.size * 0.95
    baseline = line_y - rng.uniform(2, 3.5)
    end = pen.write(wrong, x, baseline, style.font, size, style.tilt)
    pen.strike(x, end - pen.text_width(" ", style.font, size), baseline, size)
    return end + 4


def _type_row(canvas: Canvas, layout: Layout, row: str, x: float, line_y: float,
              right: float, style: FillStyle) -> None:
    size = 10.0
    width = stringWidth(row, style.typed_font, size)
    if width > right - x:
        size *= (right - x) / width
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.setFont(style.typed_font, size)
    canvas.drawString(x, layout.page_size[1] - (line_y - 3), row)
    canvas.restoreState()


def _hand_row(pen: Pen, row: str, x: float, line_y: float, right: float,
              style: FillStyle, rng: random.Random) -> None:
    assert style.font is not None
    size = style.size * rng.uniform(0.93, 1.07)
    width = pen.text_width(row, style.font, size) * 1.12
    if width > right - x:
        size *= (right - x) / width
    baseline = line_y - rng.uniform(1.5, 3.8)
    pen.write(row, x, baseline, style.font, size,
              style.tilt + rng.uniform(-0.7, 0.7))


def _draw_noise(pen: Pen, layout: Layout, fill: FormFill,
                rng: random.Random) -> None:
    protected = [e.input_box for e in layout.elements
                 if e.kind in ("signature", "checkbox") and e.input_box]
    date_field = layout.for_field("signature_date")
    if date_field and date_field.input_box:
        protected.append(date_field.input_box)
    width, height = layout.page_size
    for _ in range(fill.stray_marks):
        point = _free_point(rng, protected, width, height)
        pen.scribble(point, rng.uniform(4, 14))
    for _ in range(fill.smudges):
        pen.smudge(_free_box(rng, protected, width, height))


def _free_box(rng: random.Random, protected: list[tuple[float, float, float,
              float]], width: float, height: float) -> tuple[float, float,
                                                             float, float]:
    """Return a random smudge-sized box that overlaps no protected box."""
    for _ in range(100):
        w, h = rng.uniform(40, 110), rng.uniform(25, 70)
        x, y = rng.uniform(20, width - w - 20), rng.uniform(30, height - h - 20)
        if all(x + w < b[0] or x > b[2] or y + h < b[1] or y > b[3]
               for b in protected):
            return (x, y, x + w, y + h)
    return (20.0, height - 60, 80.0, height - 30)


def _free_point(rng: random.Random, protected: list[tuple[float, float, float,
                float]], width: float, height: float,
                pad: float = 12.0) -> tuple[float, float]:
    """Return a random point at least ``pad`` points from every protected box."""
    for _ in range(100):
        x, y = rng.uniform(20, width - 20), rng.uniform(30, height - 20)
        if all(not (b[0] - pad < x < b[2] + pad and b[1] - pad < y < b[3] + pad)
               for b in protected):
            return x, y
    return 30.0, height - 30
