"""Split, classify, extract fields from and check the documents in a file.

Stages, in pipeline order: ``split`` (cut pages into documents and
classify them, using ``classify``), ``extract`` (fields and routing flags)
and ``checks`` (signature, dates and boxes on the center's forms).
"""
