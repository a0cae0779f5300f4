"""Fictional patients, practices, law firms and exams for the sample corpus.

Every name, address and number here is invented. Telephone numbers use the
555-0100 to 555-0199 range, which is reserved for fiction in North America.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST_NAMES_EN = (
    "James", "Mary", "Robert", "Patricia", "William", "Linda", "Michael",
    "Elizabeth", "David", "Jennifer", "Katherine", "Thomas", "Margaret",
    "Daniel", "Susan", "Christopher", "Dorothy", "Anthony", "Nancy", "Emily",
    "Zoë", "Renée", "Chloé", "Noah", "Ava", "Grace", "Bo", "Al", "Jo", "Ian",
    "Eve", "Oliver", "Bartholomew", "Maximilian", "Anne-Marie", "Jean-Luc",
    "Mary-Kate", "Seán", "Siobhán", "Bjørn", "Desmond", "Harriet", "Theodore",
)
FIRST_NAMES_ES = (
    "José", "María José", "Juan Carlos", "Ana Lucía", "Guadalupe", "Jesús",
    "Sofía", "Ramón", "Inés", "Ángel", "Begoña", "Nicolás", "Martín", "Lucía",
    "Joaquín", "Mónica", "Andrés", "Rocío", "Iñaki", "Raúl", "Francisco",
    "Ximena", "Elena", "Luz", "Pilar",
)
MIDDLE_INITIALS = ("A.", "B.", "C.", "D.", "E.", "J.", "K.", "L.", "M.", "R.")
SURNAMES_EN = (
    "Whitaker", "Okafor", "Lindqvist", "Nakamura", "Brennan", "Castellano",
    "Montgomery-Fitzgerald", "Kowalski-Brandt", "Li", "Ng", "Wu", "O'Brien",
    "MacAllister", "Delacroix", "Haddad", "Petrov", "Abernathy", "Greenberg",
    "Nguyen", "Patel", "Johansson", "Dubois", "Kim", "Byrne", "Sato", "Hale",
    "Vandermeer", "Ashworth", "Quintero", "Szymańska", "Løvland", "Fairweather",
    "Oyelaran", "Thistlewood", "Rahimi", "Achterberg",
)
SURNAMES_ES = (
    "Gutiérrez Ochoa", "Hernández de la Cruz", "Ramírez Peña", "Núñez Salazar",
    "Ibáñez Castro", "Domínguez Ortega", "Muñoz Beltrán", "Peña-Cordero",
    "Fernández Ríos", "Jiménez Soto", "Álvarez", "Morales", "Cárdenas Vega",
    "Echeverría Luna", "Orozco", "Saldaña Ruiz", "Villaseñor", "Zúñiga Paz",
)
NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Beth", "Katherine": "Kate",
    "Margaret": "Peggy", "Michael": "Mike", "Christopher": "Chris",
    "Thomas": "Tom", "Daniel": "Dan", "Anthony": "Tony", "José": "Pepe",
    "Francisco": "Paco", "Guadalupe": "Lupita", "Jesús": "Chuy",
    "Theodore": "Ted", "Patricia": "Patty", "Jennifer": "Jenny",
    "Dorothy": "Dot", "Maximilian": "Max", "Bartholomew": "Bart",
}

STREETS = (
    "Alder St", "Birchwood Ave", "Cedar Hollow Rd", "Dunmore Ct",
    "Elk Meadow Ln", "Foxglove Way", "Glenhaven Dr", "Hawthorne Blvd",
    "Ironwood Pl", "Juniper Ridge Rd", "Kingfisher Loop", "Larkspur Ter",
    "Maple Crest Dr", "Nettle Creek Rd", "Osprey Point Way",
)
CITIES = (
    ("Fairhaven", "OR", "97058"), ("Corvallis", "OR", "97330"),
    ("Salem", "OR", "97301"), ("Eugene", "OR", "97401"),
    ("Albany", "OR", "97321"), ("The Dalles", "OR", "97058"),
    ("Hood River", "OR", "97031"), ("Vancouver", "WA", "98660"),
)


@dataclass(frozen=True)
class Exam:
    """An imaging study, described in English and in Spanish."""

    en: str
    es: str
    modality: str

    def describe(self, language: str) -> str:
        """Return the description in ``language`` ("en" or "es")."""
        return self.es if language == "es" else self.en


EXAMS = (
    Exam("CT abdomen and pelvis with contrast",
         "Tomografía de abdomen y pelvis con contraste", "CT"),
    Exam("CT head without contrast", "Tomografía de cráneo sin contraste", "CT"),
    Exam("CT chest with contrast", "Tomografía de tórax con contraste", "CT"),
    Exam("CT angiogram chest", "Angiotomografía de tórax", "CT"),
    Exam("MRI lumbar spine without contrast",
         "Resonancia magnética de columna lumbar sin contraste", "MR"),
    Exam("MRI left knee", "Resonancia magnética de rodilla izquierda", "MR"),
    Exam("MRI brain with and without contrast",
         "Resonancia magnética de cerebro con y sin contraste", "MR"),
    Exam("MRI right shoulder", "Resonancia magnética de hombro derecho", "MR"),
    Exam("X-ray chest 2 views", "Radiografía de tórax, 2 proyecciones", "XR"),
    Exam("X-ray left wrist 3 views",
         "Radiografía de muñeca izquierda, 3 proyecciones", "XR"),
    Exam("Ultrasound right upper quadrant",
         "Ecografía de cuadrante superior derecho", "US"),
    Exam("Ultrasound pelvis", "Ecografía pélvica", "US"),
    Exam("Mammogram bilateral screening", "Mamografía bilateral de detección",
         "MG"),
    Exam("Nuclear medicine bone scan", "Gammagrafía ósea", "NM"),
    Exam("PET/CT skull base to mid-thigh",
         "PET/CT de base de cráneo a mitad del muslo", "PT"),
    Exam("DEXA bone density", "Densitometría ósea", "DX"),
)


@dataclass(frozen=True)
class Physician:
    """A physician with the credentials printed after the name."""

    name: str
    credentials: str
    title: str = "Dr."

    @property
    def signed_name(self) -> str:
        """The name as typed under a signature, with credentials."""
        return f"{self.name}, {self.credentials}"


@dataclass(frozen=True)
class Practice:
    """A fictional practice or firm with its letterhead design."""

    key: str
    name: str
    address: tuple[str, ...]
    phone: str
    fax: str
    physicians: tuple[Physician, ...] = ()
    language: str = "en"
    specialty: str = ""
    style: dict[str, str] = field(default_factory=dict)
    """Letterhead design: logo shape, alignment, fonts and rules."""

    @property
    def fax_digits(self) -> str:
        """The fax number as NPA-NXX-XXXX, the form the ground truth uses."""
        return normalize_phone(self.fax)


def normalize_phone(text: str) -> str:
    """Return a ten-digit North American number as ``NPA-NXX-XXXX``."""
    digits = "".join(ch for ch in text if ch.isdigit())[-10:]
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


PRACTICES = (
    Practice(
        "cascade_ortho", "Cascade Orthopedic Associates",
        ("1820 NW Lovejoy St, Suite 210", "Portland, OR 97209"),
        "(503) 555-0147", "(503) 555-0148",
        (Physician("Rebecca Thornton", "MD"), Physician("Samuel Okafor", "MD")),
        specialty="Orthopedic Surgery and Sports Injuries",
        style={"logo": "mountains", "align": "left", "font": "Helvetica-Bold",
               "rule": "single"},
    ),
    Practice(
        "willow_bend", "Willow Bend Family Medicine",
        ("77 Willow Bend Road", "Corvallis, OR 97330"),
        "541.555.0162", "541.555.0163",
        (Physician("Priya Raman", "MD"), Physician("Gordon Whitfield", "DO")),
        specialty="Family Medicine",
        style={"logo": "leaf", "align": "center", "font": "Times-Bold",
               "rule": "double"},
    ),
    Practice(
        "northgate_neuro", "Northgate Neurology Clinic",
        ("4500 Northgate Blvd, Building C", "Salem, OR 97301"),
        "(503) 555-0171", "(503) 555-0172",
        (Physician("Helena Lindqvist", "MD, PhD"),),
        specialty="Neurology | Headache | Epilepsy",
        style={"logo": "initials", "align": "right", "font": "Helvetica-Bold",
               "rule": "bar"},
    ),
    Practice(
        "sunrise_peds", "Sunrise Pediatrics",
        ("230 E 5th Ave", "Eugene, OR 97401"),
        "541-555-0184", "541-555-0185",
        (Physician("Marcus Bellamy", "MD, FAAP"), Physician("Yuki Tanabe", "MD")),
        specialty="Care for children from birth to 21",
        style={"logo": "sun", "align": "left", "font": "Helvetica-Bold",
               "rule": "none", "contact": "block_right"},
    ),
    Practice(
        "bayside_onc", "Bayside Oncology Partners",
        ("900 Harbor Way, Suite 400", "Coos Bay, OR 97420"),
        "(541) 555-0191", "(541) 555-0192",
        (Physician("Amara Osei", "MD"), Physician("Conrad Vielhaber", "MD")),
        specialty="Medical and Radiation Oncology",
        style={"logo": "ring", "align": "left", "font": "Helvetica-Bold",
               "rule": "banner"},
    ),
    Practice(
        "san_rafael", "Clínica Médica San Rafael",
        ("1450 SE Division St", "Portland, OR 97202"),
        "(971) 555-0133", "(971) 555-0134",
        (Physician("Lucía Fernández Ríos", "MD", "Dra."),
         Physician("Andrés Peña Salgado", "MD")),
        language="es",
        specialty="Medicina General y Medicina Interna",
        style={"logo": "cross", "align": "center", "font": "Times-Bold",
               "rule": "single"},
    ),
    Practice(
        "pinecrest_sports", "Pinecrest Sports Medicine",
        ("615 Pinecrest Dr", "Bend, OR 97702"),
        "(541) 555-0126", "(541) 555-0127",
        (Physician("Ethan Marlowe", "DO"),),
        specialty="Sports Medicine and Physical Rehabilitation",
        style={"logo": "wave", "align": "sidebar", "font": "Helvetica-Bold",
               "rule": "none"},
    ),
    Practice(
        "riverside_gi", "Riverside Gastroenterology",
        ("2210 Columbia House Blvd", "Vancouver, WA 98661"),
        "(360) 555-0155", "(360) 555-0156",
        (Physician("Naveen Kapoor", "MD, FACG"),),
        specialty="Digestive and Liver Health",
        style={"logo": "initials", "align": "left", "font": "Times-Bold",
               "rule": "thick"},
    ),
)

LAW_FIRMS = (
    Practice(
        "hartwell", "Hartwell, Ames & Delgado LLP",
        ("1001 SW Fifth Avenue, Suite 1700", "Portland, OR 97204"),
        "(503) 555-0110", "(503) 555-0111",
        (Physician("Jonathan Ames", "Attorney at Law", ""),
         Physician("Carla Mendes", "Paralegal", "")),
        specialty="Personal Injury | Workers' Compensation",
        style={"logo": "pillar", "align": "center", "font": "Times-Bold",
               "rule": "double"},
    ),
    Practice(
        "brightwater", "Brightwater Injury Law, P.C.",
        ("388 State St, Suite 5", "Salem, OR 97301"),
        "(503) 555-0119", "(503) 555-0120",
        (Physician("Dana Whitlock", "Attorney", ""),),
        specialty="Serious injury and accident claims",
        style={"logo": "none", "align": "left", "font": "Times-Bold",
               "rule": "single"},
    ),
)

INSURERS = (
    Practice(
        "cascade_mutual", "Cascade Mutual Health Plan",
        ("PO Box 4410", "Salem, OR 97309"), "1-800-555-0140", "(503) 555-0141",
        style={"logo": "ring", "align": "left", "font": "Helvetica-Bold",
               "rule": "single"},
    ),
    Practice(
        "evergreen_benefits", "Evergreen Benefit Administrators",
        ("5600 Meadows Rd", "Lake Oswego, OR 97035"), "1-888-555-0150",
        "(503) 555-0151",
        style={"logo": "leaf", "align": "right", "font": "Helvetica-Bold",
               "rule": "thick"},
    ),
)

LABS = (
    Practice(
        "fairhaven_lab", "Fairhaven Diagnostic Laboratory",
        ("18 Depot St", "Fairhaven, OR 97058"), "(541) 555-0175",
        "(541) 555-0176",
        (Physician("Moira Castellane", "MD"),),
        specialty="CLIA-certified clinical laboratory",
        style={"logo": "ring", "align": "left", "font": "Helvetica-Bold",
               "rule": "single"},
    ),
)

OTHER_RECIPIENTS = (
    ("Lakeshore Second Opinion Clinic", "12 Harbor Lane\nAstoria, OR 97103"),
    ("Cascade Mutual Health Plan, Claims Dept.", "PO Box 4410\nSalem, OR 97309"),
    ("Summit Physical Therapy", "4410 Ridgeview Dr, Suite B\nBend, OR 97701"),
    ("Providence Hills Medical Group", "220 Crestline Ave\nMedford, OR 97504"),
)

INSIDE_PHYSICIANS = (
    Physician("Oksana Veretennikova", "MD"),
    Physician("Daniel Achebe", "MD"),
    Physician("Marguerite Lavoie", "DO"),
)


@dataclass
class Patient:
    """A fictional patient and the exam their request is about."""

    first: str
    last: str
    dob: date
    mrn: str
    """Eight digits, the form the ground truth uses."""
    phone: str
    street: str
    city: str
    state: str
    zip_code: str
    language: str
    exam: Exam
    exam_date: date
    middle: str = ""
    written_first: str | None = None
    """First name as the documents show it (a nickname), if it differs."""
    written_last: str | None = None
    """Surname as the documents show it (a typo), if it differs."""
    representative: tuple[str, str] | None = None
    """(name, authority) of the person who signs for the patient, if any."""

    @property
    def full_name(self) -> str:
        """The name as registered, which the request list uses."""
        parts = [self.first, self.middle, self.last]
        return " ".join(part for part in parts if part)

    @property
    def written_name(self) -> str:
        """The name as the patient's documents show it."""
        parts = [self.written_first or self.first, self.middle,
                 self.written_last or self.last]
        return " ".join(part for part in parts if part)

    @property
    def address_lines(self) -> tuple[str, str]:
        """Street line and city line."""
        return (self.street, f"{self.city}, {self.state} {self.zip_code}")

    def age_on(self, day: date) -> int:
        """Return the patient's age in whole years on ``day``."""
        years = day.year - self.dob.year
        if (day.month, day.day) < (self.dob.month, self.dob.day):
            years -= 1
        return years


