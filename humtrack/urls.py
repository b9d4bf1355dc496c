from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("humtrack — humanitarian access and needs")
admin.site.site_title = "humtrack"
admin.site.index_title = _("Coordination")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("humtrack.api.urls")),
    path("alerts/", include("access.alerts.urls")),
    # Django's set_language view: the language switch on the pages people read (a POST, with CSRF).
    path("i18n/", include("django.conf.urls.i18n")),
    path("situation/", include("situation.urls")),
    path("", include("humtrack.ops.urls")),  # /healthz, /readyz, /metrics
]
