"""Django 5.2 with its stock postgresql backend against db9 servers: ``manage.py migrate``
of the contrib apps (auth, contenttypes, admin, sessions: ALTER COLUMN ... TYPE, indexes
with varchar_pattern_ops, deferrable foreign keys), then ``runtests.py basic`` from Django's
own test suite (the sdist, cached by bench.django_suite). A ratchet: all 82 of basic's tests
passed when this was written (bench/README.md, "Django's test suite")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from bench.django_suite import passed, run_app
from bench.servers import db9_server, free_base

BASIC_FLOOR = 82
CONTRIB = ("admin", "auth", "contenttypes", "sessions")

SETTINGS = """
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "PORT": {port},
    "NAME": "postgres", "USER": "local.admin", "PASSWORD": "bench",
    "OPTIONS": {{"sslmode": "disable"}},
}}}}
INSTALLED_APPS = [{apps}, "django.contrib.messages"]
SILENCED_SYSTEM_CHECKS = ["admin.E403", "admin.E408", "admin.E409", "admin.E410"]
SECRET_KEY = "ci"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
"""


def test_django_migrates_its_contrib_apps(tmp_path: Path) -> None:
    port = free_base(1)
    apps = ", ".join(f'"django.contrib.{a}"' for a in CONTRIB)
    (tmp_path / "ci_settings.py").write_text(SETTINGS.format(port=port, apps=apps))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ci_settings"}
    with db9_server(port, env={"DB9_SYNC": "0"}) as server:
        done = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput"],
            env=env, capture_output=True, text=True, timeout=170,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        with psycopg.connect(server.conninfo, password=server.password) as conn:
            rows = conn.execute("SELECT app, name FROM django_migrations").fetchall()
            again = subprocess.run(
                [sys.executable, "-m", "django", "migrate", "--check", "--noinput"],
                env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
    assert {app for app, _ in rows} == set(CONTRIB)
    assert ("auth", "0012_alter_user_first_name_max_length") in rows
    assert again.returncode == 0, again.stdout + again.stderr


def test_django_basic_app_tests_pass() -> None:
    port = free_base(1)
    with db9_server(port, env={"DB9_SYNC": "0"}) as server:
        run = run_app(server, port, "basic", create_db=False, timeout=170)
    assert run.outcomes, run.tail
    failing = {t: o for t, o in run.outcomes.items() if o["outcome"] in ("fail", "error")}
    assert len(passed(run)) >= BASIC_FLOOR, failing
