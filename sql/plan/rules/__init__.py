"""The optimizer's rules, one module each; sql.plan.optimizer.RULES applies them in order."""
