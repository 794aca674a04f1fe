#!/bin/bash
# Superset first start and every restart (idempotent): metadata DB, admin login, roles, and the
# one database connection it needs: the warehouse marts as WAREHOUSE_BI_USER (bi_reader, read-only).
set -euo pipefail
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Lantian --lastname Admin --email "${SUPERSET_ADMIN_EMAIL:-admin@lantian.invalid}" || true
superset init
superset set-database-uri --database_name "Lantian marts" \
  --uri "postgresql+psycopg2://${WAREHOUSE_BI_USER}:${WAREHOUSE_BI_PASSWORD}@warehouse:5432/${WAREHOUSE_DB}"
exec /usr/bin/run-server.sh
