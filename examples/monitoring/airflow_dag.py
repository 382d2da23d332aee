"""Airflow DAG: `govern monitor --all` every hour, then the list of events still pending.

Copy into the DAGs folder. The commands are plain lists so that they can be run without
Airflow (govern's tests import this file and run MONITOR_COMMAND as written); the DAG is
built only where Airflow is installed.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

MODELS_DIR = os.environ.get("GOVERN_MODELS_DIR", "/srv/models")  # cards + govern-sinks.yaml
MONITOR_COMMAND = ["govern", "monitor", "--all", "--sinks", "govern-sinks.yaml"]
PENDING_COMMAND = ["govern", "events", "--pending"]

try:
    from airflow import DAG
    from airflow.operators.bash import BashOperator
except ImportError:  # not an Airflow worker: the commands above are all there is
    DAG = None

if DAG is not None:
    with DAG(
        dag_id="govern_monitor",
        schedule="15 * * * *",
        start_date=datetime(2026, 12, 1),
        catchup=False,  # one run looks at everything new; missed runs need no replay
        max_active_runs=1,  # DuckDB admits one writer
        default_args={"retries": 1, "retry_delay": timedelta(minutes=5)},
    ) as dag:
        monitor = BashOperator(
            task_id="monitor",
            bash_command=" ".join(MONITOR_COMMAND),
            cwd=MODELS_DIR,
            # GOVERN_DB and the sinks' secret variables come from the worker's environment
            # (or an Airflow connection exported as variables); never from the DAG file.
            append_env=True,
        )
        pending = BashOperator(
            task_id="pending_events",
            bash_command=" ".join(PENDING_COMMAND),
            cwd=MODELS_DIR,
            append_env=True,
        )
        monitor >> pending
