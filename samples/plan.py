"""Plan a corpus: which files, which documents in each, and the request list.

Planning is cheap and fully determined by the seed and options, so every
worker process plans the whole corpus again and then renders its share of
the files. Nothing here draws; the documents carry their own page drawers.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from intake.forms import Layout
from intake.reasons import Reason
from samples.covers import PRINT_SHOP, CoverFacts, fax_cover
from samples.fill import FormContext, plan_form
from samples.letters import (
    blank_page,
    insurance_letter,
    lab_report,
    legal_letter,
    physician_letter,
    report_only_letter,
)
from samples.people import (
    EXAMS,
    FIRST_NAMES_EN,
    FIRST_NAMES_ES,
    INSIDE_PHYSICIANS,
    INSURERS,
    LAW_FIRMS,
    OTHER_RECIPIENTS,
    PRACTICES,
    Patient,
    Practice,
    make_patient,
    misspell,
    nickname_of,
)
from samples.truth import SampleDocument

logger = logging.getLogger(__name__)

TRANSPORT_SHARES = (("fax", 0.35), ("scan", 0.35), ("image", 0.10),
                    ("pdf_text", 0.20))
EXTENSIONS = {"fax": "tif", "scan": "pdf", "pdf_text": "pdf"}
PREFIXES = {"fax": "fax", "scan": "scan", "image": "image", "pdf_text": "efax"}

BUNDLE_WEIGHTS = (
    ("physician", 30), ("patient_forms", 22), ("single_form", 12),
    ("single_letter", 8), ("two_patients", 7), ("legal", 7),
    ("report_only", 6), ("lab_or_insurance", 5), ("cover_only", 2),
    ("blank_page", 1),
)
IMAGE_BUNDLE_WEIGHTS = (
    ("single_form", 50), ("single_letter", 20), ("report_only", 8),
    ("legal_letter", 6), ("insurance", 5), ("cover_only", 4), ("blank_page", 3),
)
REQUIRED_BUNDLES = (
    ("physician", "fax"), ("two_patients", "scan"), ("legal", "fax"),
    ("report_only", "pdf_text"), ("physician_es", "scan"), ("blank_page", "scan"),
    ("lab_or_insurance", "fax"), ("cover_only", "fax"), ("insurance", "image"),
    ("single_form", "image"), ("patient_forms", "pdf_text"), ("legal", "scan"),
)
"""Bundles every corpus gets, as far as its transports allow. They make even a
small corpus contain each kind of file. The other files are drawn by weight."""
LETTER_DEFECT_RATE = 0.2
LETTER_DEFECTS = ((Reason.DATE_OF_BIRTH_MISSING, 3), (Reason.EXAM_MISSING, 3),
                  (Reason.PATIENT_NAME_MISSING, 1))
SPANISH_SHARE = 0.2


@dataclass
class Requester:
    """The requester of a patient's images, as the request list records it."""

    kind: str
    """patient, inside_physician, outside_physician or legal."""
    name: str
    contact: str


@dataclass
class Source:
    """One file of the corpus and the documents it contains, in page order."""

    index: int
    kind: str
    """fax, scan, image or pdf_text."""
    transport: str
    """The detailed transport written into the truth, such as fax_g4_fine."""
    name: str
    bundle: str
    documents: list[SampleDocument]
    sender: tuple[str, str]
    """(name, fax number) for the fax header."""
    sent: datetime
    options: dict[str, object] = field(default_factory=dict)


@dataclass
class CorpusPlan:
    """Every file, every patient and the open-request list of one corpus."""

    sources: list[Source]
    requests: list[dict[str, str]]
    request_of: dict[str, str]
    """Patient key to the request id its documents should match."""
    decoys: list[dict[str, str]]
    name_variants: list[dict[str, str]]


