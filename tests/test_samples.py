"""Tests for the sample generator (samples/) and the committed corpus."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
from datetime import date
from pathlib import Path

import pdfplumber
import pytesseract
import pytest
from PIL import Image

from intake.forms import LayoutError
from intake.reasons import Reason
from intake.types import DOC_TYPES, STATUSES
from samples.dates import format_date
from samples.generate import generate, main, render_source, select_editions
from samples.layout import PAGE_HEIGHT, PAGE_WIDTH, SampleCanvas
from samples.pen import choose_font
from samples.plan import plan_corpus
from samples.truth import FIELD_KEYS, SampleDocument, expected_status

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "samples" / "corpus"
AS_OF = date(2026, 3, 16)
SMALL_COUNT = 12
TRUTH_KEYS = {"source", "pages", "doc_type", "language", "edition", "fields",
              "checks", "blank_fields", "status", "reasons", "transport",
              "request_id", "notes", "page_transforms"}

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(5, out, count=SMALL_COUNT, as_of=AS_OF, jobs=1)
    return out


def _truth(folder: Path) -> dict[Path, list[dict]]:
    records = {}
    for path in sorted(folder.glob("*.truth.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        records[path] = [json.loads(line) for line in lines]
    return records


def _page_count(path: Path) -> int:
    if path.suffix == ".tif":
        with Image.open(path) as image:
            return image.n_frames
    if path.suffix == ".pdf":
        with pdfplumber.open(path) as pdf:
            return len(pdf.pages)
    return 1


def _hashes(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.iterdir())}


def test_generation_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(5, again, count=SMALL_COUNT, as_of=AS_OF, jobs=2)
    assert _hashes(again) == _hashes(corpus)


def test_other_seed_differs(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(6, other, count=3, as_of=AS_OF, jobs=1)
    first = min(corpus.glob("*.truth.jsonl")).read_text(encoding="utf-8")
    assert all(path.read_text(encoding="utf-8") != first
               for path in other.glob("*.truth.jsonl"))


def test_every_source_has_parsable_truth(corpus: Path) -> None:
    truth = _truth(corpus)
    sources = [p for p in corpus.iterdir()
               if p.suffix in (".tif", ".pdf", ".png", ".jpg")]
    assert len(sources) == SMALL_COUNT
    assert len(truth) == SMALL_COUNT
    for path, records in truth.items():
        source = corpus / path.name.removesuffix(".truth.jsonl")
        assert source.exists(), path.name
        assert records, path.name
        for record in records:
            assert set(record) == TRUTH_KEYS, path.name
            assert record["source"] == source.name
            assert record["doc_type"] in DOC_TYPES
            assert record["status"] in STATUSES
            assert set(record["fields"]) == set(FIELD_KEYS)
            assert all(reason in {r.value for r in Reason}
                       for reason in record["reasons"])


def test_truth_pages_cover_source_pages(corpus: Path) -> None:
    for path, records in _truth(corpus).items():
        source = corpus / path.name.removesuffix(".truth.jsonl")
        pages = [page for record in records for page in record["pages"]]
        assert pages == list(range(1, _page_count(source) + 1)), source.name
        for record in records:
            numbers = [info["page"] for info in record["page_transforms"]]
            assert numbers == record["pages"], source.name


def test_file_names_carry_no_hints(corpus: Path) -> None:
    for path in corpus.iterdir():
        if path.suffix in (".tif", ".pdf", ".png", ".jpg"):
            stem = path.stem
            prefix, _, number = stem.partition("-")
            assert prefix in ("fax", "scan", "image", "efax"), path.name
            assert number.isdigit(), path.name
            assert len(number) == 4, path.name


def test_tiffs_have_declared_compression_and_resolution(corpus: Path) -> None:
    faxes = sorted(corpus.glob("fax-*.tif"))
    assert faxes
    for path in faxes:
        record = _truth(corpus)[corpus / f"{path.name}.truth.jsonl"][0]
        _, group, resolution = record["transport"].split("_")
        with Image.open(path) as image:
            for frame in range(image.n_frames):
                image.seek(frame)
                assert image.mode == "1"
                assert image.width == 1728
                assert image.info["compression"] == {"g3": "group3",
                                                     "g4": "group4"}[group]
                expected_y = 196 if resolution == "fine" else 98
                assert image.info["dpi"] == (204.0, float(expected_y))
                assert abs(image.height * 204 / expected_y / 1728 - 11 / 8.5) < 0.02


def test_scans_have_no_text_layer(corpus: Path) -> None:
    scans = sorted(corpus.glob("scan-*.pdf"))
    assert scans
    for path in scans:
        with pdfplumber.open(path) as pdf:
            assert all(not page.chars for page in pdf.pages), path.name
            assert all(page.images for page in pdf.pages), path.name


def test_text_pdfs_have_text_layer(corpus: Path) -> None:
    for path in sorted(corpus.glob("efax-*.pdf")):
        with pdfplumber.open(path) as pdf:
            assert all(page.chars for page in pdf.pages if page.extract_text()
                       is not None), path.name
            assert any(page.chars for page in pdf.pages), path.name


def test_requests_cover_every_patient(corpus: Path) -> None:
    with (corpus / "requests.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [row["request_id"] for row in rows]
    assert len(ids) == len(set(ids))
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    decoys = {decoy["request_id"] for decoy in manifest["decoy_requests"]}
    assert {decoy["kind"] for decoy in manifest["decoy_requests"]} == {
        "same_name_other_dob", "twin", "second_request"}
    used = {record["request_id"] for records in _truth(corpus).values()
            for record in records if record["request_id"]}
    assert used <= set(ids)
    assert not used & decoys
    assert set(ids) - decoys == used


def test_manifest_hashes_match(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5
    assert manifest["as_of"] == AS_OF.isoformat()
    assert len(manifest["files"]) == SMALL_COUNT
    for entry in manifest["files"]:
        path = corpus / entry["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        truth = corpus / entry["truth"]
        assert hashlib.sha256(truth.read_bytes()).hexdigest() == entry["truth_sha256"]


def test_editions_can_be_left_out(tmp_path: Path) -> None:
    generate(3, tmp_path / "held", count=6, as_of=AS_OF, editions="held_out")
    generate(3, tmp_path / "known", count=6, as_of=AS_OF, editions="registered")
    held = {r["edition"] for rs in _truth(tmp_path / "held").values() for r in rs
            if r["edition"]}
    known = {r["edition"] for rs in _truth(tmp_path / "known").values() for r in rs
             if r["edition"]}
    assert held and all(edition.endswith("_rev2") for edition in held)
    assert known and not any(edition.endswith("_rev2") for edition in known)


def test_unknown_edition_rejected() -> None:
    with pytest.raises(LayoutError, match="unknown forms"):
        select_editions("release_images_en,release_images_xx")
    assert main(["--out", "/nonexistent/never-written", "--editions", "nope"]) == 2


def _form(**changes: object) -> SampleDocument:
    document = SampleDocument(
        doc_type="third_party_release", language="en", pages=[],
        fields={"release_to_name": "Summit PT", "release_to_address": "1 Main St",
                "purpose": "Continuing care", "expiry_date": "2026-12-31"},
        signed=True, signature_date=date(2026, 3, 1), xray_checked=True,
    )
    for key, value in changes.items():
        if key in FIELD_KEYS:
            document.fields[key] = value  # type: ignore[assignment]
        else:
            setattr(document, key, value)
    return document


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({}, []),
        ({"signed": False}, ["signature_missing"]),
        ({"signature_date": None}, ["signature_date_missing"]),
        ({"signature_date": date(2026, 3, 17)}, ["signature_date_in_future"]),
        ({"signature_date": AS_OF}, []),
        ({"xray_checked": False}, ["xray_box_unchecked"]),
        ({"release_to_address": None}, ["release_to_missing"]),
        ({"purpose": None}, ["hipaa_purpose_missing"]),
        ({"expiry_date": None}, ["hipaa_expiry_missing"]),
        ({"expiry_date": "2026-03-15"}, ["authorization_expired"]),
        ({"expiry_date": AS_OF.isoformat()}, []),
        ({"representative_name": "Pat Ng"}, ["representative_authority_missing"]),
        ({"signed": False, "purpose": None},
         ["signature_missing", "hipaa_purpose_missing"]),
    ],
)
def test_form_status_rules(changes: dict, reasons: list[str]) -> None:
    status, found = expected_status(_form(**changes), AS_OF)
    assert found == reasons
    assert status == ("rejected" if reasons else "accepted")


def test_expiry_event_alone_is_enough() -> None:
    document = _form(expiry_date=None, expiry_event="End of treatment")
    assert expected_status(document, AS_OF) == ("accepted", [])


def test_law_firm_form_needs_review() -> None:
    clean = _form(extra_reasons=[Reason.LEGAL_REQUEST])
    assert expected_status(clean, AS_OF) == ("needs_review", ["legal_request"])
    unsigned = _form(signed=False, extra_reasons=[Reason.LEGAL_REQUEST])
    assert expected_status(unsigned, AS_OF) == (
        "needs_review", ["signature_missing", "legal_request"])


def test_release_images_ignores_third_party_rules() -> None:
    document = _form(doc_type="release_images", xray_checked=None, purpose=None,
                     release_to_name=None)
    assert expected_status(document, AS_OF) == ("accepted", [])


def test_letter_and_other_status_rules() -> None:
    letter = SampleDocument(doc_type="physician_request", language="en", pages=[],
                            fields={"patient_name": "Al Li",
                                    "exam_description": "CT head"})
    assert expected_status(letter, AS_OF) == ("rejected", ["date_of_birth_missing"])
    legal = SampleDocument(doc_type="other", language="en", pages=[],
                           extra_reasons=[Reason.LEGAL_REQUEST])
    assert expected_status(legal, AS_OF) == (
        "needs_review", ["not_a_release_document", "legal_request"])
    cover = SampleDocument(doc_type="fax_cover", language="en", pages=[])
    assert expected_status(cover, AS_OF) == ("accepted", [])


def test_dates_follow_language_order() -> None:
    day = date(2026, 3, 4)
    assert format_date(day, "mm/dd/yyyy") == "03/04/2026"
    assert format_date(day, "dd/mm/yyyy") == "04/03/2026"
    assert format_date(day, "m-d-yy") == "3-4-26"
    assert format_date(day, "d month yyyy") == "4 marzo 2026"
    assert format_date(day, "month d, yyyy") == "March 4, 2026"
    with pytest.raises(ValueError, match="unknown date style"):
        format_date(day, "yy.mm")


def test_font_choice_covers_accents() -> None:
    rng = random.Random(0)
    for _ in range(30):
        font = choose_font(rng, "Zoë Ibáñez Muñoz")
        assert font.covers("Zoë Ibáñez Muñoz"), font.name


def test_typed_text_draws_letters_outside_winansi() -> None:
    # The standard fonts' encoding has no "ń"; it was drawn as a black box.
    buffer = io.BytesIO()
    canvas = SampleCanvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    canvas.setFont("Times-Italic", 12)
    canvas.drawCentredString(300, 720, "Szymańska")
    canvas.setFont("Helvetica", 12, leading=20)
    canvas.drawString(72, 700, "Patient: Zoë Szymańska")
    canvas.drawRightString(540, 680, "Patient: Zoe Lovland")
    assert (canvas._fontname, canvas._leading) == ("Helvetica", 20)
    canvas.save()
    with pdfplumber.open(buffer) as pdf:
        page = pdf.pages[0]
        # An embedded subset is named "AAAAAA+LiberationSans".
        fonts = {line["text"]: {c["fontname"].split("+")[-1] for c in line["chars"]}
                 for line in page.extract_text_lines()}
    assert fonts["Patient: Zoë Szymańska"] == {"LiberationSans"}
    assert fonts["Patient: Zoe Lovland"] == {"Helvetica"}
    assert fonts["Szymańska"] == {"LiberationSerif-Italic"}


def test_font_choice_covers_accents_beside_a_multiline_address() -> None:
    # A form's written fields are joined into one text, and an address
    # field contains line breaks. They must not push the choice to a font
    # that drops "Ó" and "Ñ".
    text = "MÓNICA VILLASEÑOR 900 HARBOR WAY\nSALEM, OR 97301"
    rng = random.Random(0)
    for _ in range(30):
        font = choose_font(rng, text)
        assert font.covers(text), font.name


def test_fax_page_is_readable_by_tesseract(corpus: Path) -> None:
    records = [record for records in _truth(corpus).values() for record in records
               if record["transport"].startswith("fax")
               and record["doc_type"] == "release_images"]
    assert records, "the small corpus should contain a faxed release form"
    record = records[0]
    with Image.open(corpus / record["source"]) as image:
        image.seek(record["pages"][0] - 1)
        page = image.convert("L")
        if image.info["dpi"][1] < 150:
            page = page.resize((page.width, page.height * 2))
    text = pytesseract.image_to_string(page, lang="eng+spa").lower()
    assert "alder creek" in text
    assert "imágenes" in text or "images" in text


# ------------------------------------------------------------ committed corpus


def _committed_manifest() -> dict:
    path = CORPUS / "manifest.json"
    if not path.exists():
        pytest.skip(f"{path} is absent; run the command in docs/samples.md")
    return json.loads(path.read_text(encoding="utf-8"))


def test_committed_corpus_matches_manifest() -> None:
    manifest = _committed_manifest()
    total = 0
    for entry in manifest["files"]:
        for name, digest in ((entry["name"], entry["sha256"]),
                             (entry["truth"], entry["truth_sha256"])):
            data = (CORPUS / name).read_bytes()
            total += len(data)
            assert hashlib.sha256(data).hexdigest() == digest, name
    assert 60 <= len(manifest["files"]) <= 90
    assert total < 20 * 1024 * 1024


def test_committed_corpus_mix() -> None:
    summary = _committed_manifest()["summary"]
    count = sum(summary["files_by_transport"].values())
    shares = {"fax": 0.35, "scan": 0.35, "image": 0.10, "pdf_text": 0.20}
    for kind, share in shares.items():
        assert abs(summary["files_by_transport"][kind] / count - share) < 0.03, kind
    defect_share = summary["forms_with_defects"] / summary["forms"]
    assert 0.3 <= defect_share <= 0.5


def test_committed_corpus_reproducible(tmp_path: Path) -> None:
    manifest = _committed_manifest()
    layouts = select_editions(",".join(manifest["editions"]))
    as_of = date.fromisoformat(manifest["as_of"])
    plan = plan_corpus(manifest["seed"], manifest["count"], as_of, layouts)
    digests = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    for kind in ("fax", "scan", "image", "pdf_text"):
        source = next(s for s in plan.sources if s.kind == kind)
        entry = render_source(source, tmp_path, manifest["seed"], as_of,
                              plan.request_of)
        assert entry["sha256"] == digests[source.name], source.name
