"""Tests for the form layouts (intake.forms) and their renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest

from intake.forms import (
    FORMS_DIR,
    LayoutError,
    all_layouts,
    list_form_ids,
    load_layout,
    parse_layout,
)
from intake.forms.render import render_form

SIGNATURE_LABELS = {
    "en": "Signature of patient or legal representative",
    "es": "Firma del paciente o representante legal",
}
INFORMATION_GROUP = "information_released"


def test_all_layouts_load() -> None:
    ids = [layout.form_id for layout in all_layouts()]
    assert ids == list_form_ids()
    assert set(ids) >= {
        "release_images_en", "release_images_es", "third_party_release_en",
        "release_images_en_rev2", "release_images_es_rev2",
        "third_party_release_en_rev2",
    }


def test_rev2_editions_are_held_out() -> None:
    for layout in all_layouts():
        expected = "held_out" if layout.form_id.endswith("_rev2") else "registered"
        assert layout.status == expected, layout.form_id


def test_registered_only_excludes_held_out() -> None:
    registered = all_layouts(include_held_out=False)
    assert registered
    assert all(layout.registered for layout in registered)


@pytest.mark.parametrize("form_id", list_form_ids())
def test_form_has_signature_and_date(form_id: str) -> None:
    layout = load_layout(form_id)
    signature = layout.signature
    assert signature is not None
    assert signature.kind == "signature"
    assert signature.label == SIGNATURE_LABELS[layout.language]
    date_field = layout.for_field("signature_date")
    assert date_field is not None
    assert date_field.label in ("Date", "Fecha", "Date signed", "Fecha de la firma")


@pytest.mark.parametrize("form_id", list_form_ids())
def test_form_has_patient_fields(form_id: str) -> None:
    layout = load_layout(form_id)
    for name in ("patient_name", "date_of_birth", "mrn", "representative_name",
                 "representative_authority"):
        assert layout.for_field(name) is not None, name
    if layout.doc_type == "release_images":
        assert layout.for_field("exam_date") is not None
        assert layout.for_field("exam_description") is not None
        assert layout.checkbox("delivery", "pick_up") is not None
        assert layout.checkbox("delivery", "mail") is not None


@pytest.mark.parametrize(
    "form_id", [f for f in list_form_ids() if f.startswith("third_party")]
)
def test_third_party_form_has_hipaa_elements(form_id: str) -> None:
    layout = load_layout(form_id)
    xray = layout.checkbox(INFORMATION_GROUP, "xray_scan_reports")
    assert xray is not None
    assert "ray" in xray.label.lower()
    assert len(layout.checkboxes(INFORMATION_GROUP)) >= 5
    assert layout.checkbox(INFORMATION_GROUP, "other") is not None
    for name in ("release_to_name", "release_to_address", "purpose",
                 "expiry_date", "expiry_event"):
        assert layout.for_field(name) is not None, name


def test_editions_differ_in_layout_and_wording() -> None:
    first = load_layout("third_party_release_en")
    second = load_layout("third_party_release_en_rev2")
    xray_first = first.checkbox(INFORMATION_GROUP, "xray_scan_reports")
    xray_second = second.checkbox(INFORMATION_GROUP, "xray_scan_reports")
    assert xray_first is not None and xray_second is not None
    assert xray_first.label != xray_second.label
    assert abs(xray_first.box[0] - xray_second.box[0]) > 100
    for pair in (("release_images_en", "release_images_en_rev2"),
                 ("release_images_es", "release_images_es_rev2")):
        old, new = (load_layout(form_id) for form_id in pair)
        moved = [name for name in ("patient_name", "date_of_birth", "exam_date",
                                   "signature_date")
                 if old.for_field(name).box != new.for_field(name).box]
        assert len(moved) == 4, pair


@pytest.mark.parametrize("form_id", list_form_ids())
def test_boxes_on_page_and_clear_of_labels(form_id: str) -> None:
    layout = load_layout(form_id)
    width, height = layout.page_size
    for element in layout.elements:
        for box in (element.box, element.label_box, element.input_box):
            if box is None:
                continue
            assert 0 <= box[0] < box[2] <= width, element.id
            assert 0 <= box[1] < box[3] <= height, element.id
        if element.is_input and element.label and element.input_box:
            label, entry = element.label_box, element.input_box
            overlap_x = min(label[2], entry[2]) - max(label[0], entry[0])
            overlap_y = min(label[3], entry[3]) - max(label[1], entry[1])
            assert overlap_x <= 0 or overlap_y <= 0, element.id


@pytest.mark.parametrize("form_id", list_form_ids())
def test_rendered_labels_sit_in_label_boxes(form_id: str, tmp_path: Path) -> None:
    layout = load_layout(form_id)
    path = tmp_path / "blank.pdf"
    render_form(layout, path)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 1
        words = pdf.pages[0].extract_words(use_text_flow=True)
    for element in layout.elements:
        if not element.label or element.kind not in ("field", "checkbox",
                                                     "signature"):
            continue
        first = element.label.split()[0]
        left, top = element.label_box[0], element.label_box[1]
        near = [w for w in words if w["text"] == first
                and abs(w["x0"] - left) < 1.5 and abs(w["top"] - top) < 3]
        assert near, f"{element.id}: {first!r} not printed at {left:.1f},{top:.1f}"


def test_render_typed_values(tmp_path: Path) -> None:
    layout = load_layout("third_party_release_en")
    path = tmp_path / "filled.pdf"
    render_form(layout, path, {"patient_name": "Zoë Ibáñez-Ruiz",
                               "release_to_address": "12 Harbor Lane\nAstoria"},
                checked=["info_xray"])
    with pdfplumber.open(path) as pdf:
        text = pdf.pages[0].extract_text()
    assert "Zoë Ibáñez-Ruiz" in text
    assert "Astoria" in text
    name_box = layout.for_field("patient_name").input_box
    with pdfplumber.open(path) as pdf:
        words = pdf.pages[0].extract_words()
    typed = [w for w in words if w["text"] == "Zoë"]
    assert typed
    assert name_box[0] <= typed[0]["x0"] <= name_box[2]
    assert name_box[1] <= typed[0]["top"] <= name_box[3]


def test_unknown_form_raises() -> None:
    with pytest.raises(LayoutError, match="no such form layout"):
        load_layout("no_such_form")


def _layout_json(form_id: str) -> dict:
    return json.loads((FORMS_DIR / f"{form_id}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["elements"][0].update(kind="blob"), "has kind"),
        (lambda raw: raw["elements"][0].update(box=[10, 10, 5, 20]), "empty box"),
        (lambda raw: raw["elements"][0].update(box=[10, 10, 700, 20]), "off the page"),
        (lambda raw: raw["elements"].append(dict(raw["elements"][0])), "duplicate"),
        (lambda raw: raw.update(status="maybe"), "status must be"),
        (lambda raw: raw.pop("elements"), "missing top-level"),
    ],
)
def test_invalid_layout_rejected(change, message: str) -> None:
    raw = _layout_json("release_images_en")
    change(raw)
    with pytest.raises(LayoutError, match=message):
        parse_layout(raw, source="test.json")


def test_field_without_room_rejected() -> None:
    raw = _layout_json("release_images_en")
    for element in raw["elements"]:
        if element["id"] == "date_of_birth":
            element["box"] = [54, 226, 120, 244]
    with pytest.raises(LayoutError, match="to write in"):
        parse_layout(raw, source="test.json")
