"""Load received files and turn them into upright, deskewed, OCR'd pages.

``ocr.reader.read_file`` runs the whole stage; ``ocr.load``,
``ocr.normalize`` and ``ocr.tesseract`` are its steps.
"""
