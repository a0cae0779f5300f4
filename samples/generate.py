"""Generate a corpus of sample documents with exact ground truth.

Usage::

    python -m samples.generate --seed 1 --out samples/corpus
    python -m samples.generate --seed 7 --out /tmp/held-out --count 30 \\
        --editions held_out

For every source file ``NAME.EXT`` (``fax-0001.tif``, ``scan-0002.pdf``,
``image-0003.png``, ``efax-0004.pdf``, ...) the generator writes
``NAME.EXT.truth.jsonl`` beside it, then ``requests.csv`` (the open requests
a matching stage compares documents with, decoys included) and
``manifest.json`` (seed, options, editions, file hashes). The same seed and
options give byte-identical files. docs/samples.md describes the formats.

Known limits: handwriting is set in handwriting-like fonts, not drawn
stroke by stroke, so it is more regular than real handwriting. Every page
is US Letter.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from intake.forms import Layout, LayoutError, all_layouts, list_form_ids
from intake.reasons import Reason
from samples import GENERATOR_VERSION
from samples.layout import PAGE_HEIGHT, PAGE_WIDTH, SampleCanvas
from samples.plan import CorpusPlan, Source, plan_corpus
from samples.transports import (
    FaxHeader,
    write_fax,
    write_image,
    write_scan,
    write_text_pdf,
)
from samples.truth import (
    SampleDocument,
    sha256_of,
    truth_record,
    write_manifest,
    write_requests,
    write_truth,
)

logger = logging.getLogger(__name__)

DEFAULT_SEED = 1
ROUTING_REASONS = {str(Reason.LEGAL_REQUEST), str(Reason.REPORT_ONLY_REQUEST)}
"""Reasons that route a form to a person without making it defective."""
DEFAULT_COUNT = 80
DEFAULT_AS_OF = date(2026, 3, 16)
OUTPUT_PATTERNS = ("fax-*.tif", "scan-*.pdf", "image-*.png", "image-*.jpg",
                   "efax-*.pdf", "*.truth.jsonl", "manifest.json", "requests.csv")
"""Files a previous run may have left in the output folder; removed first."""


def select_editions(spec: str) -> list[Layout]:
    """Return the form editions named by ``spec``.

    Args:
        spec: "all", "registered", "held_out", or a comma-separated list of
            form ids (for example "release_images_en,third_party_release_en").

    Raises:
        LayoutError: when a form id is unknown.
    """
    layouts = all_layouts()
    if spec == "all":
        return layouts
    if spec in ("registered", "held_out"):
        return [layout for layout in layouts if layout.status == spec]
    wanted = [name.strip() for name in spec.split(",") if name.strip()]
    known = list_form_ids()
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise LayoutError(
            f"--editions names unknown forms {unknown}; known forms are "
            f"{', '.join(known)} (or use all, registered, held_out)"
        )
    return [layout for layout in layouts if layout.form_id in wanted]


def compose_pdf(documents: list[SampleDocument],
                stamp: Callable[[Canvas, int, int], None] | None = None,
                ) -> tuple[bytes, list[list[int]]]:
    """Draw documents one after another into one PDF.

    Returns:
        The PDF bytes and, per document, its 1-based page numbers.
    """
    buffer = io.BytesIO()
    canvas = SampleCanvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
                          invariant=1)
    total = sum(len(document.pages) for document in documents)
    spans: list[list[int]] = []
    number = 0
    for document in documents:
        span = []
        for draw in document.pages:
            number += 1
            draw(canvas)
            if stamp is not None:
                stamp(canvas, number, total)
            canvas.showPage()
            span.append(number)
        spans.append(span)
    canvas.save()
    return buffer.getvalue(), spans


def _efax_stamp(source: Source) -> Callable[[Canvas, int, int], None]:
    name, fax = source.sender
    sent = source.sent.strftime("%m/%d/%Y %I:%M %p")

    def stamp(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(20, PAGE_HEIGHT - 14,
                          f"Received {sent}   From: {name} {fax}   "
                          f"To: (541) 555-0101   Page {page} of {total}")
        canvas.restoreState()

    return stamp


def render_source(source: Source, out: Path, seed: int, as_of: date,
                  request_of: dict[str, str]) -> dict[str, Any]:
    """Write one source file and its truth file; return its manifest entry."""
    stamp = None
    if source.kind == "pdf_text" and source.options.get("efax_header"):
        stamp = _efax_stamp(source)
    pdf, spans = compose_pdf(source.documents, stamp)
    path = out / source.name
    pages = _write_transport(source, pdf, path, seed)

    records = []
    for document, span in zip(source.documents, spans, strict=True):
        request_id = _request_for(document, source, request_of)
        record = truth_record(document, source.name, span, source.transport,
                              request_id, as_of)
        record["page_transforms"] = [pages[number - 1] for number in span]
        records.append(record)
    truth_path = out / f"{source.name}.truth.jsonl"
    write_truth(truth_path, records)
    logger.debug("wrote source %d (%d pages)", source.index, len(pages))
    return {
        "name": source.name,
        "sha256": sha256_of(path),
        "pages": len(pages),
        "transport": source.transport,
        "kind": source.kind,
        "bundle": source.bundle,
        "documents": len(records),
        "truth": truth_path.name,
        "truth_sha256": sha256_of(truth_path),
        "statuses": [record["status"] for record in records],
        "doc_types": [record["doc_type"] for record in records],
        "defective_form": [
            bool(set(record["reasons"]) - ROUTING_REASONS) for record in records
            if record["doc_type"] in ("release_images", "third_party_release")
        ],
    }


def _request_for(document: SampleDocument, source: Source,
                 request_of: dict[str, str]) -> str | None:
    if document.patient_key:
        return request_of.get(document.patient_key)
    # A page that names no patient (a cover sheet, a blank page of a scan)
    # belongs to the file's patient when the file concerns only one.
    keys = sorted({doc.patient_key for doc in source.documents if doc.patient_key})
    if len(keys) == 1:
        return request_of.get(keys[0])
    return None


def _write_transport(source: Source, pdf: bytes, path: Path,
                     seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"samples/{seed}/transport/{source.index}")
    options = source.options
    if source.kind == "fax":
        header = FaxHeader(source.sender[0], source.sender[1], source.sent,
                           rng.randrange(3))
        return write_fax(pdf, path, rng, str(options["compression"]),
                         bool(options["fine"]), header)
    if source.kind == "scan":
        return write_scan(pdf, path, rng, int(options["dpi"]), str(options["mode"]),
                          source.sent)
    if source.kind == "image":
        return write_image(pdf, path, rng, int(options["dpi"]))
    return write_text_pdf(pdf, path)


def _render_share(arguments: tuple[int, int, str, str, str, int, int]
                  ) -> list[dict[str, Any]]:
    """Plan the corpus again in a worker and render every ``jobs``-th file."""
    seed, count, as_of_text, editions, out_text, share, jobs = arguments
    as_of = date.fromisoformat(as_of_text)
    plan = plan_corpus(seed, count, as_of, select_editions(editions))
    out = Path(out_text)
    return [render_source(source, out, seed, as_of, plan.request_of)
            for source in plan.sources if source.index % jobs == share]


def generate(seed: int, out: Path, count: int = DEFAULT_COUNT,
             as_of: date = DEFAULT_AS_OF, editions: str = "all",
             jobs: int = 1) -> dict[str, Any]:
    """Generate a corpus into ``out`` and return its manifest.

    Args:
        seed: Seed of every random choice.
        out: Output folder; earlier generated files in it are removed.
        count: Number of source files.
        as_of: The processing date the expected statuses are computed for.
        editions: Which form editions to use (see :func:`select_editions`).
        jobs: Worker processes; the output does not depend on it.
    """
    layouts = select_editions(editions)
    out.mkdir(parents=True, exist_ok=True)
    _remove_old_outputs(out)
    plan = plan_corpus(seed, count, as_of, layouts)

    arguments = [(seed, count, as_of.isoformat(), editions, str(out), share, jobs)
                 for share in range(jobs)]
    if jobs == 1:
        entries = _render_share(arguments[0])
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            entries = [entry for share in pool.map(_render_share, arguments)
                       for entry in share]
    entries.sort(key=lambda entry: entry["name"])

    write_requests(out / "requests.csv", plan.requests)
    manifest = _manifest(plan, entries, seed, count, as_of, editions, layouts, out)
    write_manifest(out / "manifest.json", manifest)
    logger.info("generated %d files in %s", len(entries), out)
    return manifest


def _remove_old_outputs(out: Path) -> None:
    for pattern in OUTPUT_PATTERNS:
        for path in sorted(out.glob(pattern)):
            path.unlink()


def _manifest(plan: CorpusPlan, entries: list[dict[str, Any]], seed: int,
              count: int, as_of: date, editions: str, layouts: list[Layout],
              out: Path) -> dict[str, Any]:
    doc_types = Counter(t for entry in entries for t in entry["doc_types"])
    statuses = Counter(s for entry in entries for s in entry["statuses"])
    forms = [flag for entry in entries for flag in entry["defective_form"]]
    kinds = Counter(entry["kind"] for entry in entries)
    files = [{key: entry[key] for key in ("name", "sha256", "pages", "transport",
                                          "bundle", "documents", "truth",
                                          "truth_sha256")}
             for entry in entries]
    return {
        "generator": "samples.generate",
        "generator_version": GENERATOR_VERSION,
        "command": (f"python -m samples.generate --seed {seed} --out OUT "
                    f"--count {count} --as-of {as_of.isoformat()} "
                    f"--editions {editions}"),
        "seed": seed,
        "as_of": as_of.isoformat(),
        "count": count,
        "editions": [layout.form_id for layout in layouts],
        "held_out_editions": [layout.form_id for layout in layouts
                              if not layout.registered],
        "summary": {
            "files_by_transport": dict(sorted(kinds.items())),
            "documents": sum(doc_types.values()),
            "documents_by_type": dict(sorted(doc_types.items())),
            "statuses": dict(sorted(statuses.items())),
            "forms": len(forms),
            "forms_with_defects": sum(forms),
            "pages": sum(entry["pages"] for entry in entries),
        },
        "requests": "requests.csv",
        "requests_sha256": sha256_of(out / "requests.csv"),
        "decoy_requests": plan.decoys,
        "name_variants": plan.name_variants,
        "files": files,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m samples.generate",
        description="Generate sample faxes, scans, images and PDFs of the Image "
        "Service Center's documents, each with a ground-truth file.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="seed of every random choice (default: %(default)s)")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder; generated files already in it are "
                        "replaced")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                        help="number of source files (default: %(default)s)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF,
                        help="processing date YYYY-MM-DD that expected statuses "
                        "are computed for (default: %(default)s)")
    parser.add_argument("--editions", default="all",
                        help="form editions to use: all, registered, held_out, or "
                        "a comma-separated list of form ids (default: all)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="worker processes; the output is the same for any "
                        "value (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true",
                        help="log each file written")
    arguments = parser.parse_args(argv)
    if arguments.count < 1:
        parser.error(f"--count must be at least 1, got {arguments.count}")
    if arguments.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {arguments.jobs}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run the generator from the command line; return the exit status."""
    arguments = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if arguments.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        manifest = generate(arguments.seed, arguments.out, arguments.count,
                            arguments.as_of, arguments.editions, arguments.jobs)
    except LayoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = manifest["summary"]
    print(f"{len(manifest['files'])} files, {summary['documents']} documents, "
          f"{summary['forms_with_defects']}/{summary['forms']} forms with defects "
          f"-> {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