class Planner:
    """Draws the corpus from one seeded random source."""

    def __init__(self, seed: int, as_of: date, layouts: list[Layout]) -> None:
        self.rng = random.Random(f"samples/{seed}")
        self.as_of = as_of
        self.layouts = layouts
        self.taken: list[str] = []
        self.patients: list[Patient] = []
        self.requesters: dict[str, Requester] = {}
        self.variant_count = {"nickname": 0, "typo": 0}

    # ------------------------------------------------------------ patients

    def new_patient(self, language: str | None = None) -> Patient:
        """Draw a new patient; a few get a nickname or a typo on their papers."""
        if language is None:
            language = "es" if self.rng.random() < SPANISH_SHARE else "en"
        patient = make_patient(self.rng, self.as_of, language, self.taken)
        nickname = nickname_of(patient.first)
        if nickname and self.variant_count["nickname"] < 2:
            patient.written_first = nickname
            self.variant_count["nickname"] += 1
        elif len(self.patients) % 9 == 4 and self.variant_count["typo"] < 2:
            typo = misspell(patient.last, self.rng)
            if typo != patient.last:
                patient.written_last = typo
                self.variant_count["typo"] += 1
        self.patients.append(patient)
        return patient

    def layout_for(self, doc_type: str, language: str) -> Layout | None:
        """Pick an enabled edition of ``doc_type``, preferring ``language``.

        Registered editions are drawn twice as often as held-out ones.
        """
        editions = [lay for lay in self.layouts if lay.doc_type == doc_type]
        preferred = [lay for lay in editions if lay.language == language]
        pool = preferred or editions
        if not pool:
            return None
        weights = [2 if layout.registered else 1 for layout in pool]
        return self.rng.choices(pool, weights)[0]

    def form(self, patient: Patient, doc_type: str, typed: bool,
             recipient: tuple[str, str] | None = None,
             recipient_fax: str | None = None,
             legal: bool = False) -> list[SampleDocument]:
        """Return a filled form, or nothing when no edition is enabled."""
        layout = self.layout_for(doc_type, patient.language)
        if layout is None:
            return []
        context = FormContext(patient, self.as_of, typed=typed, recipient=recipient,
                              recipient_fax=recipient_fax, legal=legal)
        return [plan_form(self.rng, layout, context)]

    def _letter_defect(self) -> Reason | None:
        if self.rng.random() >= LETTER_DEFECT_RATE:
            return None
        reasons, weights = zip(*LETTER_DEFECTS, strict=True)
        return self.rng.choices(reasons, weights)[0]

    def _recipient(self) -> tuple[tuple[str, str], str | None]:
        if self.rng.random() < 0.5:
            practice = self.rng.choice(PRACTICES)
            return (practice.name, "\n".join(practice.address)), practice.fax
        return self.rng.choice(OTHER_RECIPIENTS), None

    def _day(self) -> date:
        return self.as_of - timedelta(days=self.rng.randint(0, 6))

    def _patient_requester(self, patient: Patient) -> Requester:
        if self.rng.random() < 0.3:
            doctor = self.rng.choice(INSIDE_PHYSICIANS)
            return Requester("inside_physician", doctor.signed_name,
                             f"ext. {self.rng.randint(4000, 4999)}")
        return Requester("patient", patient.full_name, patient.phone)

    def _physician_requester(self, practice: Practice,
                             index: int = 0) -> Requester:
        doctor = practice.physicians[index]
        return Requester("outside_physician", doctor.signed_name,
                         f"fax {practice.fax}")

    # ------------------------------------------------------------ bundles

    def bundle(self, kind: str, transport: str) -> tuple[list[SampleDocument],
                                                          tuple[str, str], str]:
        """Build the documents of one file.

        Returns:
            The documents in page order, the sender (name, fax) for the fax
            header, and the bundle kind actually built.
        """
        typed = transport == "pdf_text"
        builder = getattr(self, f"_bundle_{kind}")
        documents, sender = builder(transport, typed)
        return documents, sender, kind

    def _with_cover(self, documents: list[SampleDocument], transport: str,
                    sender: tuple[str, str, str, str], practice: Practice | None,
                    subject: str, chance: dict[str, float]) -> list[SampleDocument]:
        if self.rng.random() >= chance.get(transport, 0.0):
            return documents
        pages = 1 + sum(len(document.pages) for document in documents)
        facts = CoverFacts(
            sender=sender[0], sender_name=sender[1], sender_phone=sender[2],
            sender_fax=sender[3], day=self._day(), pages=pages, subject=subject,
            message=self.rng.choice((
                "Please see the attached request and signed authorization.",
                "Request for images on CD - authorization attached.",
                "Please call with any questions. Thank you.",
            )),
        )
        return [fax_cover(self.rng, facts, practice), *documents]

    def _subject(self, patient: Patient) -> str:
        if self.rng.random() < 0.5:
            return f"Images for {patient.written_name}"
        return self.rng.choice(("Imaging records request", "Request for images",
                                "Records request"))

    def _bundle_physician_es(self, transport: str, typed: bool):
        spanish = [p for p in PRACTICES if p.language == "es"]
        return self._bundle_physician(transport, typed, self.rng.choice(spanish))

    def _bundle_physician(self, transport: str, typed: bool,
                          practice: Practice | None = None):
        practice = practice or self.rng.choice(PRACTICES)
        index = self.rng.randrange(len(practice.physicians))
        physician = practice.physicians[index]
        patient = self.new_patient("es" if practice.language == "es" else None)
        documents = [physician_letter(self.rng, practice, physician, patient,
                                      self._day(), self._letter_defect())]
        draw = self.rng.random()
        recipient = (practice.name, "\n".join(practice.address))
        if draw < 0.75:
            documents += self.form(patient, "release_images", typed)
        if draw > 0.3:
            documents += self.form(patient, "third_party_release", typed, recipient,
                                   practice.fax)
        if self.rng.random() < 0.1:
            documents.append(lab_report(self.rng, patient, self._day(), physician))
        self.requesters[patient.full_name] = self._physician_requester(practice,
                                                                       index)
        sender = (practice.name, physician.signed_name, practice.phone,
                  practice.fax)
        documents = self._with_cover(documents, transport, sender, practice,
                                     self._subject(patient),
                                     {"fax": 0.75, "pdf_text": 0.5, "scan": 0.1})
        return documents, (practice.name, practice.fax)

    def _patient_documents(self, patient: Patient, typed: bool,
                           count: int) -> list[SampleDocument]:
        documents = self.form(patient, "release_images", typed)
        if count > 1 or not documents:
            recipient, fax = self._recipient()
            documents += self.form(patient, "third_party_release", typed,
                                   recipient, fax)
        return documents

    def _bundle_patient_forms(self, transport: str, typed: bool):
        patient = self.new_patient()
        documents = self._patient_documents(patient, typed, self.rng.choice((1, 2, 2)))
        extra = self.rng.random()
        if extra < 0.1:
            documents.append(insurance_letter(self.rng, self.rng.choice(INSURERS),
                                              patient, self._day()))
        elif extra < 0.2 and transport == "scan":
            documents.insert(self.rng.randrange(len(documents) + 1), blank_page())
        self.requesters[patient.full_name] = self._patient_requester(patient)
        shop_fax = PRINT_SHOP[2]
        sender = (PRINT_SHOP[0], patient.full_name, patient.phone, shop_fax)
        documents = self._with_cover(documents, transport, sender, None,
                                     "Release forms", {"fax": 0.5})
        return documents, (PRINT_SHOP[0], shop_fax)

    def _bundle_single_form(self, transport: str, typed: bool):
        patient = self.new_patient()
        doc_type = self.rng.choice(("release_images", "third_party_release"))
        recipient, fax = self._recipient()
        documents = self.form(patient, doc_type, typed, recipient, fax)
        if not documents:
            documents = self._patient_documents(patient, typed, 1)
        self.requesters[patient.full_name] = self._patient_requester(patient)
        return documents, (PRINT_SHOP[0], PRINT_SHOP[2])

    def _bundle_single_letter(self, transport: str, typed: bool):
        practice = self.rng.choice(PRACTICES)
        index = self.rng.randrange(len(practice.physicians))
        patient = self.new_patient("es" if practice.language == "es" else "en")
        documents = [physician_letter(self.rng, practice, practice.physicians[index],
                                      patient, self._day(), self._letter_defect())]
        self.requesters[patient.full_name] = self._physician_requester(practice,
                                                                       index)
        return documents, (practice.name, practice.fax)

    def _bundle_two_patients(self, transport: str, typed: bool):
        documents: list[SampleDocument] = []
        for _ in range(2):
            patient = self.new_patient()
            documents += self._patient_documents(patient, typed,
                                                 self.rng.choice((1, 2)))
            self.requesters[patient.full_name] = self._patient_requester(patient)
        return documents, (PRINT_SHOP[0], PRINT_SHOP[2])

    def _bundle_legal(self, transport: str, typed: bool):
        firm = self.rng.choice(LAW_FIRMS)
        patient = self.new_patient("en")
        documents = [legal_letter(self.rng, firm, patient, self._day())]
        documents += self.form(patient, "third_party_release", typed,
                               (firm.name, "\n".join(firm.address)), firm.fax,
                               legal=True)
        self.requesters[patient.full_name] = Requester(
            "legal", firm.name, f"phone {firm.phone}, fax {firm.fax}")
        sender = (firm.name, firm.physicians[-1].name, firm.phone, firm.fax)
        documents = self._with_cover(documents, transport, sender, firm,
                                     "Records request", {"fax": 0.6, "pdf_text": 0.4})
        return documents, (firm.name, firm.fax)

    def _bundle_legal_letter(self, transport: str, typed: bool):
        firm = self.rng.choice(LAW_FIRMS)
        patient = self.new_patient("en")
        self.requesters[patient.full_name] = Requester(
            "legal", firm.name, f"phone {firm.phone}, fax {firm.fax}")
        return [legal_letter(self.rng, firm, patient, self._day())], (firm.name,
                                                                     firm.fax)

    def _bundle_report_only(self, transport: str, typed: bool):
        practice = self.rng.choice([p for p in PRACTICES if p.language == "en"])
        patient = self.new_patient("en")
        documents = [report_only_letter(self.rng, practice, patient, self._day())]
        self.requesters[patient.full_name] = self._physician_requester(practice)
        sender = (practice.name, "Medical Records", practice.phone, practice.fax)
        documents = self._with_cover(documents, transport, sender, practice,
                                     "Report request", {"fax": 0.5})
        return documents, (practice.name, practice.fax)

    def _bundle_lab_or_insurance(self, transport: str, typed: bool):
        if self.rng.random() < 0.5:
            return self._bundle_insurance(transport, typed)
        patient = self.new_patient("en")
        doctor = self.rng.choice(PRACTICES).physicians[0]
        self.requesters[patient.full_name] = self._patient_requester(patient)
        return [lab_report(self.rng, patient, self._day(), doctor)], (
            "Fairhaven Diagnostic Lab", "(541) 555-0176")

    def _bundle_insurance(self, transport: str, typed: bool):
        insurer = self.rng.choice(INSURERS)
        patient = self.new_patient("en")
        self.requesters[patient.full_name] = self._patient_requester(patient)
        return [insurance_letter(self.rng, insurer, patient, self._day())], (
            insurer.name, insurer.fax)

    def _bundle_cover_only(self, transport: str, typed: bool):
        practice = self.rng.choice(PRACTICES)
        sender = (practice.name, practice.physicians[0].signed_name,
                  practice.phone, practice.fax)
        facts = CoverFacts(sender=sender[0], sender_name=sender[1],
                           sender_phone=sender[2], sender_fax=sender[3],
                           day=self._day(), pages=self.rng.randint(2, 5),
                           subject="Request for images",
                           message="Authorization and request to follow.")
        return [fax_cover(self.rng, facts, practice)], (practice.name, practice.fax)

    def _bundle_blank_page(self, transport: str, typed: bool):
        return [blank_page()], (PRINT_SHOP[0], PRINT_SHOP[2])


