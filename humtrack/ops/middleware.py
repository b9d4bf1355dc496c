"""Probes and scrapes reach their views whatever Host they send.

Kubernetes probes and Prometheus call a pod by its IP address, which ALLOWED_HOSTS rightly does not
list; Django would answer 400 (DisallowedHost) and the pod would never be ready. These three
endpoints build no URL from the Host header, so skipping the host check for them is safe. The
middleware sits before SecurityMiddleware, so the probes are not redirected to HTTPS either.
"""

from asgiref.sync import async_to_sync

from humtrack.ops import views

PROBE_VIEWS = {
    "/healthz": views.healthz,
    "/readyz": async_to_sync(views.readyz),
    "/metrics": views.prometheus_metrics,
}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PROBE_VIEWS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            response = view(request)
            # Returned from a middleware, a TemplateResponse (the health check's HTML page, for a probe
            # that accepts */*) is never rendered by Django: render it here or the server fails with 500.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        return self.get_response(request)
