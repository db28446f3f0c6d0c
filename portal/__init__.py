"""The records portal: a Flask application built by :func:`create_app`."""

from __future__ import annotations

import os

from flask import Flask

from portal.config import PROJECT_ROOT, load_config
from records import audit
from records.clock import set_local_zone
from records.forms import register_all
from records.roles import ROLES

__all__ = ["create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the portal. ``config`` overrides every other source (tests)."""
    register_all()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        # The instance folder holds portal.cfg; PORTAL_INSTANCE_PATH moves it.
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None,
    )
    load_config(app, config)

    from portal import accounts, errors, i18n, inputs, security
    from portal import database as db
    from portal.admin import site as admin
    from portal.api import views as api
    from portal.pages import auth, health, search, work
    from portal.pages import home as pages
    from portal.pages import imports as import_views
    from portal.pages import reports as reports_views
    from portal.pages import word as word_views
    from portal.workers import deadlines
    from search_index import Indexer, IndexStore

    set_local_zone(app.config["BABEL_DEFAULT_TIMEZONE"])
    audit.use_key(app.config["AUDIT_KEY"])
    i18n.init_app(app)
    inputs.init_app(app)
    db.init_app(app)
    accounts.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    store = IndexStore(app.config["SEARCH_INDEX_DIR"], engine=app.config["SEARCH_ENGINE"])
    store.live()
    app.extensions["search_index"] = store
    app.extensions["search_indexer"] = Indexer(store)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(work.bp)
    app.register_blueprint(word_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(import_views.bp)
    app.extensions.setdefault("upload_endpoints", set()).add("imports.upload")
    admin.init_app(app)
    deadlines.init_app(app)
    app.jinja_env.globals["ROLES"] = ROLES
    return app
