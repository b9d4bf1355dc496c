import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.base")
application = get_wsgi_application()

# What a web process loads once and keeps for its life (Django, the apps, every view: the URLconf is
# imported here rather than on the first request) is taken out of the cyclic garbage collector's walks:
# each full collection walked those ~120,000 objects again, and a list request makes enough objects to
# set collections off. docs/api.md ("Under load") has the measurements. Nothing frozen is ever freed,
# which costs nothing here: none of it would have been.
get_resolver().url_patterns  # noqa: B018  (imports the views)
gc.collect()
gc.freeze()
