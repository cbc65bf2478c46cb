"""R3.no-metrics: a service that nobody can measure.

## What it does
Reports a service (it defines HTTP routes) that uses no metrics library. Routes are
those `audit_lib.libs.web` recognises (Pyramid/Cornice views and aiohttp handlers too); the libraries looked
for are prometheus_client, prometheus-fastapi-instrumentator,
prometheus-flask-exporter, django-prometheus, starlette-exporter, starlette-prometheus,
aioprometheus, prometheus-async, pyramid_prometheus, pyramid_metrics, aiohttp-prometheus(-exporter),
aiohttp-metrics, Litestar's Prometheus and OpenTelemetry plugins, OpenTelemetry (metrics or
instrumentation), statsd/datadog/DogStatsD,
ddtrace, New Relic or Elastic APM, and Open edX's `edx_django_utils.monitoring` (its middlewares report to New Relic
or Datadog). A library counts when it is imported, or named in a
string such as Django's `INSTALLED_APPS`/`MIDDLEWARE` or Pyramid's `config.include("pyramid_prometheus")`
(not as a key of a logging
configuration, which only names a logger); a local metrics facade (a
`Metrics`/`Stats` class or a `metrics.py` module defining two or more of `counter`,
`gauge`, `timer`, `histogram`, `increment`, ...) counts too, and so does a third-party
metrics wrapper: a module named `metrics` or `statsd` imported from an outside package
(`from brainzutils import metrics`, a web framework's `from webkit import statsd`) whose recording calls are
made (`metrics.init(...)`, `metrics.set(...)`, `statsd.incr(...)`) or whose metrics class is made
(`from dmutils.metrics import DMGDSMetrics` ... `DMGDSMetrics()`), an outside Django app for telemetry
(`"mitol.observability.apps.ObservabilityConfig"` in `INSTALLED_APPS`) in a project that depends on
OpenTelemetry, and instruments imported from a module named for Prometheus
(`from toolkit.opt_prometheus import Summary`: a wrapper making prometheus_client optional). An APM agent
wrapped around the process counts as well: a Procfile, Dockerfile, compose file or shell script that starts the service under
`newrelic-admin run-program`, `ddtrace-run` or `opentelemetry-instrument` (not in a comment).
Test code is ignored on
both sides, and routes of examples and scripts do not make a service. One finding, at the
first route.

## Why is this bad?
Without request rates, error rates and latency percentiles, nobody sees a slowdown
until users complain, capacity planning is guesswork, and alerts can only fire on
crashes. Metrics are first-class: they ship with the service, not after the first
incident (Backend Posture R3).

## Example
```python
app = FastAPI()

@app.get("/orders/{order_id}")
async def order(order_id: int): ...
```

## Use instead
```python
from prometheus_fastapi_instrumentator import Instrumentator

app = FastAPI()
Instrumentator().instrument(app).expose(app)  # request count, latency histogram at /metrics
```

## References
- Prometheus, "Instrumentation": https://prometheus.io/docs/practices/instrumentation/
- Google SRE book, "The Four Golden Signals"
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pyast import FUNCTION_TYPES, walk_nodes
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import is_test_file, service_routes
from audit_lib.source import Project, project_files

INSTRUMENT_NAMES = {"counter", "gauge", "timer", "timing", "histogram", "increment", "incr", "observe", "distribution",
                    "summary"}
METRICS_LIBRARIES = (
    "prometheus_client", "prometheus_fastapi_instrumentator", "prometheus_flask_exporter", "django_prometheus",
    "starlette_exporter", "starlette_prometheus", "aioprometheus", "opentelemetry", "statsd", "datadog", "ddtrace",
    "aiodogstatsd", "newrelic", "elasticapm", "markus", "pyformance", "litestar.contrib.prometheus",
    "litestar.plugins.prometheus", "litestar.contrib.opentelemetry", "litestar.plugins.opentelemetry",
    "pyramid_prometheus", "pyramid_metrics", "prometheus_async", "aiohttp_prometheus", "aiohttp_prometheus_exporter",
    "aiohttp_metrics", "edx_django_utils.monitoring", "gds_metrics",
)


@rule("R3.no-metrics", on="project", scope="code", severity="low")
def check(project: Project) -> Iterator[Finding]:
    routes = service_routes(project)
    if not routes or _uses_metrics(project) or _runs_under_apm_agent(project.root):
        return
    _, first = routes[0]
    module = first.declared_in
    count = len(routes)
    yield Finding(
        message=f"the service defines {count} HTTP route{'s' if count > 1 else ''} and uses no metrics library",
        path=module.path,
        line=first.line,
        end_line=first.line,
        evidence=module.evidence(first.node),
        fix="export request count, error count and latency histograms: prometheus_client (or the framework's "
            "exporter: prometheus-fastapi-instrumentator, prometheus-flask-exporter, django-prometheus) "
            "or OpenTelemetry metrics",
        confidence=Confidence.medium,
        extra={"places": [f"{route.declared_in.path}:{route.line}" for _, route in routes]},
    )


def _uses_metrics(project: Project) -> bool:
    for module in project.modules:
        if is_test_file(module):
            continue
        if any(module.imports_module(lib) for lib in METRICS_LIBRARIES) or _imports_prometheus_wrapper(module):
            return True
        if not any(hint in module.text for hint in (*METRICS_LIBRARIES, "etric", "tats", "observability", "telemetry")):
            continue
        keys = {id(k) for n in walk_nodes(module.tree) if isinstance(n, ast.Dict) for k in n.keys if k is not None}
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_library(node.value) \
                    and id(node) not in keys:  # a dict key names a logger to configure, not a library in use
                return True
            if isinstance(node, ast.ClassDef) and _is_metrics_facade(node):
                return True
        if "metric" in module.path.rsplit("/", 1)[-1].lower() and _defines_instruments(module.tree.body):
            return True
        if _records_through_wrapper(module, project) or _installs_telemetry_app(module, project):
            return True
    return False


def _imports_prometheus_wrapper(module) -> bool:
    """``from toolkit.opt_prometheus import Gauge``: a module named for Prometheus (a wrapper that makes
    prometheus_client optional) is a metrics library in use."""
    return any("prometheus" in part for target in module.imports.values() for part in target.lower().split(".")[:-1])


WRAPPER_MODULES = ("metrics", "stats_metrics", "app_metrics", "statsd", "dogstatsd")
WRAPPER_CALLS = INSTRUMENT_NAMES | {"init", "set", "inc", "decr", "count", "record", "time", "gauge_set"}


def _records_through_wrapper(module, project: Project) -> bool:
    """``from brainzutils import metrics`` ... ``metrics.set("writer", listens=n)``, ``from webkit import statsd``
    ... ``statsd.incr("login")``: an outside metrics wrapper in use.

    Only a module whose own name says metrics or statsd, imported from a package the code base does not hold (its own
    ``metrics`` module is judged by what it defines), and only recording calls: ``sklearn.metrics`` and the like
    are called for scores (``metrics.accuracy_score``), never ``set``/``increment``.
    """
    outside = {local: target for local, target in module.imports.items()
               if "." in target and target.split(".", 1)[0] not in _project_roots(project)}
    wrappers = {local for local, target in outside.items() if target.rsplit(".", 1)[-1].lower() in WRAPPER_MODULES}
    recorders = {local for local, target in outside.items()
                 if target.rsplit(".", 2)[-2].lower() in WRAPPER_MODULES and "metric" in local.lower()}
    if not wrappers and not recorders:
        return False
    return any(isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
               and node.func.value.id in wrappers and node.func.attr in WRAPPER_CALLS
               or isinstance(node.func, ast.Name) and node.func.id in recorders
               for node in module.nodes_of(ast.Call))


TELEMETRY_APP = re.compile(r"^[\w.]*\b(?:observability|telemetry)\.apps\.\w+$")
DEPENDENCY_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "requirements.txt", "requirements/base.txt",
                    "requirements/prod.txt", "requirements/production.txt")


def _installs_telemetry_app(module, project: Project) -> bool:
    """``"mitol.observability.apps.ObservabilityConfig"`` in ``INSTALLED_APPS`` of a project that depends on
    OpenTelemetry (``opentelemetry-instrumentation-django``): an outside Django app sets up its metrics and traces,
    from settings and ``OTEL_*`` variables, so no file of the code base imports it."""
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str) and TELEMETRY_APP.match(node.value)
               for node in walk_nodes(module.tree)) and _depends_on_opentelemetry(project.root)


def _depends_on_opentelemetry(root: Path) -> bool:
    return any("opentelemetry-" in _small_text(root / name) for name in DEPENDENCY_FILES)


def _project_roots(project: Project) -> frozenset[str]:
    roots = project.facts.get("no_metrics.roots")
    if roots is None:
        roots = frozenset(name.split(".", 1)[0] for name in project.by_dotted_name)
        project.facts["no_metrics.roots"] = roots
    return roots  # type: ignore[return-value]


def _is_metrics_facade(cls: ast.ClassDef) -> bool:
    """A local class such as ``Metrics`` with ``counter``/``gauge``/``timer`` methods, in front of pluggable providers."""
    return any(word in cls.name.lower() for word in ("metric", "stats")) and _defines_instruments(cls.body)


def _defines_instruments(body: list[ast.stmt]) -> bool:
    names = {n.name for n in body if isinstance(n, FUNCTION_TYPES)}
    return len(names & INSTRUMENT_NAMES) >= 2


def _names_library(text: str) -> bool:
    """``"django_prometheus"`` in INSTALLED_APPS, ``"django_prometheus.middleware...."`` in MIDDLEWARE."""
    return any(text == lib or text.startswith(lib + ".") for lib in METRICS_LIBRARIES)


APM_LAUNCHER = re.compile(r"^[^#\n]*\b(?:newrelic-admin\s+run-(?:program|python)|ddtrace-run|opentelemetry-instrument)\b",
                          re.MULTILINE)
MAX_LAUNCH_FILE_BYTES = 200_000


def _runs_under_apm_agent(root: Path) -> bool:
    """``web: newrelic-admin run-program gunicorn app.wsgi``: the agent reports request and worker metrics."""
    return any(APM_LAUNCHER.search(_small_text(path)) for path in project_files(root, _is_launch_file))


def _is_launch_file(name: str) -> bool:
    return name.startswith(("procfile", "dockerfile")) or name.endswith(".sh") \
        or ("compose" in name and name.endswith((".yml", ".yaml")))


def _small_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_LAUNCH_FILE_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
