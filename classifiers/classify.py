"""Classify pages and documents by the phrases a kind of document uses.

Each document type is recognized by *concepts*, not by one edition's exact
wording. A release form has a title naming the release of images and a
delivery choice. A third-party form names a recipient, a checklist of
record types, a purpose and an expiry. A physician's letter has a
salutation, a closing, a credential and a request for images. A fax cover
has To/From/Pages fields and a confidentiality notice. Each concept is a
list of English and Spanish phrases (``CONCEPTS``) with a weight, and a
page's score for a type is the weighted count of its concepts, capped so
that one repeated word cannot dominate.

``confidence`` grows with the margin between the best and second-best
type and with the amount of evidence (see ``confidence_from_scores``). On
three generated corpora (383 documents, registered and held-out form
editions) no document with a wrong type scored 0.90 or more. A registered
layout that fits the page (see ``layout_fit``) settles the type of a form
outright.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from classifiers.lines import content_lines
from classifiers.marks import ink_share
from classifiers.nlp import PhraseFinder
from classifiers.phrases import LEGAL_PHRASES, REPORT_ONLY_PHRASES
from intake.types import DOC_TYPES, Page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Concept:
    """Phrases that signal one idea, the types it supports, and its weight."""

    doc_types: tuple[str, ...]
    weight: float
    cap: int
    """Occurrences past this many add nothing."""
    phrases: tuple[str, ...]


FORMS = ("release_images", "third_party_release")

CONCEPTS: dict[str, Concept] = {
    "release_images_title": Concept(
        ("release_images",),
        5.0,
        1,
        (
            "authorization to release images",
            "authorization for release of images",
            "release of images",
            "request for release of images",
            "image release",
            "request for copies of images",
            "authorization to release imaging",
            "autorizacion para la entrega de imagenes",
            "entrega de imagenes",
            "autorizacion para entregar imagenes",
            "solicitud de imagenes",
            "autorizacion para la divulgacion de imagenes",
        ),
    ),
    "image_delivery": Concept(
        ("release_images",),
        1.5,
        2,
        (
            "pick up",
            "picked up",
            "pickup",
            "mail the images",
            "mail to",
            "delivery of images",
            "how to deliver",
            "delivery method",
            "recoger",
            "recogere",
            "enviar por correo",
            "por correo",
            "entrega de las imagenes",
            "forma de entrega",
        ),
    ),
    "images_requested": Concept(
        ("release_images",),
        1.5,
        1,
        (
            "images requested",
            "imaging studies",
            "cd or dvd",
            "copies of the images",
            "imagenes solicitadas",
            "estudios de imagen",
            "cd o dvd",
        ),
    ),
    "third_party_title": Concept(
        ("third_party_release",),
        5.0,
        1,
        (
            "third parties",
            "third party",
            "to third parties",
            "medical report and images",
            "release of medical information",
            "terceros",
            "a terceros",
        ),
    ),
    "recipient": Concept(
        ("third_party_release",),
        1.5,
        2,
        (
            "release to",
            "disclose to",
            "recipient",
            "send to",
            "release the information to",
            "person or organization",
            "destinatario",
            "entregar a",
            "divulgar a",
        ),
    ),
    "information_released": Concept(
        ("third_party_release",),
        2.5,
        1,
        (
            "information to be released",
            "information to be disclosed",
            "information to release",
            "information to disclose",
            "records to be released",
            "informacion que se divulgara",
            "informacion a divulgar",
            "informacion a entregar",
        ),
    ),
    "record_types": Concept(
        ("third_party_release",),
        1.0,
        5,
        (
            "discharge summary",
            "lab results",
            "laboratory results",
            "progress notes",
            "entire record",
            "complete record",
            "entire medical record",
            "x-rays/scan reports",
            "x-ray / imaging reports",
            "imaging reports",
            "operative report",
            "history and physical",
            "medication list",
            "resumen de alta",
            "resultados de laboratorio",
            "notas de evolucion",
            "expediente completo",
            "informes de radiografias",
        ),
    ),
    "purpose": Concept(
        ("third_party_release",),
        1.5,
        1,
        (
            "purpose of disclosure",
            "purpose of the disclosure",
            "purpose of release",
            "purpose of this authorization",
            "purpose",
            "reason for disclosure",
            "proposito",
            "motivo de la divulgacion",
        ),
    ),
    "expiry": Concept(
        ("third_party_release",),
        1.5,
        1,
        (
            "authorization expires",
            "this authorization expires",
            "expiration date",
            "expires on",
            "expiry",
            "expiration event",
            "will expire",
            "esta autorizacion vence",
            "fecha de vencimiento",
            "vence",
        ),
    ),
    "hipaa": Concept(
        ("third_party_release",),
        1.0,
        2,
        (
            "hipaa",
            "45 cfr",
            "protected health information",
            "redisclosed",
            "re-disclosed",
            "redisclosure",
            "informacion medica protegida",
        ),
    ),
    "authorize": Concept(
        FORMS,
        1.5,
        2,
        (
            "i authorize",
            "i hereby authorize",
            "i request and authorize",
            "this authorization",
            "authorization",
            "autorizo",
            "por la presente autorizo",
            "esta autorizacion",
            "autorizacion",
        ),
    ),
    "form_signature": Concept(
        FORMS,
        2.0,
        1,
        (
            "signature of patient or legal representative",
            "signature of patient",
            "patient signature",
            "signature of patient or",
            "firma del paciente o representante legal",
            "firma del paciente",
        ),
    ),
    "representative": Concept(
        FORMS,
        1.5,
        2,
        (
            "legal representative",
            "personal representative",
            "relationship to patient",
            "legal authority",
            "power of attorney",
            "healthcare proxy",
            "representante legal",
            "relacion con el paciente",
            "autoridad legal",
            "poder notarial",
        ),
    ),
    "revoke": Concept(
        FORMS,
        1.0,
        1,
        (
            "revoke this authorization",
            "may revoke",
            "revoke",
            "revocar",
            "revocar esta autorizacion",
        ),
    ),
    "office_use": Concept(
        FORMS,
        1.0,
        1,
        (
            "for office use only",
            "office use only",
            "para uso de la oficina",
            "solo para uso de la oficina",
            "uso exclusivo de la oficina",
        ),
    ),
    "salutation": Concept(
        ("physician_request", "other"),
        2.0,
        1,
        (
            "dear",
            "to whom it may concern",
            "dear colleague",
            "estimado",
            "estimada",
            "estimados",
            "a quien corresponda",
        ),
    ),
    "closing": Concept(
        ("physician_request", "other"),
        2.0,
        1,
        (
            "sincerely",
            "respectfully",
            "best regards",
            "kind regards",
            "regards",
            "thank you for your",
            "thank you",
            "atentamente",
            "cordialmente",
            "saludos cordiales",
            "gracias",
        ),
    ),
    "credential": Concept(
        ("physician_request",),
        1.5,
        2,
        (
            "m.d.",
            "md",
            "d.o.",
            "facr",
            "facp",
            "facs",
            "np-c",
            "fnp-c",
            "pa-c",
            "physician",
            "dra.",
            "dr.",
            "medico",
            "doctora",
        ),
    ),
    "patient_reference": Concept(
        ("physician_request",),
        1.5,
        2,
        (
            "my patient",
            "our patient",
            "our mutual patient",
            "the above patient",
            "the above-named patient",
            "this patient",
            "patient:",
            "patient name",
            "mi paciente",
            "nuestro paciente",
            "paciente:",
            "el paciente",
        ),
    ),
    "image_request": Concept(
        ("physician_request",),
        2.0,
        2,
        (
            "copies of the images",
            "copy of the images",
            "images on cd",
            "images on a cd",
            "on cd",
            "cd-rom",
            "a cd",
            "disc",
            "dicom",
            "copy of the study",
            "the images",
            "imaging study",
            "films",
            "please send",
            "please forward",
            "kindly send",
            "request a copy",
            "requesting a copy",
            "requesting copies",
            "las imagenes",
            "en cd",
            "en disco",
            "favor de enviar",
            "le solicito",
            "solicito",
            "copia de las imagenes",
        ),
    ),
    "medical_practice": Concept(
        ("physician_request",),
        1.0,
        2,
        (
            "clinic",
            "medical group",
            "medical center",
            "family medicine",
            "internal medicine",
            "orthopedic",
            "orthopaedic",
            "cardiology",
            "oncology",
            "neurology",
            "pediatrics",
            "sports medicine",
            "urology",
            "gastroenterology",
            "pulmonology",
            "rheumatology",
            "associates",
            "health partners",
            "clinica",
            "consultorio",
            "centro medico",
            "medicina familiar",
        ),
    ),
    "exam_reference": Concept(
        ("physician_request", "release_images"),
        1.0,
        2,
        (
            "ct",
            "mri",
            "x-ray",
            "ultrasound",
            "mammogram",
            "pet/ct",
            "pet",
            "with contrast",
            "without contrast",
            "tomografia",
            "resonancia",
            "radiografia",
            "ecografia",
            "mamografia",
        ),
    ),
    "fax_title": Concept(
        ("fax_cover",),
        5.0,
        1,
        (
            "fax cover sheet",
            "fax cover",
            "cover sheet",
            "facsimile",
            "fax transmittal",
            "facsimile transmittal",
            "fax transmission",
            "transmittal",
            "portada de fax",
            "hoja de fax",
            "caratula de fax",
            "envio de fax",
        ),
    ),
    "fax_pages": Concept(
        ("fax_cover",),
        2.5,
        1,
        (
            "number of pages",
            "no. of pages",
            "# of pages",
            "pages including cover",
            "including cover",
            "total pages",
            "pages:",
            "numero de paginas",
            "paginas:",
            "incluyendo portada",
            "incluida la portada",
        ),
    ),
    "fax_marks": Concept(
        ("fax_cover",),
        1.0,
        3,
        (
            "urgent",
            "for review",
            "please comment",
            "please reply",
            "please recycle",
            "as requested",
            "urgente",
            "para revision",
            "favor de responder",
        ),
    ),
    "confidentiality": Concept(
        ("fax_cover",),
        1.5,
        1,
        (
            "intended recipient",
            "if you have received this",
            "received this fax in error",
            "notify the sender",
            "confidentiality notice",
            "privileged and confidential",
            "confidential",
            "destinatario previsto",
            "aviso de confidencialidad",
            "si ha recibido este fax",
        ),
    ),
    "legal": Concept(
        ("other",),
        4.0,
        3,
        (
            *LEGAL_PHRASES,
            "legal counsel",
            "case no",
            "case number",
            "claim number",
        ),
    ),
    "report_only": Concept(
        ("other",),
        4.0,
        2,
        (
            *REPORT_ONLY_PHRASES,
            "written report",
            "medical records department",
        ),
    ),
    "lab": Concept(
        ("other",),
        1.5,
        8,
        (
            "laboratory",
            "lab report",
            "specimen",
            "reference range",
            "reference interval",
            "collected",
            "hemoglobin",
            "hematocrit",
            "glucose",
            "cholesterol",
            "creatinine",
            "wbc",
            "platelets",
            "sodium",
            "potassium",
            "mg/dl",
            "units",
            "flag",
            "abnormal",
            "laboratorio",
            "muestra",
            "valores de referencia",
        ),
    ),
    "insurance": Concept(
        ("other",),
        1.5,
        8,
        (
            "insurance",
            "insurer",
            "policy",
            "policy number",
            "member id",
            "member",
            "group number",
            "benefits",
            "coverage",
            "premium",
            "subscriber",
            "explanation of benefits",
            "claim",
            "deductible",
            "copay",
            "prior authorization",
            "plan",
            "seguro",
            "aseguradora",
            "poliza",
            "cobertura",
        ),
    ),
}
"""Every concept the classifier counts, by name."""

BLANK_MAX_WORDS = 3
"""A page with at most this many confident words is treated as blank."""
BLANK_MIN_CONFIDENCE = 60.0
BLANK_MAX_INK = 0.01
"""Share of a page's pixels that may be ink, once specks are dropped, on a
blank page; printed text covers several percent."""
SOFTMAX_TEMPERATURE = 2.0
EVIDENCE_FOR_FULL_CONFIDENCE = 9.0
"""A winning score below this caps the confidence (too little evidence)."""

_FAX_FIELD = re.compile(
    r"^\s*(to|from|attn|attention|company|re|cc|fax|phone|tel|date|pages|para|de|"
    r"fecha|asunto|telefono|paginas)\s*(?:#|no\.?)?\s*:",
    re.IGNORECASE,
)


@dataclass
class Classification:
    """A type for one page or document, with its evidence."""

    doc_type: str
    confidence: float
    language: str
    scores: dict[str, float] = field(default_factory=dict)
    concepts: dict[str, int] = field(default_factory=dict)
    blank: bool = False
    form_id: str | None = None
    """The registered layout that fits, when one does."""


@lru_cache(maxsize=2)
def concept_finder(language: str) -> PhraseFinder:
    """Return the phrase finder for every concept, built once per language."""
    phrases = {name: list(concept.phrases) for name, concept in CONCEPTS.items()}
    return PhraseFinder(phrases, language)


def count_concepts(text: str, language: str = "en") -> dict[str, int]:
    """Count the occurrences of each concept in ``text``."""
    counts = concept_finder(language).count(text)
    fields = sum(bool(_FAX_FIELD.match(line)) for line in text.splitlines())
    if fields:
        counts["fax_fields"] = fields
    return counts


def score_concepts(counts: dict[str, int]) -> dict[str, float]:
    """Turn concept counts into a score per document type."""
    scores = {doc_type: 0.0 for doc_type in DOC_TYPES}
    for name, count in counts.items():
        if name == "fax_fields":
            # To/From/Pages lines: two or more of them make a cover sheet.
            scores["fax_cover"] += 1.5 * min(count, 5)
            continue
        concept = CONCEPTS[name]
        for doc_type in concept.doc_types:
            scores[doc_type] += concept.weight * min(count, concept.cap)
    return scores


def confidence_from_scores(scores: dict[str, float]) -> tuple[str, float]:
    """Pick the best type and a confidence from the margin and the evidence.

    The confidence is a softmax over the scores, multiplied by a factor
    that reaches 1 only when the winner has ``EVIDENCE_FOR_FULL_CONFIDENCE``
    points. So a page that barely mentions anything never gets 0.9.
    """
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_type, best = ranked[0]
    if best <= 0:
        return "other", 0.3
    exponents = {
        t: math.exp((s - best) / SOFTMAX_TEMPERATURE) for t, s in scores.items()
    }
    probability = 1.0 / sum(exponents.values())
    evidence = min(1.0, best / EVIDENCE_FOR_FULL_CONFIDENCE)
    return best_type, round(probability * (0.5 + 0.5 * evidence), 3)


def is_blank_page(page: Page) -> bool:
    """Return True when the page has (nearly) no confident words and little ink.

    A page whose text OCR could not read (a dark or garbled fax) still
    carries ink, so it is not blank: it is classified from what little
    text it has and gets a low confidence.
    """
    confident = [
        w for w in page.words if w.conf >= BLANK_MIN_CONFIDENCE and _wordlike(w.text)
    ]
    if len(confident) > BLANK_MAX_WORDS:
        return False
    return ink_share(page.image) < BLANK_MAX_INK


def page_text(page: Page) -> str:
    """Return the page text that classification reads (no fax header)."""
    return "\n".join(line.text for line in content_lines(page))


def classify_text(text: str, language: str) -> Classification:
    """Classify a text by its concepts."""
    counts = count_concepts(text, language)
    scores = score_concepts(counts)
    _adjust_for_letters(scores, counts)
    doc_type, confidence = confidence_from_scores(scores)
    return Classification(doc_type, confidence, language, scores, counts)


def classify_page(page: Page) -> Classification:
    """Classify one page on its own."""
    if is_blank_page(page):
        return Classification("other", 0.95, page.language, blank=True)
    return classify_text(page_text(page), page.language)


def _adjust_for_letters(scores: dict[str, float], counts: dict[str, int]) -> None:
    """Weigh legal and report-only wording by whether the text is a letter.

    Law firms and records departments write letters that look like a
    physician's request: there their own concepts decide, and the letter
    concepts they share with a physician's request count for "other" too.
    Outside a letter (a law firm's fax cover sheet) the same words only
    show who sent it, so they count half.
    """
    routing = CONCEPTS["legal"].weight * min(
        counts.get("legal", 0), CONCEPTS["legal"].cap
    )
    report = CONCEPTS["report_only"]
    routing += report.weight * min(counts.get("report_only", 0), report.cap)
    if not routing:
        return
    letter = counts.get("salutation", 0) + counts.get("closing", 0)
    if not letter:
        scores["other"] -= routing / 2
    elif scores["other"] >= 4.0:
        scores["other"] += scores["physician_request"] * 0.5
        scores["physician_request"] *= 0.5


def _wordlike(text: str) -> bool:
    return sum(c.isalnum() for c in text) >= 2
