"""SQL layer: parse (sqlglot), bind/plan, execute on KV transactions."""
