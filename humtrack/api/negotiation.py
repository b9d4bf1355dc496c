"""Content negotiation: the browsable API is for people signed in to the admin, not for tokens.

An empty `?format=` is a 404 like any other format the resource does not offer (DRF would ignore it).
"""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer

from .permissions import request_token


class PartnerContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE, None) == "":
            raise Http404(_("Name a format (json, csv, geojson) or leave the parameter out."))
        if request_token(request) is not None:
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
