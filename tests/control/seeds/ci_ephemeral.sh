#!/usr/bin/env bash
# The "CI Ephemeral Databases" guide's CLI workflows (../shared/seeds/002_*), as written,
# with only DB9_API_URL and DB9_TOKEN set. `npm test` / `prisma db push` are replaced by
# psql checks; sleep 2 polling is the guide's own loop.
set -euo pipefail

# Strategy 1: ephemeral database per CI run
DB_NAME="ci-${GITHUB_RUN_ID:-$(date +%s)}"
db9 create --name "$DB_NAME" --show-connection-string
export DATABASE_URL=$(db9 db status "$DB_NAME" --json | jq -r .connection_string)
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT UNIQUE)" \
  -c "INSERT INTO users (email) VALUES ('a@x')" -tAc "SELECT count(*) FROM users" | tail -1 | grep -qx 1
db9 delete "$DB_NAME" --yes

# Strategy 2: branch per CI run
db9 create --name staging
export STAGING_URL=$(db9 db status staging --json | jq -r .connection_string)
psql "$STAGING_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE orders (id int PRIMARY KEY, total int)" \
  -c "INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g"
BRANCH_NAME="ci-${GITHUB_RUN_ID:-$(date +%s)}-b"
db9 branch create staging --name "$BRANCH_NAME"
while true; do
  STATE=$(db9 db status "$BRANCH_NAME" --json | jq -r .state)
  if [ "$STATE" = "ACTIVE" ]; then
    break
  elif [ "$STATE" = "CREATE_FAILED" ]; then
    echo "Branch creation failed"
    db9 db status "$BRANCH_NAME" --json | jq .state_reason
    exit 1
  fi
  sleep 2
done
export DATABASE_URL=$(db9 db status "$BRANCH_NAME" --json | jq -r .connection_string)
echo "ALTER TABLE orders ADD COLUMN note text;" > /tmp/latest-$$.sql
db9 db sql "$BRANCH_NAME" -f /tmp/latest-$$.sql
psql "$DATABASE_URL" -tAc "SELECT count(*) FROM orders" | grep -qx 100
psql "$STAGING_URL" -tAc "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders'" | grep -qx 2

# Short-lived credentials
TOKEN_JSON=$(db9 db connect-token "$BRANCH_NAME")
HOST=$(echo "$TOKEN_JSON" | jq -r .host)
PORT=$(echo "$TOKEN_JSON" | jq -r .port)
USER=$(echo "$TOKEN_JSON" | jq -r .user)
TOKEN=$(echo "$TOKEN_JSON" | jq -r .token)
PGPASSWORD="$TOKEN" psql "postgresql://${USER}@${HOST}:${PORT}/postgres?sslmode=require" -tAc "SELECT 1" | grep -qx 1

# Cleanup, as the scheduled workflow does it
db9 delete "$BRANCH_NAME" --yes
for db in $(db9 list --json | jq -r '.[].name' | grep "^ci-" || true); do db9 delete "$db" --yes; done
echo "seed workflow OK"
