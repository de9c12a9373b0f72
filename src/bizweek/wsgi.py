"""WSGI entry point, for hosts without ASGI; real-time features need asgi.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
application = get_wsgi_application()
