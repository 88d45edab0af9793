"""WSGI entry point (gunicorn minesafe.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minesafe.settings")
application = get_wsgi_application()
