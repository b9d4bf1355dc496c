#!/bin/sh
# The image's one entrypoint: the same image runs the web server, a Celery worker, beat, the
# migrations or the deploy check, chosen by the first argument.
#
#   web       gunicorn (deploy/gunicorn.conf.py), port $PORT (8000)
#   worker    a Celery worker for $CELERY_QUEUES (default,alerts), $CELERY_CONCURRENCY processes (2)
#   beat      Celery beat: run exactly one
#   migrate   apply the database migrations, then exit (a one-shot job before a release serves)
#   check     `manage.py check --deploy`: fails on any warning, e.g. a missing production setting
#   manage    any other management command: `manage createsuperuser`
#   anything else is executed as given (`sh`, `python -c ...`).
set -eu

APP_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$APP_DIR"
PYTHON=${PYTHON:-python}
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-humtrack.settings.production}"

# Prometheus multiprocess mode for the processes of one web server or one worker: their counters are
# files in this folder, summed when scraped. Emptied at start: counts of a previous run do not carry.
fresh_metrics_dir() {
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/humtrack-prometheus-$1}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}

command=${1:-web}
[ "$#" -gt 0 ] && shift

case "$command" in
    web)
        fresh_metrics_dir web
        exec "$PYTHON" -m gunicorn --config "$APP_DIR/deploy/gunicorn.conf.py" "$@"
        ;;
    worker)
        fresh_metrics_dir worker
        # --quiet: no startup banner, so that stdout holds only JSON log lines.
        # -O fair with prefetch 1 and late acks (settings): a long task never holds others hostage.
        # humtrack.ops.worker_metrics serves /metrics on $WORKER_METRICS_PORT when it is set;
        # $CELERY_INCLUDE names more task modules to import (comma-separated), beyond each app's tasks.py.
        exec "$PYTHON" -m celery --quiet --app humtrack worker \
            --queues "${CELERY_QUEUES:-default,alerts}" \
            --concurrency "${CELERY_CONCURRENCY:-2}" \
            --hostname "${CELERY_HOSTNAME:-worker@%h}" \
            --include "humtrack.ops.worker_metrics${CELERY_INCLUDE:+,$CELERY_INCLUDE}" \
            --optimization fair --without-gossip --without-mingle \
            --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    beat)
        # The settings create no folder: the schedule's is made here (the image, compose's volume and
        # systemd's StateDirectory usually have it already).
        schedule="${CELERY_BEAT_SCHEDULE:-${HUMTRACK_VAR_DIR:-/tmp}/celerybeat-schedule}"
        mkdir -p "$(dirname -- "$schedule")"
        exec "$PYTHON" -m celery --quiet --app humtrack beat \
            --schedule "$schedule" \
            --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    migrate)
        exec "$PYTHON" manage.py migrate --no-input "$@"
        ;;
    check)
        exec "$PYTHON" manage.py check --deploy --fail-level WARNING "$@"
        ;;
    manage)
        exec "$PYTHON" manage.py "$@"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
