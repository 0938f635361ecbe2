"""What SQLite plans for a statement of the store: its ``EXPLAIN QUERY PLAN`` lines."""

from __future__ import annotations

from typing import Any

from trust.store import Store


def explain(store: Store, statement: Any, params: dict[str, Any]) -> str:
    """The plan of ``statement`` with ``params``, its lines joined by `` | ``."""
    with store.engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        bound = compiled.construct_params(params)
        # Bound as an execution binds them: a list of ids as one JSON parameter (``TextIn``).
        processors = compiled._bind_processors
        values = tuple(
            processors[name](bound[name]) if name in processors else bound[name]
            for name in compiled.positiontup or ()
        )
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        return " | ".join(str(row[-1]) for row in rows)