def transport_kinds(count: int, rng: random.Random) -> list[str]:
    """Return ``count`` transport kinds in ``TRANSPORT_SHARES`` proportions.

    Shares are rounded down and the remainder goes to the kinds with the
    largest fractional parts, so counts never drift by more than one file.
    """
    exact = [(kind, share * count) for kind, share in TRANSPORT_SHARES]
    counts = {kind: int(value) for kind, value in exact}
    remainder = count - sum(counts.values())
    by_fraction = sorted(exact, key=lambda item: item[1] - int(item[1]),
                         reverse=True)
    for kind, _ in by_fraction[:remainder]:
        counts[kind] += 1
    kinds = [kind for kind, _ in TRANSPORT_SHARES for _ in range(counts[kind])]
    rng.shuffle(kinds)
    return kinds


def _detail_transport(kind: str, rng: random.Random) -> tuple[str, dict[str, object]]:
    if kind == "fax":
        compression = rng.choice(("group3", "group4"))
        fine = rng.random() < 0.65
        name = f"fax_{'g3' if compression == 'group3' else 'g4'}_"
        return name + ("fine" if fine else "normal"), {
            "compression": compression, "fine": fine}
    if kind == "scan":
        mode = "L" if rng.random() < 0.6 else "1"
        if mode == "L":
            dpi = rng.choices((150, 200, 300), (45, 45, 10))[0]
        else:
            dpi = rng.choice((200, 300, 300))
        label = "gray" if mode == "L" else "bw"
        return f"scan_{label}_{dpi}", {"mode": mode, "dpi": dpi}
    if kind == "image":
        extension = "png" if rng.random() < 0.6 else "jpg"
        dpi = rng.choice((150, 200))
        label = "png" if extension == "png" else "jpeg"
        return f"image_{label}", {"extension": extension, "dpi": dpi}
    return "pdf_text", {"efax_header": rng.random() < 0.6}


