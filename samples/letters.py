"""Typed documents: physicians' requests, a law firm's and a records office's
letters, an insurer's letter, lab results, fax cover sheets and a blank page.

Each builder returns a :class:`~samples.truth.SampleDocument` with its page
drawers and truth fields. The wording comes from several templates per
document kind so that no fixed phrase identifies a kind.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from reportlab.pdfgen.canvas import Canvas

from intake.reasons import Reason
from samples.dates import letter_date, write_date
from samples.layout import (
    BODY_WIDTH,
    MARGIN,
    PAGE_WIDTH,
    Block,
    draw_letterhead,
    flip,
    gap,
    paginate,
    signature_block,
    text_block,
)
from samples.people import LABS, Patient, Physician, Practice
from samples.truth import SampleDocument

CENTER_LINES = (
    "Alder Creek Regional Hospital",
    "Image Service Center, Department of Radiology",
    "4100 Meridian Parkway",
    "Fairhaven, OR 97058",
)
CENTER_FAX = "(541) 555-0101"

ABBREVIATIONS = {
    "CT abdomen and pelvis with contrast": "CT A/P with contrast",
    "MRI lumbar spine without contrast": "MRI L-spine w/o contrast",
    "X-ray chest 2 views": "CXR, 2 views",
    "MRI brain with and without contrast": "MRI brain w/wo contrast",
    "Ultrasound right upper quadrant": "RUQ ultrasound",
}


def _letter_blocks_head(day: date, language: str, recipient: bool = True,
                        font: str = "Times-Roman") -> list[Block]:
    blocks = [text_block(letter_date(day, language), font), gap(14)]
    if recipient:
        blocks.append(text_block("\n".join(CENTER_LINES[:2]) + f"\nFax {CENTER_FAX}",
                                 font))
        blocks.append(gap(14))
    return blocks


def physician_letter(rng: random.Random, practice: Practice, physician: Physician,
                     patient: Patient, day: date,
                     defect: Reason | None = None) -> SampleDocument:
    """Build an outside physician's request for images on CD.

    Args:
        defect: PATIENT_NAME_MISSING, DATE_OF_BIRTH_MISSING or EXAM_MISSING
            to leave that item out of the letter; None for a complete one.
    """
    language = practice.language
    facts = _request_facts(rng, patient, language, defect)
    template = _spanish_templates if language == "es" else _english_templates
    blocks = template(rng, practice, physician, facts, day)
    pages = paginate(blocks, lambda canvas, page: draw_letterhead(canvas, practice,
                                                                  page))
    document = SampleDocument(
        doc_type="physician_request", language=language, pages=pages,
        fields={
            "patient_name": facts["name_truth"],
            "date_of_birth": facts["dob_truth"],
            "mrn": facts["mrn_truth"],
            "exam_date": facts["exam_date_truth"],
            "exam_description": facts["exam_truth"],
            "physician_name": physician.name,
            "physician_fax": practice.fax_digits,
        },
        patient_key=patient.full_name,
        notes={"practice": practice.key, "written": facts["written"]},
    )
    if defect:
        document.intended_defects.append(str(defect))
    return document


def _request_facts(rng: random.Random, patient: Patient, language: str,
                   defect: Reason | None) -> dict:
    """Decide how the letter states each fact, and the truth of each."""
    exam = patient.exam.describe(language)
    if language == "en" and exam in ABBREVIATIONS and rng.random() < 0.35:
        exam = ABBREVIATIONS[exam]
    facts: dict = {
        "name": patient.written_name,
        "name_truth": patient.written_name,
        "dob": write_date(patient.dob, rng, language, patient.dob.year >= 1969),
        "dob_truth": patient.dob.isoformat(),
        "mrn": patient.mrn if rng.random() < 0.3 else None,
        "exam": exam,
        "exam_truth": exam,
        "exam_date": write_date(patient.exam_date, rng, language),
        "exam_date_truth": patient.exam_date.isoformat(),
    }
    facts["mrn_truth"] = facts["mrn"]
    if defect is Reason.PATIENT_NAME_MISSING:
        facts["name"] = facts["name_truth"] = None
    elif defect is Reason.DATE_OF_BIRTH_MISSING:
        facts["dob"] = facts["dob_truth"] = None
    elif defect is Reason.EXAM_MISSING:
        for key in ("exam", "exam_truth", "exam_date", "exam_date_truth"):
            facts[key] = None
    facts["written"] = {key: facts[key] for key in ("name", "dob", "mrn", "exam",
                                                     "exam_date")}
    return facts


def _patient_line(facts: dict, language: str) -> str:
    parts = []
    if facts["name"]:
        parts.append(("Paciente: " if language == "es" else "Patient: ")
                     + facts["name"])
    else:
        parts.append("Paciente: ver autorización adjunta" if language == "es"
                     else "Patient: see enclosed authorization")
    if facts["dob"]:
        parts.append(("Fecha de nacimiento: " if language == "es" else "DOB: ")
                     + facts["dob"])
    if facts["mrn"]:
        parts.append(("Expediente: " if language == "es" else "MRN: ") + facts["mrn"])
    return "\n".join(parts)


def _exam_phrase(facts: dict) -> str:
    if facts["exam"] and facts["exam_date"]:
        return f"the {facts['exam']} performed on {facts['exam_date']}"
    if facts["exam"]:
        return f"the {facts['exam']}"
    return "all imaging studies from the past year"


def _english_templates(rng: random.Random, practice: Practice,
                       physician: Physician, facts: dict, day: date) -> list[Block]:
    choice = rng.randrange(4)
    font = rng.choice(("Times-Roman", "Helvetica"))
    size = 11.0 if font == "Times-Roman" else 10.0
    bold = "Times-Bold" if font == "Times-Roman" else "Helvetica-Bold"
    blocks = _letter_blocks_head(day, "en", recipient=choice != 2, font=font)
    if choice == 2:
        return blocks + _memo_blocks(rng, practice, physician, facts, font, size)

    subject, greeting, body = _english_wording(rng, choice, practice, facts)
    blocks += [text_block(subject, bold, size), gap(12),
               text_block(greeting, font, size), gap(8)]
    for paragraph in body:
        blocks += [text_block(paragraph, font, size), gap(9)]
    closing = rng.choice(("Sincerely,", "Thank you,", "Kind regards,"))
    blocks.append(text_block(closing, font, size, keep_with_next=True))
    blocks.append(signature_block(rng, [physician.signed_name, practice.name],
                                  font=font, size=size))
    return blocks


def _english_wording(rng: random.Random, choice: int, practice: Practice,
                     facts: dict) -> tuple[str, str, tuple[str, ...]]:
    """Return the subject, greeting and paragraphs of one letter template."""
    if choice == 0:
        subject = "RE: Request for imaging on CD\n" + _patient_line(facts, "en")
        greeting = rng.choice(("Dear Image Service Center staff:",
                               "To whom it may concern:"))
        return subject, greeting, (
            (f"Our office is caring for the above patient. Please send a copy of "
             f"{_exam_phrase(facts)} on CD to our office at the address above, "
             "so that we can review the images before the next visit."),
            ("A signed authorization from the patient is enclosed. If you have "
             f"any questions, please call our office at {practice.phone}."),
        )
    if choice == 1:
        who = facts["name"] or "our patient"
        return _patient_line(facts, "en"), "Dear Colleagues,", (
            (f"I am writing on behalf of my patient, {who}, who had imaging at "
             f"Alder Creek Regional Hospital. I would be grateful if you could "
             f"release {_exam_phrase(facts)} on a CD (DICOM format) to my "
             "office for a second opinion."),
            (f"Please mail the disc to the address above or call "
             f"{practice.phone} when it is ready for pick up. The patient's "
             "signed release is attached. Thank you for your help."),
        )
    return "Re: Images needed for surgical planning", "Image Service Center:", (
        (f"Please release {_exam_phrase(facts)} for the patient listed "
         "below on CD to our clinic. Patient consent is attached."),
        _patient_line(facts, "en"),
        f"Fax questions to {practice.fax}. Thank you.",
    )


def _memo_blocks(rng: random.Random, practice: Practice, physician: Physician,
                 facts: dict, font: str, size: float) -> list[Block]:
    rows = [
        ("To:", "Image Service Center, Alder Creek Regional Hospital"),
        ("From:", f"{physician.title} {physician.signed_name}".strip()),
        ("Patient name:", facts["name"] or ""),
        ("Date of birth:", facts["dob"] or ""),
    ]
    if facts["mrn"]:
        rows.append(("MRN:", facts["mrn"]))
    rows += [
        ("Exam:", facts["exam"] or "All recent imaging"),
        ("Exam date:", facts["exam_date"] or ""),
        ("Please provide:", "Images on CD (DICOM), with the radiology report"),
        ("Send to:", ", ".join(practice.address)),
    ]
    rows = [row for row in rows if row[1]]
    blocks = [text_block("Request for Imaging Studies", "Helvetica-Bold", 13),
              gap(10)]
    for label, value in rows:
        blocks.append(_labelled_row(label, value, font, size))
    blocks += [gap(14), text_block("Thank you for your prompt help.", font, size,
                                   keep_with_next=True),
               signature_block(rng, [physician.signed_name], font=font, size=size)]
    return blocks


def _labelled_row(label: str, value: str, font: str, size: float,
                  label_width: float = 110) -> Block:
    bold = "Helvetica-Bold" if font.startswith("Helvetica") else "Times-Bold"
    value_block = text_block(value, font, size, MARGIN + label_width,
                             BODY_WIDTH - label_width)

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFont(bold, size)
        canvas.drawString(MARGIN, flip(top + size * 0.85), label)
        value_block.draw(canvas, top)

    return Block(value_block.height + 3, draw)


def _spanish_templates(rng: random.Random, practice: Practice,
                       physician: Physician, facts: dict, day: date) -> list[Block]:
    font = "Times-Roman"
    blocks = _letter_blocks_head(day, "es", font=font)
    who = facts["name"] or "nuestro paciente"
    birth = f", con fecha de nacimiento {facts['dob']}," if facts["dob"] else ""
    if facts["exam"] and facts["exam_date"]:
        study = f"del estudio {facts['exam']} realizado el {facts['exam_date']}"
    elif facts["exam"]:
        study = f"del estudio {facts['exam']}"
    else:
        study = "de todos sus estudios de imagen recientes"
    paragraphs = (
        (f"Por medio de la presente solicito, de la manera más atenta, una copia "
         f"en CD {study} a mi paciente {who}{birth} en su institución."),
        ("Se adjunta la autorización firmada por el paciente. Para cualquier "
         f"aclaración, comuníquese a nuestro consultorio al {practice.phone}."),
    )
    if rng.random() < 0.5:
        blocks += [text_block(_patient_line(facts, "es"), "Times-Bold"), gap(12)]
    blocks += [text_block("Estimado personal del Centro de Servicio de Imágenes:",
                          font), gap(8)]
    for paragraph in paragraphs:
        blocks += [text_block(paragraph, font), gap(9)]
    blocks.append(text_block("Atentamente,", font, keep_with_next=True))
    name = f"{physician.title} {physician.name}"
    blocks.append(signature_block(rng, [name, practice.name], font=font))
    return blocks


def legal_letter(rng: random.Random, firm: Practice, patient: Patient,
                 day: date) -> SampleDocument:
    """Build a law firm's request for a client's images and reports."""
    lawyer = firm.physicians[rng.randrange(len(firm.physicians))]
    incident = patient.exam_date - timedelta(days=rng.randint(0, 20))
    dob = write_date(patient.dob, rng, "en", patient.dob.year >= 1969)
    exam_date = write_date(patient.exam_date, rng, "en")
    exam = patient.exam.en
    blocks = _letter_blocks_head(day, "en")
    blocks[2] = text_block("Custodian of Records\n" + "\n".join(CENTER_LINES),
                           "Times-Roman")
    blocks += [
        text_block(f"Re: Our client: {patient.written_name}\nDate of birth: {dob}\n"
                   f"Date of incident: {letter_date(incident, 'en')}\n"
                   f"Our file no.: {rng.randint(21, 26)}-{rng.randint(1000, 9999)}",
                   "Times-Bold"),
        gap(12), text_block("Dear Custodian of Records:", "Times-Roman"), gap(8),
        text_block(
            "This firm represents the client named above in a claim arising from "
            f"a motor vehicle collision on {letter_date(incident, 'en')}. Please "
            "provide copies of all radiology images, on CD, together with the "
            "radiologists' reports, for imaging performed from the date of the "
            f"incident to the present, including the {exam} of {exam_date}.",
            "Times-Roman"),
        gap(9),
        text_block(
            "An authorization signed by our client is enclosed. Please include "
            "an invoice for any copying charges with the records; we will pay it "
            "promptly. Kindly direct any questions to the undersigned at "
            f"{firm.phone}.", "Times-Roman"),
        gap(9), text_block("Very truly yours,", "Times-Roman", keep_with_next=True),
        signature_block(rng, [lawyer.name, lawyer.credentials, firm.name]),
    ]
    pages = paginate(blocks, lambda canvas, page: draw_letterhead(canvas, firm, page))
    return SampleDocument(
        doc_type="other", language="en", pages=pages,
        fields={"patient_name": patient.written_name,
                "date_of_birth": patient.dob.isoformat(), "mrn": None,
                "exam_date": patient.exam_date.isoformat(), "exam_description": exam},
        extra_reasons=[Reason.LEGAL_REQUEST],
        patient_key=patient.full_name,
        notes={"sender": firm.key, "kind": "legal_request"},
    )


def report_only_letter(rng: random.Random, sender: Practice, patient: Patient,
                       day: date) -> SampleDocument:
    """Build a request for the radiology report alone, without images."""
    dob = write_date(patient.dob, rng, "en", patient.dob.year >= 1969)
    exam_date = write_date(patient.exam_date, rng, "en")
    exam = patient.exam.en
    staff = rng.choice(("Medical Records", "Referrals Coordinator",
                        "Office Manager"))
    wording = rng.choice((
        (f"Please fax a copy of the radiology report only for the {exam} done on "
         f"{exam_date}. We do not need the images or a CD."),
        (f"We are requesting the written report for the {exam} dated "
         f"{exam_date}. Images are not needed; the report alone is enough for "
         "our records."),
    ))
    blocks = _letter_blocks_head(day, "en", font="Helvetica") + [
        text_block(f"Patient: {patient.written_name}\nDate of birth: {dob}",
                   "Helvetica-Bold", 10),
        gap(12), text_block("Hello,", "Helvetica", 10), gap(8),
        text_block(wording, "Helvetica", 10), gap(9),
        text_block(f"Our fax number is {sender.fax}. Thank you.", "Helvetica", 10),
        gap(12), text_block("Regards,", "Helvetica", 10, keep_with_next=True),
        signature_block(rng, [staff, sender.name], font="Helvetica", size=10),
    ]
    pages = paginate(blocks, lambda canvas, page: draw_letterhead(canvas, sender,
                                                                  page))
    return SampleDocument(
        doc_type="other", language="en", pages=pages,
        fields={"patient_name": patient.written_name,
                "date_of_birth": patient.dob.isoformat(), "mrn": None,
                "exam_date": patient.exam_date.isoformat(), "exam_description": exam},
        extra_reasons=[Reason.REPORT_ONLY_REQUEST],
        patient_key=patient.full_name,
        notes={"sender": sender.key, "kind": "report_only_request"},
    )


def insurance_letter(rng: random.Random, insurer: Practice, patient: Patient,
                     day: date) -> SampleDocument:
    """Build an insurer's prior-authorization notice (not a release document)."""
    member_id = f"{rng.choice('ABCHKW')}{rng.randint(10**8, 10**9 - 1)}"
    number = f"PA-{rng.randint(100000, 999999)}"
    valid = day + timedelta(days=90)
    blocks = _letter_blocks_head(day, "en", recipient=False, font="Helvetica") + [
        text_block(f"{patient.written_name}\n" + "\n".join(patient.address_lines),
                   "Helvetica", 10),
        gap(16),
        _labelled_row("Member ID:", member_id, "Helvetica", 10),
        _labelled_row("Authorization:", number, "Helvetica", 10),
        _labelled_row("Service:", patient.exam.en, "Helvetica", 10),
        _labelled_row("Valid through:", letter_date(valid, "en"), "Helvetica", 10),
        gap(14),
        text_block(f"Dear {patient.written_name.split()[0]},", "Helvetica", 10),
        gap(8),
        text_block(
            "We have reviewed the request from your provider and approved the "
            "service listed above. This approval is not a guarantee of payment; "
            "benefits depend on your eligibility and plan terms on the date of "
            "service.", "Helvetica", 10),
        gap(9),
        text_block(f"Questions? Call Member Services at {insurer.phone}, Monday "
                   "through Friday, 8 a.m. to 6 p.m.", "Helvetica", 10),
        gap(12), text_block("Utilization Management Department", "Helvetica", 10),
    ]
    pages = paginate(blocks, lambda canvas, page: draw_letterhead(canvas, insurer,
                                                                  page))
    return SampleDocument(doc_type="other", language="en", pages=pages,
                          patient_key=patient.full_name,
                          notes={"sender": insurer.key, "kind": "insurance_letter"})


