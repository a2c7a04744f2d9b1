"""The Spark session a run computes on: a local or cluster master (`--spark-master`), a
Spark Connect endpoint (`--spark-remote`), or, under spark-submit (OCI Data Flow, a
cluster), the session the platform started.

Everything that can be checked before a JVM starts is checked here, each with one line:
PySpark installed, Java found (`JAVA_HOME`, else `java` on PATH) and recent enough, the
master or remote URL well formed. One session per process: later runs (tests, a scheduled
job's several reports) reuse it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.runtime.errors import GuardrailsError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
MIN_JAVA = 17
"""Spark 4 runs on Java 17 or later."""
JAVA_TIMEOUT = 30.0
"""Seconds `java -version` may take."""
INSTALL = "pip install 'guardrails[spark]'"

_MASTER = re.compile(
    r"local(\[(\*|[1-9]\d*)(,\s*[1-9]\d*)?\])?"
    r"|local-cluster\[[1-9]\d*,\s*[1-9]\d*,\s*[1-9]\d*\]"
    r"|spark://[A-Za-z0-9.\-]+:\d{1,5}(,[A-Za-z0-9.\-]+:\d{1,5})*"
    r"|yarn"
    r"|k8s://(https?://)?[A-Za-z0-9.\-]+(:\d{1,5})?"
)
_REMOTE = re.compile(r"sc://[A-Za-z0-9.\-]+(:\d{1,5})?(/;[^/\s]*)?")


@dataclass(frozen=True)
class SparkOptions:
    """Where the Spark engine runs."""

    master: str | None = None
    """A master URL; None: the one spark-submit gave, else local[*]."""
    remote: str | None = None
    """A Spark Connect URL (sc://HOST:PORT): the client sends the query there."""


def check_options(options: SparkOptions) -> None:
    """The URLs well formed (before anything starts)."""
    if options.master is not None and options.remote is not None:
        raise GuardrailsError("--spark-master and --spark-remote: give one (where Spark runs)")
    if options.master is not None and not _MASTER.fullmatch(options.master):
        raise GuardrailsError(
            f"--spark-master {options.master!r}: not a Spark master URL (local, local[N], "
            "local[*], spark://HOST:PORT, yarn, k8s://https://HOST:PORT)"
        )
    if options.remote is not None and not _REMOTE.fullmatch(options.remote):
        raise GuardrailsError(
            f"--spark-remote {options.remote!r}: not a Spark Connect URL (sc://HOST:PORT)"
        )


def under_spark_submit() -> bool:
    """Started by spark-submit (a cluster, OCI Data Flow): the JVM is already there."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def java_command() -> Path:
    """The `java` a local Spark will start: `$JAVA_HOME/bin/java`, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not os.access(java, os.X_OK):
            raise GuardrailsError(
                f"JAVA_HOME={home} has no bin/java: the Spark engine needs Java {MIN_JAVA} or "
                "later; set JAVA_HOME to a JDK or unset it to use the java on PATH"
            )
        return java
    found = shutil.which("java")
    if found is None:
        raise GuardrailsError(
            f"no Java: the Spark engine needs Java {MIN_JAVA} or later (install a JDK or set "
            "JAVA_HOME), or use --engine duckdb"
        )
    return Path(found)


def check_java(java: Path) -> int:
    """The major version of `java`; GuardrailsError when it does not run or is too old."""
    try:
        done = subprocess.run(
            [str(java), "-version"],
            check=False,
            capture_output=True,
            text=True,
            timeout=JAVA_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GuardrailsError(f"{java} does not run ({exc}): the Spark engine needs Java") from None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or found is None:
        raise GuardrailsError(f"{java} -version failed: the Spark engine needs Java {MIN_JAVA}+")
    major = int(found.group(1))
    if major == 1 and found.group(2):  # 1.8 is Java 8
        major = int(found.group(2))
    if major < MIN_JAVA:
        raise GuardrailsError(
            f"{java} is Java {major}: the Spark engine needs Java {MIN_JAVA} or later"
        )
    return major


def check_pyspark() -> None:
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("sqlglot") is None:
        raise GuardrailsError(f"the Spark engine needs PySpark: {INSTALL}")


_LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_session(options: SparkOptions) -> SparkSession:
    """The session for `options` (the process's one session, started on first use)."""
    check_options(options)
    check_pyspark()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\..*)?")
    if options.remote is not None:
        return _connect(options.remote)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("guardrails cost")
    if not under_spark_submit():
        java = java_command()
        check_java(java)
        if "JAVA_HOME" not in os.environ:
            os.environ["JAVA_HOME"] = str(java.resolve().parents[1])
        # Spark's own log lines would bury the report (log4j2.properties: none)
        os.environ.setdefault(
            "PYSPARK_SUBMIT_ARGS",
            f'--driver-java-options "-Dlog4j2.configurationFile={_LOG_CONFIG}" pyspark-shell',
        )
        master = options.master or DEFAULT_MASTER
        builder = builder.master(master)
        if master.startswith("local"):
            # one machine: a few shuffle partitions, no web UI
            builder = builder.config("spark.sql.shuffle.partitions", "8").config(
                "spark.ui.enabled", "false"
            )
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM's or py4j's words, whatever their class
        raise GuardrailsError(f"Spark did not start: {spark_words(exc)}") from None
    # Spark's errors reach the user as our one line (the exception's words); its log would
    # repeat them with stack traces
    session.sparkContext.setLogLevel("OFF")
    logging.getLogger("DataFrameQueryContextLogger").disabled = True
    return session


def _connect(url: str) -> SparkSession:
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError as exc:
        raise GuardrailsError(
            f"--spark-remote needs the Spark Connect client ({exc}); it needs protobuf 6, "
            "which pulumi-policy 1.21 (protobuf 5.29) excludes from the same environment: "
            "submit the job to the cluster instead (docs/spark.md)"
        ) from None
    try:
        session = ConnectSession.builder.remote(url).getOrCreate()
    except Exception as exc:
        raise GuardrailsError(f"--spark-remote {url}: {spark_words(exc)}") from None
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session  # type: ignore[return-value]


def spark_words(exc: BaseException) -> str:
    """The first line of what Spark said: the Java exception's own words when py4j wrapped
    one (its Python text is only "An error occurred while calling o123.load")."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    text = text.strip() or type(exc).__name__
    return text.splitlines()[0]
