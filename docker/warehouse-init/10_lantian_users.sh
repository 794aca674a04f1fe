#!/bin/bash
# Warehouse first start (docker-entrypoint-initdb.d: runs once, on an empty data volume).
# 1. The NOLOGIN group roles, from the project's own migration (mounted read-only), so the
#    login users below can join them before Airflow's first migrate() run.
# 2. Login users, passwords from the environment (.env), never from the repository:
#      WAREHOUSE_ETL_USER    Airflow tasks: loader + transformer (dbt runs SET ROLE lantian_transformer)
#      WAREHOUSE_BI_USER     the BI tool: bi_reader only, read-only transactions, search_path marts
#      WAREHOUSE_AUDIT_USER  auditors: auditor only, read-only transactions
# The migrations (airflow-init: python -m pipelines migrate, as the admin) then grant on the schemas.
set -euo pipefail
psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB")
"${psql[@]}" -f /lantian/roles.sql
"${psql[@]}" \
  -v etl_user="$WAREHOUSE_ETL_USER" -v etl_password="$WAREHOUSE_ETL_PASSWORD" \
  -v bi_user="$WAREHOUSE_BI_USER" -v bi_password="$WAREHOUSE_BI_PASSWORD" \
  -v audit_user="$WAREHOUSE_AUDIT_USER" -v audit_password="$WAREHOUSE_AUDIT_PASSWORD" <<'SQL'
create role :"etl_user" login password :'etl_password' in role lantian_loader, lantian_transformer;
create role :"bi_user" login password :'bi_password' in role lantian_bi_reader;
alter role :"bi_user" set default_transaction_read_only = on;
alter role :"bi_user" set search_path = marts;
create role :"audit_user" login password :'audit_password' in role lantian_auditor;
alter role :"audit_user" set default_transaction_read_only = on;
SQL
