"""Read every file of a corpus once and pickle its OCR'd pages.

Development aid: the OCR of a corpus takes minutes, while the stages after
it take seconds. ``replay.py`` and ``boxes.py`` run on the cached pages, so
a change to splitting, extraction or checks can be measured quickly.

    .venv/bin/python tools/cache_pages.py samples/corpus /tmp/pages-corpus
"""

from __future__ import annotations

import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from intake.settings import Settings
from ocr.reader import read_file


def _cache(job: tuple[Path, Path]) -> str:
    source, target = job
    if target.exists():
        return f"{source.name}: cached already"
    try:
        pages = read_file(source, Settings.from_env(workers=1))
    except Exception as error:  # noqa: BLE001 - a dev tool reports and goes on
        return f"{source.name}: {type(error).__name__}: {error}"
    target.write_bytes(pickle.dumps(pages))
    return f"{source.name}: {len(pages)} pages"


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(
        p for p in corpus.iterdir() if p.is_file() and not p.name.endswith(".jsonl")
    )
    jobs = [(p, out / f"{p.name}.pkl") for p in sources]
    with ProcessPoolExecutor(2) as pool:
        for line in pool.map(_cache, jobs):
            print(line, flush=True)


if __name__ == "__main__":
    main()
