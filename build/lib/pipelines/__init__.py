"""The entry points the DAGs and the CLI call: one module per feed, the transform's steps, the settings.

Above the libraries (ingest, expectations) and below the DAGs and lantian.py; no Airflow import."""
