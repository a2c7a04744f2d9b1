"""The Spark engine of `cost report` and `cost load`: the query of `cost/query.py`, transpiled
to Spark SQL (`dialect.py`), run where the data is, on a local or remote Spark (`session.py`),
over the inputs Spark reads (`inputs.py`); `engine.py` runs it, `table.py` keeps normalised
lines in a Parquet table. (The application file spark-submit and OCI Data Flow run is
`guardrails/tooling/spark_job.py`.) Nothing here is imported unless `--engine spark` is
asked for."""
