"""The production settings, serving humtrack's URLs plus the HTTP benchmark's peer and floors
(bench/http_peers.py). Only bench/http_load.py's gunicorn uses it (DJANGO_SETTINGS_MODULE)."""

from humtrack.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_peers"
