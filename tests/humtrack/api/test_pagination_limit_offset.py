"""BoundedLimitOffsetPagination: limit and offset within their bounds, whole numbers only, and `next`."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from humtrack.api.pagination import BoundedLimitOffsetPagination


class Pagination(BoundedLimitOffsetPagination):
    default_limit = 3
    max_limit = 5


def page(query: str, rows=tuple(range(12))):
    pagination = Pagination()
    request = Request(APIRequestFactory().get(f"/api/v1/things/?{query}"))
    return pagination.paginate_queryset(list(rows), request), pagination.get_next_link()


def test_default_limit_and_next_link():
    assert page("") == ([0, 1, 2], "http://testserver/api/v1/things/?limit=3&offset=3")
    assert page("limit=5&offset=9") == ([9, 10, 11], None)
    assert page("limit=5&offset=7") == ([7, 8, 9, 10, 11], None)  # exactly the last page: no next
    assert page("offset=20") == ([], None)


@pytest.mark.parametrize(
    "query", ["limit=6", "limit=0", "limit=-1", "limit=+2", "limit= 2", "limit=1_0", "limit=٣", "offset=-1",
              "offset=1.0", f"offset={10**12 + 1}", "offset=99999999999999999999"],
)  # fmt: skip
def test_out_of_bounds_or_not_a_whole_number_is_an_error_naming_the_parameter(query):
    with pytest.raises(ValidationError) as raised:
        page(query)
    assert list(raised.value.detail) == [query.split("=")[0]]