def plan_corpus(seed: int, count: int, as_of: date,
                layouts: list[Layout]) -> CorpusPlan:
    """Plan every file of a corpus and its open-request list."""
    planner = Planner(seed, as_of, layouts)
    rng = planner.rng
    kinds = transport_kinds(count, rng)
    required = _place_required(kinds)
    sources: list[Source] = []
    for index, kind in enumerate(kinds, start=1):
        transport, options = _detail_transport(kind, rng)
        weights = IMAGE_BUNDLE_WEIGHTS if kind == "image" else BUNDLE_WEIGHTS
        names, values = zip(*weights, strict=True)
        bundle = rng.choices(names, values)[0]
        documents, sender, bundle = planner.bundle(required.get(index, bundle), kind)
        if kind == "image" and sum(len(doc.pages) for doc in documents) > 1:
            documents, sender, bundle = planner.bundle("single_form", kind)
        extension = options.get("extension") or EXTENSIONS[kind]
        day = as_of - timedelta(days=rng.randint(0, 3))
        sources.append(Source(
            index=index, kind=kind, transport=transport,
            name=f"{PREFIXES[kind]}-{index:04d}.{extension}", bundle=bundle,
            documents=documents, sender=sender,
            sent=datetime.combine(day, time(rng.randint(7, 18), rng.randint(0, 59))),
            options=options,
        ))
    with_exam = [doc.patient_key for source in sources for doc in source.documents
                 if doc.patient_key and doc.fields.get("exam_date")]
    requests, request_of, decoys, variants = _plan_requests(planner, with_exam)
    return CorpusPlan(sources, requests, request_of, decoys, variants)


