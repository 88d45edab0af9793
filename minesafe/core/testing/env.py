"""Pytest plugin (loaded with -p, before pytest-django reads settings): test-run environment."""
import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("PERSON_ID_KEY", "test-only-person-id-key-not-for-production")
os.environ.setdefault("REPORTER_KEY", "test-only-reporter-key-not-for-production")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
