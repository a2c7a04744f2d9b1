"""The application file for spark-submit and OCI Data Flow: `guardrails` with the run's
arguments, on the session the platform started (its master, its executors, its object
storage connector).

    spark-submit guardrails/tooling/spark_job.py cost report --engine spark \\
        --stack prod --reports oci://TENANCY_OCID@bling/reports/cost-csv/ --format json

The exit code is guardrails' own (0, 1, 2, 3, 130): the platform marks the run failed on
anything but 0. docs/spark.md has the Data Flow commands.
"""

from __future__ import annotations

import sys

from guardrails.tooling.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