def make_patient(rng: random.Random, as_of: date, language: str,
                 taken: list[str]) -> Patient:
    """Draw a new patient whose registered name is not in ``taken``.

    Args:
        rng: The generator's seeded random source.
        as_of: Processing date; exams fall in the 400 days before it.
        language: "es" gives a Hispanic name and Spanish documents.
        taken: Names already used; the new name is appended to it.
    """
    for _ in range(200):
        first, last = _draw_name(rng, language)
        middle = rng.choice(MIDDLE_INITIALS) if rng.random() < 0.25 else ""
        name = " ".join(part for part in (first, middle, last) if part)
        if name not in taken:
            break
    taken.append(name)

    dob = _draw_birth_date(rng, as_of)
    city, state, zip_code = rng.choice(CITIES)
    patient = Patient(
        first=first,
        middle=middle,
        last=last,
        dob=dob,
        mrn=f"{rng.randint(100, 9999):04d}{rng.randint(0, 9999):04d}",
        phone=f"({rng.choice(('541', '503', '971', '458'))}) 555-01"
        f"{rng.randint(0, 99):02d}",
        street=f"{rng.randint(12, 9870)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        zip_code=zip_code,
        language=language,
        exam=rng.choice(EXAMS),
        exam_date=as_of - timedelta(days=rng.randint(5, 400)),
    )
    if patient.age_on(as_of) < 18:
        patient.representative = _draw_parent(rng, patient)
    elif patient.age_on(as_of) > 80 and rng.random() < 0.5:
        patient.representative = _draw_agent(rng, patient)
    return patient


