"""Save an enlarged crop of a cached page around a box, for looking at marks.

Usage: ``tools/look.py PAGES_DIR NAME PAGE LEFT TOP RIGHT BOTTOM OUT.png``.
The crop reaches two box sides past the box on every side and is drawn
four times its size, with the box outlined in grey.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from PIL import ImageDraw


def main() -> None:
    folder, name, number = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    left, top, right, bottom = (int(v) for v in sys.argv[4:8])
    pages = pickle.loads((folder / f"{name}.pkl").read_bytes())
    page = next(p for p in pages if p.number == number)
    side = right - left
    area = (left - 2 * side, top - 2 * side, right + 2 * side, bottom + 2 * side)
    image = page.image.convert("RGB")
    ImageDraw.Draw(image).rectangle((left, top, right, bottom), outline=(160, 160, 160))
    crop = image.crop(area)
    crop.resize((crop.width * 4, crop.height * 4)).save(sys.argv[8])


if __name__ == "__main__":
    main()
