from __future__ import annotations

from pathlib import Path

from intake.discover import find_files


def test_folder_walk_skips_junk_and_sidecars(tmp_path: Path) -> None:
    names = [
        "fax-1.tif",
        "sub/scan 2.pdf",
        "noextension",
        ".DS_Store",
        "._fax-1.tif",
        "Thumbs.db",
        "THUMBS.DB",
        "desktop.ini",
        "Desktop.INI",
        "scan.TMP",
        "~$letter.docx",
        "incoming.part",
        "fax-1.tif.truth.jsonl",
        ".hidden/fax-9.tif",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")

    selected, skipped = find_files([tmp_path])

    assert sorted(p.relative_to(tmp_path).as_posix() for p in selected) == [
        "fax-1.tif",
        "noextension",
        "sub/scan 2.pdf",
    ]
    assert len(skipped) == len(names) - 3


def test_named_file_is_never_skipped(tmp_path: Path) -> None:
    junk = tmp_path / "Thumbs.db"
    junk.write_bytes(b"x")
    assert find_files([junk]) == ([junk], [])