def _draw_name(rng: random.Random, language: str) -> tuple[str, str]:
    if language == "es":
        return rng.choice(FIRST_NAMES_ES), rng.choice(SURNAMES_ES)
    return rng.choice(FIRST_NAMES_EN), rng.choice(SURNAMES_EN)


def _draw_birth_date(rng: random.Random, as_of: date) -> date:
    if rng.random() < 0.15:
        age_days = rng.randint(2 * 365, 17 * 365)
    else:
        age_days = rng.randint(19 * 365, 92 * 365)
    return as_of - timedelta(days=age_days)


def _draw_parent(rng: random.Random, patient: Patient) -> tuple[str, str]:
    pool = FIRST_NAMES_ES if patient.language == "es" else FIRST_NAMES_EN
    parent_first = rng.choice([name for name in pool if name != patient.first])
    # The parent's first name is drawn without a sex, so the authority
    # avoids words such as "Mother" that would contradict it.
    if patient.language == "es":
        authority = rng.choice(("Padre o madre", "Tutor legal"))
    else:
        authority = rng.choice(("Parent", "Legal guardian"))
    return f"{parent_first} {patient.last}", authority


def _draw_agent(rng: random.Random, patient: Patient) -> tuple[str, str]:
    pool = FIRST_NAMES_ES if patient.language == "es" else FIRST_NAMES_EN
    agent_first = rng.choice([name for name in pool if name != patient.first])
    if patient.language == "es":
        authority = rng.choice(("Poder notarial", "Tutor legal"))
    else:
        authority = rng.choice(("Health care POA", "Power of attorney",
                                "Spouse", "Court-appointed guardian"))
    return f"{agent_first} {patient.last}", authority


def nickname_of(first: str) -> str | None:
    """Return a common nickname for ``first``, if there is one."""
    return NICKNAMES.get(first)


def misspell(name: str, rng: random.Random) -> str:
    """Return ``name`` with one plausible typing error.

    The error is a dropped accent when the name has one, otherwise two
    neighbouring letters swapped or one letter doubled.
    """
    plain = name.translate(str.maketrans("áéíóúÁÉÍÓÚñ", "aeiouAEIOUn"))
    if plain != name:
        return plain
    letters = [i for i in range(1, len(name) - 1)
               if name[i].isalpha() and name[i + 1].isalpha()
               and name[i] != name[i + 1]]
    if not letters:
        return name + name[-1]
    index = rng.choice(letters)
    if rng.random() < 0.5:
        return name[:index] + name[index + 1] + name[index] + name[index + 2:]
    return name[:index] + name[index] + name[index:]
