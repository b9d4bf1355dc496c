"""Probes and metrics: what an orchestrator and a Prometheus server call, never a person."""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from health_check.exceptions import ServiceWarning
from health_check.views import HealthCheckView

from humtrack.ops import checks, metrics


@never_cache
def healthz(request):
    """Liveness: the process answers. No dependency is touched, so a database outage does not get
    every web pod restarted."""
    return HttpResponse("ok\n", content_type="text/plain")


class ReadinessView(HealthCheckView):
    """Readiness: database, cache and broker reachable, migrations applied.

    Answers 503 when one fails (the library says 500), so that a proxy or a person reading the logs
    sees "unavailable", not "crashed". `?format=json` or `Accept: application/json` for JSON.
    A warning alone (alerts waiting on the mail relay) is "degraded": 200, the warning in the body and
    `Health-Status: degraded`, so that an orchestrator keeps serving while people are told.
    """

    checks = (
        "health_check.Database",
        "health_check.Cache",
        checks.Broker,
        checks.MigrationsApplied,
        # Named by string: the kernel imports no domain app.
        "access.alerts.health.AlertRelay",
    )

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in self.results if result.error]
        if errors and all(isinstance(error, ServiceWarning) for error in errors):
            response.status_code = 200
            response["Health-Status"] = "degraded"
        elif response.status_code == 500:
            response.status_code = 503
        return response


readyz = ReadinessView.as_view()


@never_cache
def prometheus_metrics(request):
    """Prometheus text format. With METRICS_TOKEN set (production requires it) a scrape must send
    `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(offered.encode(), token.encode()):
            response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