LAB_TESTS = (
    ("WBC", 4.0, 11.0, "10^3/uL"), ("Hemoglobin", 12.0, 17.5, "g/dL"),
    ("Hematocrit", 36.0, 50.0, "%"), ("Platelets", 150, 400, "10^3/uL"),
    ("Sodium", 135, 145, "mmol/L"), ("Potassium", 3.5, 5.1, "mmol/L"),
    ("Chloride", 98, 107, "mmol/L"), ("Glucose", 70, 99, "mg/dL"),
    ("BUN", 7, 20, "mg/dL"), ("Creatinine", 0.6, 1.3, "mg/dL"),
    ("Calcium", 8.5, 10.5, "mg/dL"), ("ALT", 7, 56, "U/L"), ("AST", 10, 40, "U/L"),
    ("Albumin", 3.5, 5.0, "g/dL"), ("TSH", 0.4, 4.0, "mIU/L"),
)


def lab_report(rng: random.Random, patient: Patient, day: date,
               ordering: Physician) -> SampleDocument:
    """Build a laboratory results report, one or two pages long."""
    lab = LABS[0]
    count = rng.choice((8, 10, 15, 15)) if rng.random() < 0.3 else rng.randint(6, 9)
    tests = LAB_TESTS[:count]
    collected = day - timedelta(days=rng.randint(1, 10))
    header = [
        text_block("LABORATORY REPORT", "Helvetica-Bold", 13), gap(8),
        _labelled_row("Patient:", patient.written_name, "Helvetica", 9.5, 90),
        _labelled_row("DOB:", write_date(patient.dob, rng, "en", False),
                      "Helvetica", 9.5, 90),
        _labelled_row("Collected:", write_date(collected, rng, "en"), "Helvetica",
                      9.5, 90),
        _labelled_row("Ordering:", f"{ordering.name}, {ordering.credentials}",
                      "Helvetica", 9.5, 90),
        gap(12), _table_row(("Test", "Result", "Flag", "Units", "Reference"), True),
    ]
    rows = []
    for name, low, high, units in tests:
        value = rng.uniform(low * 0.8, high * 1.2)
        flag = ""
        if value > high:
            flag = "H"
        elif value < low:
            flag = "L"
        text = f"{value:.1f}" if high < 20 else f"{value:.0f}"
        rows.append(_table_row((name, text, flag, units, f"{low} - {high}")))
        if count > 10:
            rows.append(gap(14))
    blocks = header + rows + [gap(16), text_block(
        "Results were reviewed and released by the laboratory director. Values "
        "flagged H or L are outside the reference range.", "Helvetica", 8)]
    pages = paginate(blocks, lambda canvas, page: draw_letterhead(canvas, lab, page))
    return SampleDocument(doc_type="other", language="en", pages=pages,
                          patient_key=patient.full_name,
                          notes={"sender": lab.key, "kind": "lab_results"})


def _table_row(cells: tuple[str, ...], bold: bool = False) -> Block:
    columns = (MARGIN, MARGIN + 150, MARGIN + 230, MARGIN + 280, MARGIN + 360)
    font = "Helvetica-Bold" if bold else "Helvetica"

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFont(font, 9.5)
        for x, cell in zip(columns, cells, strict=True):
            canvas.drawString(x, flip(top + 10), cell)
        if bold:
            canvas.setLineWidth(0.6)
            canvas.line(MARGIN, flip(top + 14), PAGE_WIDTH - MARGIN, flip(top + 14))

    return Block(18 if bold else 15, draw)


def blank_page() -> SampleDocument:
    """Build an empty page, as when a scanner picks up the back of a sheet."""
    return SampleDocument(doc_type="other", language="en",
                          pages=[lambda canvas: None],
                          notes={"kind": "blank_page"})
