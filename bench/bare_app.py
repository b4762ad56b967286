"""The bare baseline for bench/score_burst.py: Flask-SQLAlchemy inserting one row per POST.

Same SQLite pragmas and BEGIN IMMEDIATE as the app (extensions.py), nothing else: no
sessions, CSRF, templates or access policy. Run by gunicorn as "bench.bare_app:create_app()".
"""

import os

from flask import Flask
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class Row(db.Model):
    __tablename__ = "bench_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_BARE_DATABASE_URL"]
    db.init_app(app)

    @app.post("/insert/<key>")
    def insert(key: str):
        db.session.add(Row(key=key))
        db.session.commit()
        return "", 201

    return app
