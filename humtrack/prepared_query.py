"""A query every request makes, compiled to SQL once and then run with each request's value.

Django compiles a queryset to SQL every time it runs it. For the partner token's lookup (a select of
two tables by one text column) the compiling cost three times the query itself: a millisecond of a
partner's request, before anything the partner asked for. `PreparedQuery` compiles the queryset once
per thread and database, with a marker where the value goes, and then only runs the SQL and builds
the model instances from the row as Django's own ModelIterable does (select_related included).

Only text values are taken (a marker is a string, passed unchanged by a text field's preparation):
`PreparedQuery` refuses a queryset whose compiled parameters lost a marker (a lookup that transforms
its value, e.g. `iexact` or `contains`) rather than run SQL that would not mean what the queryset does.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # (not in django-stubs)

MARKER = "\x00prepared:{}\x00"


class PreparedQuery:
    """`build(**values)` returns the queryset of `model` with `values` where a request's values go (text).

    `first(**values)` runs it: the first row's model instance (its select_related rows attached), or None.
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], *names: str):
        self._model = model
        self._build = build
        self._names = names
        self._compiled = threading.local()  # a compiler holds its thread's connection

    def _compile(self, alias: str):
        markers = {MARKER.format(name): name for name in self._names}
        compiler = self._build(**{name: marker for marker, name in markers.items()})[:1].query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        # Each value must reach the SQL as given, once or more; a marker inside another parameter means
        # a lookup rewrote it (a pattern, a case fold): that query cannot be prepared this way.
        slots = [(markers[param], True) if isinstance(param, str) and param in markers else (param, False)
                 for param in params]  # fmt: skip
        given = {slot for slot, named in slots if named}
        rewritten = [param for param, named in slots if not named and "\x00prepared:" in str(param)]
        if given != set(self._names) or rewritten:
            raise ValueError(f"PreparedQuery: {sorted(set(self._names) - given)} do not reach the SQL as given")
        klass_info, select = compiler.klass_info, compiler.select
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        # What ModelIterable works out from a compiler before its first row (django.db.models.query).
        init_list = [column[0].target.attname for column in select[first:last]]
        populators = get_related_populators(klass_info, select, alias)
        return sql, slots, compiler, (klass_info["model"], first, last, init_list, populators)

    def first(self, **values: str) -> Any:
        alias = router.db_for_read(self._model)
        compiled = getattr(self._compiled, alias, None)
        if compiled is None:
            compiled = self._compile(alias)
            setattr(self._compiled, alias, compiled)
        sql, slots, compiler, (model, first, last, init_list, populators) = compiled
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [values[slot] if named else slot for slot, named in slots])
            row = cursor.fetchone()
        if row is None:
            return None
        (row,) = compiler.results_iter([[row]])  # the fields' converters (SQLite's dates and booleans)
        instance = model.from_db(alias, init_list, row[first:last])
        for populator in populators:
            populator.populate(row, instance)
        return instance
