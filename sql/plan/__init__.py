"""Planning a query, by stage: ``nodes`` (the plan as data), ``binder`` (a sqlglot tree
becomes a plan), ``optimizer`` (the ordered rules of ``rules/``: pushdown, access paths,
join order) and ``explain`` (a plan as EXPLAIN prints it). Running a plan is sql.executor's.
"""
