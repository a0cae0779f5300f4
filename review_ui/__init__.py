"""The review screen's web application (Flask).

``create_app`` builds the application from the settings: the database URL
(``INTAKE_DATABASE_URL``), the API token (``INTAKE_API_TOKEN``) and the
match thresholds. A test passes ``test_config`` to override them. The
engine is opened once per application and kept in
``app.extensions["intake_engine"]``; each API call opens its own session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask

from intake import store
from intake.settings import Settings
from matchers.match import thresholds_from


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the review application.

    Args:
        test_config: Values that replace the ones from the settings:
            ``DATABASE_URL``, ``API_TOKEN``, ``MATCH_THRESHOLDS`` (a
            ``matchers.score.Thresholds``) and ``TODAY`` (a function
            returning the day statuses are judged on).

    Raises:
        ConfigError: A setting is invalid.
    """
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.from_mapping(
        DATABASE_URL=settings.database_url,
        API_TOKEN=settings.api_token,
        MATCH_THRESHOLDS=thresholds_from(settings),
        TODAY=date.today,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["API_TOKEN"]:
        app.logger.warning("INTAKE_API_TOKEN is empty: every API call is rejected")

    app.extensions["intake_engine"] = store.open_database(app.config["DATABASE_URL"])

    from review_ui import api

    app.register_blueprint(api.blueprint)
    return app
