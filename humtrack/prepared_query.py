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

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators  # type: ignore[attr-defined]  # (not in django-stubs)

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


class PreparedRows:
    """The rows of querysets narrowed from one `frame` (a values_list), each shape compiled to SQL once.

    A list page's queryset is its frame (the columns, their joins and casts) narrowed by the request's
    filters, cursor and page size. Compiling it cost about a fifth of a needs page's time over HTTP, more
    than the query took to run; what compiling gives depends on the request's values only through the
    WHERE clause. `rows(queryset)` compiles that clause alone (a tenth of the whole) and looks the whole
    statement up by it, with everything else that shapes the SQL: the joins in use, the order, the slice
    and the database. Its parameters are then the clause's own, in its order.

    A statement is kept only when that is provably so: the whole query's parameters are exactly the
    clause's, the clause's text is in the statement, and no column needs a converter (SQLite's booleans:
    there the ORM runs it). A queryset not narrowed from the frame (other columns, DISTINCT, GROUP BY,
    extra(), a combination) and a clause that can match nothing go through the ORM as usual.
    """

    MAX_STATEMENTS = 512  # shapes, not values: filters × order × page sizes; emptied when full

    def __init__(self, frame: QuerySet):
        query = frame.query
        if not frame._fields or tuple(frame._fields) != _database_order(query):  # type: ignore[attr-defined]
            # ValuesListIterable would reorder the database's columns: rows read here would not be the ORM's.
            raise ValueError("PreparedRows: the frame's columns must be plain fields first, then expressions")
        self._frame = query
        self._statements: dict[tuple, str | None] = {}
        self.compiled = 0  # statements compiled (tests: the second request of a shape compiles nothing)

    def _narrowed_from_frame(self, queryset: QuerySet) -> bool:
        query, frame = queryset.query, self._frame
        return (
            query.select is frame.select
            and query.values_select == frame.values_select
            and list(query.annotation_select) == list(frame.annotation_select)
            and all(query.annotation_select[name] is frame.annotation_select[name] for name in frame.annotation_select)
            and queryset._fields == _database_order(frame)  # type: ignore[attr-defined]
            and queryset._iterable_class is ValuesListIterable
            and not (query.distinct or query.group_by or query.combinator or query.extra or query.extra_tables)
            and not (query.select_for_update or query.extra_order_by or query.subquery)
        )

    def rows(self, queryset: QuerySet) -> list[tuple]:
        if not self._narrowed_from_frame(queryset):
            return list(queryset)
        query, alias = queryset.query, queryset.db
        try:
            where_sql, where_params = query.get_compiler(using=alias).compile(query.where)
        except FullResultSet:  # no condition at all (Django then writes no WHERE)
            where_sql, where_params = "", []
        except EmptyResultSet:  # a condition that matches nothing: Django runs no query
            return list(queryset)
        joins = tuple(
            (name, getattr(join, "identity"), getattr(join, "join_type", None), getattr(join, "nullable", None))  # noqa: B009  (not in django-stubs)
            for name, join in query.alias_map.items()
            if query.alias_refcount[name]
        )
        key = (alias, where_sql, joins, query.order_by, query.standard_ordering, query.default_ordering,
               query.low_mark, query.high_mark)  # fmt: skip
        # One lookup, its answer kept: another thread may empty the dict between two (gthread workers).
        try:
            sql = self._statements[key]
        except KeyError:
            if len(self._statements) >= self.MAX_STATEMENTS:
                self._statements.clear()
            sql = self._statements[key] = self._compile(queryset, where_sql, where_params)
        if sql is None:
            return list(queryset)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, where_params)
            return [tuple(row) for row in cursor.fetchall()]

    def _compile(self, queryset: QuerySet, where_sql: str, where_params) -> str | None:
        self.compiled += 1
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet):
            return None
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        if list(params) != list(where_params) or where_sql not in sql or compiler.get_converters(columns):
            return None
        return sql


def _database_order(query) -> tuple:
    """The names of a values query's columns in the order its SQL selects them (ValuesListIterable's `names`)."""
    return (*query.extra_select, *query.values_select, *query.annotation_select)
