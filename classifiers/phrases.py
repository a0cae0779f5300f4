"""Phrases that mark a legal request or a request for the report alone.

The classifier weighs them as evidence that a document is not a release
form or a physician's request, and ``extract.detect_routing`` uses them to
route a request. Each caller adds the phrases that only it needs.
"""

from __future__ import annotations

LEGAL_PHRASES = (
    "law firm",
    "law offices",
    "law office",
    "law group",
    "attorneys at law",
    "attorney at law",
    "attorney",
    "attorneys",
    "esq.",
    "esq",
    "llp",
    "l.l.p.",
    "litigation",
    "injury law",
    "law, p.c.",
    "law p.c.",
    "law pc",
    "law, pc",
    "law pllc",
    "law llc",
    "legal claim",
    "legal action",
    "legal case",
    "legal matter",
    "legal proceedings",
    "legal purposes",
    "injury claim",
    "subpoena",
    "lawsuit",
    "our client",
    "my client",
    "personal injury",
    "deposition",
    "counsel",
    "paralegal",
    "court",
    "abogado",
    "abogados",
    "bufete",
    "litigio",
    "asunto legal",
    "proceso legal",
    "reclamo legal",
    "reclamacion legal",
    "fines legales",
    "citatorio",
    "demanda",
)

REPORT_ONLY_PHRASES = (
    "report only",
    "reports only",
    "only the report",
    "only the radiology report",
    "radiology report only",
    "no images",
    "images are not needed",
    "do not need the images",
    "do not send images",
    "not the images",
    "solo el informe",
    "unicamente el informe",
    "no se requieren imagenes",
)