def _place_required(kinds: list[str]) -> dict[int, str]:
    """Assign each of ``REQUIRED_BUNDLES`` to the first free file of its
    transport; return bundle kinds by 1-based file index."""
    placed: dict[int, str] = {}
    for bundle, kind in REQUIRED_BUNDLES:
        for index, file_kind in enumerate(kinds, start=1):
            if file_kind == kind and index not in placed:
                placed[index] = bundle
                break
    return placed


def _request_row(patient: Patient, requester: Requester, rng: random.Random,
                 exam_date: date | None = None, exam: str | None = None,
                 name: str | None = None, dob: date | None = None) -> dict[str, str]:
    outside = requester.kind in ("outside_physician", "legal")
    return {
        "requester_type": requester.kind,
        "patient_name": name or patient.full_name,
        "date_of_birth": (dob or patient.dob).isoformat(),
        "mrn": "" if outside and rng.random() < 0.4 else patient.mrn,
        "exam_date": (exam_date or patient.exam_date).isoformat(),
        "exam_description": exam or patient.exam.en,
        "requester_name": requester.name,
        "requester_contact": requester.contact,
    }


def _plan_requests(planner: Planner, with_exam: list[str],
                   ) -> tuple[list[dict[str, str]], dict[str, str],
                              list[dict[str, str]], list[dict[str, str]]]:
    """Build one open request per patient, plus decoys that must not match.

    Decoys: a different person with the same name, a twin (same surname and
    date of birth, another first name), and a second open request of one
    patient for another exam. That patient's documents give the exam date,
    so a matcher can separate the two requests. Patients whose papers
    show a nickname or a typo are listed under their registered name.
    """
    rng = planner.rng
    rows: list[tuple[str, dict[str, str], str | None, str]] = []
    for patient in planner.patients:
        requester = planner.requesters.get(patient.full_name,
                                           Requester("patient", patient.full_name,
                                                     patient.phone))
        rows.append((patient.full_name, _request_row(patient, requester, rng),
                     None, ""))
    candidates = [p for p in planner.patients if not p.written_first
                  and not p.written_last]
    picks = rng.sample(candidates, min(3, len(candidates)))
    dated = [p for p in candidates if p.full_name in with_exam and p not in picks]
    if dated:
        picks.append(rng.choice(dated))
    for position, patient in enumerate(picks):
        requester = Requester("patient", patient.full_name, patient.phone)
        if position < 2:
            other_dob = patient.dob - timedelta(days=rng.randint(400, 9000))
            row = _request_row(patient, requester, rng, dob=other_dob,
                               exam=rng.choice(EXAMS).en,
                               exam_date=planner.as_of - timedelta(
                                   days=rng.randint(5, 300)))
            row["mrn"] = f"{rng.randint(1000, 9999)}{rng.randint(0, 9999):04d}"
            rows.append((f"decoy:{position}", row, "same_name_other_dob",
                         patient.full_name))
        elif position == 2:
            pool = FIRST_NAMES_ES if patient.language == "es" else FIRST_NAMES_EN
            first = rng.choice([name for name in pool if name != patient.first])
            twin = f"{first} {patient.last}"
            row = _request_row(patient, Requester("patient", twin, patient.phone),
                               rng, name=twin, exam=rng.choice(EXAMS).en)
            row["mrn"] = f"{int(patient.mrn) + 1:08d}"
            rows.append((f"decoy:{position}", row, "twin", patient.full_name))
        else:
            other = rng.choice([exam for exam in EXAMS if exam != patient.exam])
            row = _request_row(patient, requester, rng, exam=other.en,
                               exam_date=patient.exam_date + timedelta(
                                   days=rng.randint(20, 90)))
            rows.append((f"decoy:{position}", row, "second_request",
                         patient.full_name))
    rng.shuffle(rows)

    requests: list[dict[str, str]] = []
    request_of: dict[str, str] = {}
    decoys: list[dict[str, str]] = []
    resembled: list[str] = []
    for number, (key, row, decoy, original) in enumerate(rows, start=1):
        request_id = f"REQ-{number:05d}"
        requests.append({"request_id": request_id, **row})
        if decoy:
            decoys.append({"request_id": request_id, "kind": decoy})
            resembled.append(original)
        else:
            request_of[key] = request_id
    for decoy, original in zip(decoys, resembled, strict=True):
        decoy["resembles"] = request_of[original]
    variants = [
        {"request_id": request_of[p.full_name],
         "kind": "nickname" if p.written_first else "typo",
         "written_name": p.written_name}
        for p in planner.patients if p.written_first or p.written_last
    ]
    return requests, request_of, decoys, variants
