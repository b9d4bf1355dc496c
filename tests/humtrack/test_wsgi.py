"""The web processes' entry point (humtrack/wsgi.py): what a process loads at start-up is frozen out of the
garbage collector's walks, the views among it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: importing humtrack.wsgi here would freeze the test process's objects too.
REPORT = """
import gc, sys
import humtrack.wsgi
print(gc.get_freeze_count(), "needs.api.views" in sys.modules)
"""


def test_a_web_process_freezes_what_it_loaded_at_start_up_views_included():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "humtrack.settings.test", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    frozen, views_loaded = result.stdout.split()
    # Tens of thousands of objects: Django, the apps and every view (the URLconf imported before freezing).
    assert int(frozen) > 50_000 and views_loaded == "True"
