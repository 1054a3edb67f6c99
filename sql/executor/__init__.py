"""Running plans: each plan node (sql.plan.nodes) is executed as an iterator of row tuples.

``execute.py`` dispatches a node to the module that runs its kind (scans, joins, aggregates,
sorts); ``context.py`` holds what one execution shares (its transaction, CTE results) and the
interrupt checks of loops over rows already in memory.
"""
