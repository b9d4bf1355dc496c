"""deploy/gunicorn.conf.py as gunicorn itself reads it: threaded workers in every deployment, so a request
waiting on PostgreSQL holds one thread and not the reads beside it (issue 15 §6; the behaviour is shown
by tests/integration/test_scale_out.py), and the connections those threads keep within PostgreSQL's."""

import json
import re
import subprocess
import sys

import yaml

from tests.deploy.example_env import DEPLOY, REPO, documented_variables, production_environment, read_env_file

# The settings gunicorn resolves from the file, read by gunicorn's own config loader; the application
# is not loaded (a web server's start is the integration tests' to show).
READ_CONFIG = """
import json, sys
from gunicorn.app.base import Application

class Configured(Application):
    def init(self, parser, opts, args):
        return None

    def load(self):
        return None

application = Configured()
application.load_config_from_file(sys.argv[1])
cfg = application.cfg
print(json.dumps({"worker_class": cfg.worker_class_str, "workers": cfg.workers, "threads": cfg.threads}))
"""
# PostgreSQL's default max_connections (100), less its default superuser_reserved_connections (3).
POSTGRESQL_CONNECTIONS = 100 - 3


def gunicorn_settings(tmp_path, *, unset: tuple[str, ...] = (), **overrides: str) -> dict:
    environment = production_environment(tmp_path, **overrides)
    for name in unset:
        environment.pop(name)
    result = subprocess.run(
        [sys.executable, "-c", READ_CONFIG, str(DEPLOY / "gunicorn.conf.py")],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_example_environment_runs_threaded_workers(tmp_path):
    example = read_env_file()
    settings = gunicorn_settings(tmp_path)
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] == int(example["GUNICORN_THREADS"]) > 1
    assert settings["workers"] == int(example["WEB_CONCURRENCY"])


def test_without_the_variables_gunicorn_runs_the_documented_defaults(tmp_path):
    settings = gunicorn_settings(tmp_path, unset=("WEB_CONCURRENCY", "GUNICORN_THREADS"))
    assert settings == {"worker_class": "gthread", "workers": 3, "threads": 4}
    assert "Default: 4." in " ".join(documented_variables()["GUNICORN_THREADS"])
    assert "Default: 3." in " ".join(documented_variables()["WEB_CONCURRENCY"])


def test_the_thread_count_is_tunable_from_the_environment(tmp_path):
    assert gunicorn_settings(tmp_path, GUNICORN_THREADS="8")["threads"] == 8


def test_no_deployment_turns_the_threads_off():
    compose_web = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["web"]["environment"]
    (config_map,) = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "configmap.yaml").read_text()) if d]
    unit = (DEPLOY / "systemd" / "humtrack-web.service").read_text()
    assert "GUNICORN_THREADS" not in compose_web  # the env file's (the example's) applies
    assert int(config_map["data"]["GUNICORN_THREADS"]) > 1
    assert not re.search(r"^Environment=.*GUNICORN_THREADS", unit, re.MULTILINE)  # humtrack.env's applies


def kubernetes_documents() -> list[dict]:
    return [
        document
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def test_kubernetes_at_full_scale_keeps_within_postgresqls_default_connections():
    """Every web thread and Celery process keeps its own connection (CONN_MAX_AGE), to PgBouncer: at the
    autoscaler's maximum, during a rollout's surge, with every worker, their fan-out locks, beat and the
    migrate Job, they must fit in one PgBouncer replica's MAX_CLIENT_CONN (the Service may send them all
    to one); and PgBouncer's pools in PostgreSQL's default max_connections (docs/deploy.md, "Database
    connections")."""
    documents = {(d["kind"], d["metadata"]["name"]): d for d in kubernetes_documents()}
    config = documents[("ConfigMap", "humtrack")]["data"]
    web = documents[("Deployment", "humtrack-web")]["spec"]
    autoscaler = documents[("HorizontalPodAutoscaler", "humtrack-web")]["spec"]
    web_pods = autoscaler["maxReplicas"] + web["strategy"]["rollingUpdate"]["maxSurge"]
    web_connections = web_pods * int(config["WEB_CONCURRENCY"]) * int(config["GUNICORN_THREADS"])
    worker_connections = 0
    for (kind, name), document in documents.items():
        if kind == "Deployment" and name.startswith("humtrack-worker-"):
            (container,) = document["spec"]["template"]["spec"]["containers"]
            concurrency = {e["name"]: e.get("value") for e in container["env"]}["CELERY_CONCURRENCY"]
            # Each process's own, and the one its fan-out lock holds (access/alerts/fan_out.py).
            worker_connections += document["spec"]["replicas"] * int(concurrency) * 2
    beat_and_migrate = 2
    pgbouncer = documents[("Deployment", "humtrack-pgbouncer")]["spec"]
    (container,) = pgbouncer["template"]["spec"]["containers"]
    pgbouncer_environment = {e["name"]: e.get("value") for e in container["env"]}
    clients = web_connections + worker_connections + beat_and_migrate
    assert clients <= int(pgbouncer_environment["MAX_CLIENT_CONN"]), (web_connections, worker_connections)
    pgbouncers = pgbouncer["replicas"] + pgbouncer["strategy"]["rollingUpdate"]["maxSurge"]  # during a rollout
    pool = int(pgbouncer_environment["MAX_DB_CONNECTIONS"])
    assert int(pgbouncer_environment["DEFAULT_POOL_SIZE"]) <= pool
    assert pgbouncers * pool <= POSTGRESQL_CONNECTIONS, (pgbouncers, pool)
