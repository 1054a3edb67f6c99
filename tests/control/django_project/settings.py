"""A Django project's settings for db9: the postgresql backend, a db9 login (the test
passes the port and password in the environment; bench.createdb_bench also points it at
PostgreSQL with DB9_USER and DB9_SSLMODE)."""

import os

SECRET_KEY = "db9-tests"
INSTALLED_APPS = ["shop"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": os.environ.get("DB9_USER", "local.admin"),
        "PASSWORD": os.environ["DB9_PASSWORD"],
        "HOST": "127.0.0.1",
        "PORT": os.environ["DB9_PORT"],
        "OPTIONS": {"sslmode": os.environ.get("DB9_SSLMODE", "require")},
    }
}
