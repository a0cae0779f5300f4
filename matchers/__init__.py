"""Match documents to open requests and track each request's status.

Modules:

- ``requests``, ``request_files``: validate, read and store requests.
- ``names``, ``compare``: field comparators.
- ``score``: Fellegi-Sunter scores and the three bands.
- ``match``: the stage that attaches documents to requests.
- ``status``, ``track``, ``calendar``: request status rules and history.
- ``models``: the tables; ``summary``: views for the CLI and the API.
- ``evaluate``: measure on the labelled corpus and derive the thresholds.
"""
