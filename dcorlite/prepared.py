"""Queries whose SQL text is made once: most of a request's time went into peewee making SQL.

Building the SQL of a select (quoting every column, walking the expression
tree) costs peewee ten times more than SQLite needs to run it. A
:class:`Prepared` query is a function that builds a peewee select from its
arguments. The first call for a kind of database and a shape of arguments
(how many items each list has) builds it with marker values, keeps the SQL
text and where each marker went among the parameters; later calls run that
SQL with their own values and turn the rows into objects with the first
query's own cursor wrapper, exactly as peewee would. Only arguments that
peewee passes through unchanged may be given (ids and names: text).

The same SQL gives the same result columns, so what peewee's cursor wrapper
works out from them when the first row arrives (which column goes to which
field, and through which converter) is kept from the first run as well.
"""
import threading

from .db import database


#: argument shapes one query keeps plans for (IN lists of many lengths make many shapes)
MAX_PLANS = 128


class _Marker(str):
    """A placeholder value, told apart from real values by identity."""


def _flat(args):
    values = []
    for arg in args:
        values.extend(arg if isinstance(arg, (list, tuple)) else [arg])
    return values


def _shape(args):
    return (type(database.obj),) + tuple(
        len(arg) if isinstance(arg, (list, tuple)) else -1 for arg in args)


class _Plan:
    """The SQL of one argument shape, and the column mapping its rows are read with."""

    def __init__(self, template, sql, params, slots):
        self.template, self.sql, self.params, self.slots = template, sql, params, slots
        self.columns = None  # the attributes peewee's initialize() set, once known

    def reuse_columns(self, wrapper):
        """Let ``wrapper`` take the column mapping of the first run (or record it)."""
        if self.columns is not None:
            wrapper.initialize = lambda: wrapper.__dict__.update(self.columns)
            return
        before = dict(vars(wrapper))
        original = wrapper.initialize

        def initialize():
            original()
            self.columns = {k: v for k, v in vars(wrapper).items()
                            if k not in before or before[k] is not v}
        wrapper.initialize = initialize


class Prepared:
    """A select built by ``build(*args)``, whose SQL is generated once per argument shape."""

    def __init__(self, build):
        self.build = build
        self._plans = {}
        self._lock = threading.Lock()

    def _plan(self, args):
        markers, count = [], 0
        for arg in args:
            if isinstance(arg, (list, tuple)):
                markers.append([_Marker(f"\x00p{count + i}") for i in range(len(arg))])
                count += len(arg)
            else:
                markers.append(_Marker(f"\x00p{count}"))
                count += 1
        template = self.build(*markers)
        sql, params = template.sql()
        flat = _flat(markers)
        slots = {}
        for position, value in enumerate(params):
            for index, marker in enumerate(flat):
                if value is marker:
                    slots[position] = index
        if set(slots.values()) != set(range(count)):
            return None  # peewee converted an argument: build this shape every time
        return _Plan(template, sql, params, slots)

    def cursor(self, *args):
        """Run the query for ``args``; return peewee's cursor wrapper (iterate over it)."""
        shape = _shape(args)
        plan = self._plans.get(shape, False)
        if plan is False:
            plan = self._plan(args)
            with self._lock:
                if len(self._plans) < MAX_PLANS:
                    self._plans.setdefault(shape, plan)
        if plan is None:
            return self.build(*args).execute()
        flat = _flat(args)
        params = [flat[plan.slots[i]] if i in plan.slots else value
                  for i, value in enumerate(plan.params)]
        wrapper = plan.template._get_cursor_wrapper(database.execute_sql(plan.sql, params))
        plan.reuse_columns(wrapper)
        return wrapper

    def all(self, *args):
        """The rows for ``args`` as a list (models, tuples or dicts, as the select says)."""
        return list(self.cursor(*args))

    def first(self, *args):
        """The first row for ``args``, or None (all rows are read: no statement stays open)."""
        rows = self.all(*args)
        return rows[0] if rows else None
