"""Tests for ocr.load, ocr.images and ocr.pdf: sniffing, decoding, limits."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pypdf
import pytest
from PIL import Image, ImageDraw
from reportlab.pdfgen import canvas

from intake.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    FileTooLargeError,
    IntakeError,
    TruncatedFileError,
    UnsupportedFormatError,
)
from intake.settings import Settings
from ocr.images import tiff_ends_early
from ocr.load import load_pages, sniff_format
from ocr.pdf import is_text_page

DATA = Path(__file__).parents[2] / "shared" / "data"
CASES = DATA / "cases"
REAL = DATA / "real"
SAMPLES = Path(__file__).parents[1] / "samples" / "corpus"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent; the shared sample data is not installed")
    return path


def write_tiff(path: Path, images: list[Image.Image], **options: object) -> Path:
    images[0].save(
        path, format="TIFF", save_all=True, append_images=images[1:], **options
    )
    return path


def draw_page(size: tuple[int, int] = (800, 1000)) -> Image.Image:
    """A white page with a black box in its top left quarter."""
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).rectangle((50, 50, size[0] // 3, size[1] // 4), fill=0)
    return image


def text_pdf(path: Path, lines: list[str], rotate: int = 0) -> Path:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792))
    pdf.setFont("Helvetica", 14)
    for index, line in enumerate(lines):
        pdf.drawString(72, 720 - index * 24, line)
    pdf.showPage()
    pdf.save()
    if rotate:
        reader = pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
        writer = pypdf.PdfWriter()
        for page in reader.pages:
            page.rotate(rotate)
            writer.add_page(page)
        buffer = io.BytesIO()
        writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


LETTER_LINES = [
    "Please release the imaging studies of the patient named below",
    "to the clinic at the address given on the enclosed form.",
    "The studies were done in March and April of this year.",
]


# --- sniffing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x00\x00junk before the header %PDF-1.4\n", "pdf"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (b"\x89PNG\r\n\x1a\n\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"BM" + bytes(12) + (40).to_bytes(4, "little"), "bmp"),
        (b"P4\n1728 2376\n", "pnm"),
        (b"BMW owners club newsletter", None),
        (b"[.ShellClassInfo]\r\n", None),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None),
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X", None),
    ],
)
def test_sniff_format_by_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def test_pdf_named_tif_loads_as_pdf(tmp_path: Path) -> None:
    source = text_pdf(tmp_path / "letter.pdf", LETTER_LINES)
    disguised = tmp_path / "letter.tif"
    disguised.write_bytes(source.read_bytes())

    pages = load_pages(disguised, Settings())

    assert len(pages) == 1
    assert pages[0].has_text_layer


# --- bad input ------------------------------------------------------------


def test_empty_file_raises_empty(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.write_bytes(b"")

    with pytest.raises(EmptyFileError) as caught:
        load_pages(path, Settings())

    assert str(path) in str(caught.value)


def test_unknown_bytes_raise_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"Maria Gomez, born 1980-02-03\n")

    with pytest.raises(UnsupportedFormatError) as caught:
        load_pages(path, Settings())

    assert str(path) in str(caught.value)
    # The message goes to the log and the database, so no file content.
    assert "Maria" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["Thumbs.db", "desktop.ini", ".DS_Store", "._scan_0042.pdf"]
)
def test_inbox_litter_is_unsupported(name: str) -> None:
    path = require(CASES / "inbox-litter" / name)

    with pytest.raises(UnsupportedFormatError):
        load_pages(path, Settings())


def test_inbox_litter_scan_loads() -> None:
    path = require(CASES / "inbox-litter" / "scan_0042.pdf")

    pages = load_pages(path, Settings())

    assert len(pages) == 1
    assert pages[0].image.mode == "L"


def test_truncated_tiff_raises_truncated(tmp_path: Path) -> None:
    # Pillow's own TIFF writer puts the IFD before the strips, so cutting
    # the file leaves a readable header whose strips run past the end.
    full = write_tiff(tmp_path / "full.tif", [draw_page()], dpi=(204, 196))
    cut = tmp_path / "cut.tif"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])

    with pytest.raises(TruncatedFileError):
        load_pages(cut, Settings())


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9, 0.99])
def test_cut_fax_tiff_raises_truncated(tmp_path: Path, share: float) -> None:
    # A fax server's TIFF, written by libtiff: strips first, directories
    # last, so most cuts lose a directory rather than strip data.
    full = (SAMPLES / "fax-0002.tif").read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(full[: int(len(full) * share)])

    with pytest.raises(TruncatedFileError):
        load_pages(cut, Settings())


def test_whole_fax_tiff_is_not_cut() -> None:
    assert not tiff_ends_early((SAMPLES / "fax-0002.tif").read_bytes())


def test_truncated_png_raises_truncated(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 255, (400, 400), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="PNG")
    path = tmp_path / "scan.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    with pytest.raises(TruncatedFileError):
        load_pages(path, Settings())


def test_truncated_pdf_raises_truncated(tmp_path: Path) -> None:
    full = text_pdf(tmp_path / "full.pdf", LETTER_LINES)
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])

    with pytest.raises(TruncatedFileError):
        load_pages(cut, Settings())


def test_garbage_after_pdf_header_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")

    with pytest.raises(CorruptFileError):
        load_pages(path, Settings())


def test_damaged_png_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    draw_page().save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[60:200] = bytes(140)  # zero the start of the compressed pixel data
    path = tmp_path / "scan.png"
    path.write_bytes(bytes(data))

    with pytest.raises((CorruptFileError, TruncatedFileError)):
        load_pages(path, Settings())


def test_decompression_bomb_gif_is_too_large() -> None:
    path = require(REAL / "images" / "decompression_bomb.gif")

    with pytest.raises(FileTooLargeError):
        load_pages(path, Settings())


def test_page_over_pixel_limit_is_too_large(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "fax.tif", [draw_page()], dpi=(200, 200))

    with pytest.raises(FileTooLargeError) as caught:
        load_pages(path, Settings(max_page_pixels=100_000))

    assert "INTAKE_MAX_PAGE_PIXELS" in str(caught.value)


def test_stretched_page_over_pixel_limit_is_too_large(tmp_path: Path) -> None:
    # 800x1000 fits under 900,000 pixels, but 204x98 dpi doubles the rows.
    path = write_tiff(tmp_path / "fax.tif", [draw_page()], dpi=(204, 98))

    with pytest.raises(FileTooLargeError):
        load_pages(path, Settings(max_page_pixels=900_000))


def test_pdf_page_over_pixel_limit_is_too_large(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "letter.pdf", LETTER_LINES)

    with pytest.raises(FileTooLargeError):
        load_pages(path, Settings(max_page_pixels=1_000_000))


def test_tiff_over_page_limit_is_too_large(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "fax.tif", [draw_page()] * 3, dpi=(200, 200))

    with pytest.raises(FileTooLargeError) as caught:
        load_pages(path, Settings(max_pages=2))

    assert "INTAKE_MAX_PAGES" in str(caught.value)


def test_pdf_over_page_limit_is_too_large(tmp_path: Path) -> None:
    single = text_pdf(tmp_path / "one.pdf", LETTER_LINES)
    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.append(str(single))
    path = tmp_path / "three.pdf"
    with path.open("wb") as stream:
        writer.write(stream)

    with pytest.raises(FileTooLargeError):
        load_pages(path, Settings(max_pages=2))


def test_tiff_ifd_loop_loads_once() -> None:
    path = require(REAL / "images" / "multipage_single_frame_loop.tiff")

    pages = load_pages(path, Settings())

    assert len(pages) == 1


# --- TIFF geometry --------------------------------------------------------


def test_fax_normal_resolution_gets_square_pixels() -> None:
    path = require(CASES / "fax-normal-resolution" / "fax_normal.tif")
    with Image.open(path) as raw:
        raw_width, raw_height = raw.size

    pages = load_pages(path, Settings())

    assert len(pages) == 2
    for page in pages:
        assert page.dpi == 204
        assert page.image.mode == "L"
        assert page.image.width == raw_width
        # 98 lines per inch stretched to 204: rows times 204/98.
        assert page.image.height == round(raw_height * 204 / 98)


def test_fax_mixed_pages_all_load() -> None:
    path = require(CASES / "fax-mixed-pages" / "mixed_pages.tif")

    pages = load_pages(path, Settings())

    sizes = [page.image.size for page in pages]
    assert [page.number for page in pages] == [1, 2, 3, 4]
    # Normal and fine pages of the same paper come out the same size.
    assert sizes[0] == sizes[1]
    assert sizes[2][1] < sizes[1][1] / 2
    assert sizes[3][0] == 2048
    assert all(page.dpi == 204 for page in pages)


def test_tall_resolution_stretches_width(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "side.tif", [draw_page((400, 800))], dpi=(98, 204))

    pages = load_pages(path, Settings())

    assert pages[0].image.size == (round(400 * 204 / 98), 800)


@pytest.mark.parametrize(("orientation", "stored_turn"), [(3, 180), (6, 90), (8, 270)])
def test_tiff_orientation_tag_is_applied(
    tmp_path: Path, orientation: int, stored_turn: int
) -> None:
    upright = draw_page((600, 900))
    # The stored image is the upright page turned counter-clockwise, which
    # the Orientation tag says how to undo.
    stored = upright.rotate(stored_turn, expand=True)
    path = write_tiff(
        tmp_path / "fax.tif", [stored], dpi=(200, 200), tiffinfo={274: orientation}
    )

    page = load_pages(path, Settings())[0]

    assert page.image.size == upright.size
    assert np.array_equal(np.asarray(page.image), np.asarray(upright))


def test_tiff_orientation_with_fax_resolution(tmp_path: Path) -> None:
    upright = draw_page((800, 500)).convert("1")
    stored = upright.rotate(90, expand=True)
    # Stored sideways, the 98 lpi axis is the stored x axis.
    path = write_tiff(
        tmp_path / "fax.tif",
        [stored],
        dpi=(98, 204),
        compression="group4",
        tiffinfo={274: 6},
    )

    page = load_pages(path, Settings())[0]

    assert page.image.size == (800, round(500 * 204 / 98))


def test_g4_orientation_files_come_out_wide() -> None:
    for name in ("g4_orientation_3.tif", "g4_orientation_6.tif"):
        page = load_pages(require(REAL / "fax" / name), Settings())[0]

        # Both hold one line of text; upright, it is wider than tall.
        assert page.image.width > page.image.height


# --- other image formats --------------------------------------------------


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    upright = draw_page((300, 500)).convert("RGB")
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[274] = 6
    path = tmp_path / "photo.jpg"
    stored.save(path, format="JPEG", exif=exif, quality=95)

    page = load_pages(path, Settings())[0]

    assert page.image.size == (300, 500)
    assert np.asarray(page.image)[100, 100] < 64  # the black box, top left


def test_transparent_png_gets_white_paper(tmp_path: Path) -> None:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((20, 20, 60, 60), fill=(0, 0, 0, 255))
    path = tmp_path / "stamp.png"
    image.save(path)

    page = load_pages(path, Settings())[0]

    pixels = np.asarray(page.image)
    assert pixels[150, 150] == 255
    assert pixels[40, 40] == 0


def test_sixteen_bit_png_is_scaled(tmp_path: Path) -> None:
    values = np.full((100, 100), 65535, dtype=np.uint16)
    values[10:20, 10:20] = 0
    path = tmp_path / "scan16.png"
    Image.fromarray(values).save(path)

    page = load_pages(path, Settings())[0]

    pixels = np.asarray(page.image)
    assert page.image.mode == "L"
    assert pixels[50, 50] == 255
    assert pixels[15, 15] == 0


def test_pbm_without_dpi_gets_estimate() -> None:
    page = load_pages(require(REAL / "fax" / "itu1.pbm"), Settings())[0]

    # 1728 pixels across a letter-width page is about 203 dpi.
    assert 195 <= page.dpi <= 210


# --- PDF ------------------------------------------------------------------


def page_words(path: Path) -> list[str]:
    return [word.text for page in load_pages(path, Settings()) for word in page.words]


@pytest.mark.parametrize(
    "name",
    ["owner_only_aes128.pdf", "owner_only_aes256.pdf", "owner_only_rc4_noextract.pdf"],
)
def test_empty_password_pdf_reads_like_plain(name: str) -> None:
    folder = CASES / "pdf-encrypted-empty-password"
    plain = page_words(require(folder / "plain.pdf"))

    words = page_words(require(folder / name))

    assert plain
    assert words == plain


def test_user_password_pdf_raises_encrypted() -> None:
    path = require(CASES / "pdf-encrypted-empty-password" / "user_password.pdf")

    with pytest.raises(EncryptedFileError) as caught:
        load_pages(path, Settings())

    assert "password" in str(caught.value)


def test_sparse_text_layer_decided_per_page() -> None:
    path = require(CASES / "pdf-sparse-text-layer" / "sparse_text_layer.pdf")

    pages = load_pages(path, Settings())

    assert [page.has_text_layer for page in pages] == [False, False, True]
    assert pages[0].words == []
    assert "release" in pages[2].text


def test_text_layer_boxes_cover_ink(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "letter.pdf", LETTER_LINES)

    page = load_pages(path, Settings(ocr_dpi=150))[0]

    pixels = np.asarray(page.image)
    assert page.has_text_layer
    # pdfium rounds the bitmap size up, so allow one pixel either way.
    assert abs(page.image.width - 612 * 150 / 72) <= 1
    assert abs(page.image.height - 792 * 150 / 72) <= 1
    for word in page.words:
        left, top, right, bottom = word.bbox
        assert pixels[top:bottom, left:right].min() < 128, word.text
    assert page.text.splitlines()[0] == LETTER_LINES[0]


def test_pdf_rotate_is_honoured(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "turned.pdf", LETTER_LINES, rotate=90)

    page = load_pages(path, Settings(ocr_dpi=100))[0]

    pixels = np.asarray(page.image)
    assert page.image.width > page.image.height
    for word in page.words:
        left, top, right, bottom = word.bbox
        assert pixels[top:bottom, left:right].min() < 128, word.text


@pytest.mark.parametrize(
    ("words", "image_cover", "expected"),
    [
        (["x"], 1.0, False),
        (["2021", "3", "31"], 0.9, False),
        (LETTER_LINES[0].split(), 0.0, True),
        (LETTER_LINES[0].split(), 0.95, False),
        ([], 0.0, False),
    ],
)
def test_is_text_page(words: list[str], image_cover: float, expected: bool) -> None:
    assert is_text_page(words, image_cover) is expected


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _png_header(width: int, height: int) -> bytes:
    """Return a 1-bit PNG of the given size whose pixel data ends at once."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def test_page_pixel_setting_reaches_pillow(tmp_path: Path) -> None:
    # 200 million pixels: over Pillow's default limit, under the setting.
    path = tmp_path / "large.png"
    path.write_bytes(_png_header(20_000, 10_000))

    with pytest.raises(IntakeError) as caught:
        load_pages(path, Settings(max_page_pixels=500_000_000))

    assert not isinstance(caught.value, FileTooLargeError)
    with pytest.raises(FileTooLargeError):
        load_pages(path, Settings(max_page_pixels=50_000_000))
