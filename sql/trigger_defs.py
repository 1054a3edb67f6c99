"""How PostgreSQL prints a trigger: pg_get_triggerdef and information_schema.triggers."""

from __future__ import annotations

import re

from sql.catalog import TableDef, TriggerDef

_TIMING = {"before": "BEFORE", "after": "AFTER", "instead": "INSTEAD OF"}
_EVENT_ORDER = ("insert", "delete", "update", "truncate")  # as pg_get_triggerdef lists them


def condition(trigger: TriggerDef, *, pretty: bool) -> str | None:
    """A trigger's WHEN as PostgreSQL prints it: an operator expression in parentheses
    unless ``pretty``."""
    when = trigger.when
    if when is not None:  # pglast prints TRUE where PostgreSQL prints true
        when = re.sub(r"\b(TRUE|FALSE)\b(?=(?:[^']*'[^']*')*[^']*$)", lambda m: m[1].lower(), when)
    if when is None or pretty or re.fullmatch(r"[\w.]+", when):
        return when
    return f"({when})"


def action_statement(trigger: TriggerDef, function: str) -> str:
    """``EXECUTE FUNCTION f('arg', ...)``."""
    args = ", ".join("'" + a.replace("'", "''") + "'" for a in trigger.args)
    return f"EXECUTE FUNCTION {function}({args})"


def definition(table: TableDef, trigger: TriggerDef, function: str, *, pretty: bool) -> str:
    """pg_get_triggerdef: the CREATE TRIGGER statement of ``trigger``."""
    events = []
    for e in _EVENT_ORDER:
        if e in trigger.events:
            of = f" OF {', '.join(trigger.columns)}" if e == "update" and trigger.columns else ""
            events.append(e.upper() + of)
    rel = table.name if pretty else f"{table.schema}.{table.name}"
    level = "ROW" if trigger.row else "STATEMENT"
    when = condition(trigger, pretty=pretty)
    cond = f"WHEN ({when}) " if when is not None else ""
    return (
        f"CREATE TRIGGER {trigger.name} {_TIMING[trigger.timing]} {' OR '.join(events)} ON {rel}"
        f" FOR EACH {level} {cond}{action_statement(trigger, function)}"
    )
