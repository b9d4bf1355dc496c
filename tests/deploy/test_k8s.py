"""deploy/k8s: every manifest passes Kubernetes' own schemas (kubernetes-validate, bundled offline),
and the shape the issue asks for: probes, resources, non-root, exactly one beat, an HPA on web."""

from urllib.parse import urlparse

import pytest
import yaml
from kubernetes_validate import ValidationError, validate

from tests.deploy.example_env import DEPLOY, documented_variables, required_in_production

K8S = DEPLOY / "k8s"
# A version the installed kubernetes-validate ships schemas for (it ships 1.25 to 1.37).
KUBERNETES_VERSION = "1.32.0"
REQUIRED_SECRETS = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "METRICS_TOKEN"}


def documents(name):
    return [document for document in yaml.safe_load_all((K8S / name).read_text()) if document]


def manifest_files():
    return sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def resources():
    by_kind_and_name = {}
    for name in manifest_files():
        for document in documents(name):
            by_kind_and_name[(document["kind"], document["metadata"]["name"])] = document
    return by_kind_and_name


def pod_templates(resources):
    for (kind, name), resource in resources.items():
        if kind in ("Deployment", "Job"):
            yield name, resource["spec"]["template"]["spec"]


def app_pod_templates(resources):
    """humtrack's own pods (the one image); not PgBouncer's."""
    for name, pod in pod_templates(resources):
        if name != "humtrack-pgbouncer":
            yield name, pod


@pytest.mark.parametrize("name", manifest_files())
def test_manifest_passes_the_kubernetes_schemas_strictly(name):
    for document in documents(name):
        validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field():
    (deployment, *_) = documents("web.yaml")
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(ValidationError):
        validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_template():
    (kustomization,) = documents("kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(set(manifest_files()) - {"secret.template.yaml"})


def test_web_has_a_service_an_autoscaler_and_liveness_and_readiness_probes(resources):
    web = resources[("Deployment", "humtrack-web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["args"] == ["web"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service = resources[("Service", "humtrack-web")]
    assert service["spec"]["selector"] == resources[("Deployment", "humtrack-web")]["spec"]["selector"]["matchLabels"]
    autoscaler = resources[("HorizontalPodAutoscaler", "humtrack-web")]["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "humtrack-web"}
    assert autoscaler["minReplicas"] >= 2


def test_beat_runs_exactly_one_replica_and_is_recreated_not_rolled(resources):
    beat = resources[("Deployment", "humtrack-beat")]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert beat["template"]["spec"]["containers"][0]["args"] == ["beat"]


def test_alerts_and_default_queues_have_their_own_worker_deployments(resources):
    for queue in ("alerts", "default"):
        container = resources[("Deployment", f"humtrack-worker-{queue}")]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["worker"]
        assert {"name": "CELERY_QUEUES", "value": queue} in container["env"]
        assert "livenessProbe" in container


def test_migrations_run_as_a_job(resources):
    job = resources[("Job", "humtrack-migrate")]["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["migrate"]
    assert job["restartPolicy"] == "OnFailure"


def test_every_pod_runs_as_non_root_with_resource_requests(resources):
    for name, pod in pod_templates(resources):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_every_app_pod_shares_the_configuration(resources):
    for name, pod in app_pod_templates(resources):
        for container in pod["containers"]:
            assert container["envFrom"] == [
                {"configMapRef": {"name": "humtrack"}},
                {"secretRef": {"name": "humtrack"}},
            ], name


def test_config_map_and_secret_hold_documented_variables_and_every_required_one(resources):
    config = resources[("ConfigMap", "humtrack")]["data"]
    secret = resources[("Secret", "humtrack")]["stringData"]
    documented = set(documented_variables())
    assert set(config) - documented == set()
    assert set(secret) - documented == set()
    assert REQUIRED_SECRETS <= set(secret)
    assert required_in_production() <= set(config) | set(secret)
    assert config["SITE_URL"].startswith("https://")  # required too, and no secret: alert emails link there
    assert not set(config) & set(secret)


def test_web_workers_beat_and_migrations_reach_postgresql_through_pgbouncer_in_transaction_pooling(resources):
    config = resources[("ConfigMap", "humtrack")]["data"]
    secret = resources[("Secret", "humtrack")]["stringData"]
    (container,) = resources[("Deployment", "humtrack-pgbouncer")]["spec"]["template"]["spec"]["containers"]
    environment = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert environment["POOL_MODE"] == "transaction"
    assert environment["DB_PASSWORD"] == {"secretKeyRef": {"name": "humtrack", "key": "POSTGRES_PASSWORD"}}
    service = resources[("Service", "humtrack-pgbouncer")]["spec"]
    url = urlparse(secret["DATABASE_URL"])
    assert (url.hostname, url.port) == ("humtrack-pgbouncer", service["ports"][0]["port"])
    assert config["DATABASE_POOLER"] == "pgbouncer"
    assert url.password == secret["POSTGRES_PASSWORD"]  # PgBouncer logs in with the password clients give
    # Every app pod takes DATABASE_URL from the Secret (test above), none sets its own.
    for name, pod in app_pod_templates(resources):
        for app_container in pod["containers"]:
            assert "DATABASE_URL" not in {e["name"] for e in app_container.get("env", [])}, name
