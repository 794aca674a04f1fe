"""Great Expectations data-quality checkpoints for the Lantian warehouse.

Suites are declared as data in ``expectations/suites/<name>.json``; ``expectations.checkpoint``
runs one against the warehouse, persists the results into ``dq.validation_run`` /
``dq.expectation_result`` and writes a self-contained (offline) HTML report.

This package does not import Great Expectations at import time (it is slow to import and
unwanted during Airflow DAG parsing); ``expectations.gx_run`` imports it on first use.
"""
