"""R3.log-no-context: service output that cannot be searched or tied to a request.

## What it does
Reports `print()` in service code and request-handler log lines that are only an
interpolated string. In detail, in a code base that serves HTTP (it defines routes):

- `print()` in service code, and its writes of a line to the console streams (`sys.stderr.write(f"failed:
  {err}\n")`, `sys.stdout.write(...)`: a print spelled out, with the same exceptions; a write of part of a
  line, progress dots or a `\r` redraw, is terminal output). Scripts and CLIs are left alone: `if __name__ == "__main__":`
  blocks, files under `scripts/`, `bin/`, `cli/`, `tools/`, Django `management/` packages
  (the commands and their shared helpers),
  `setup.py`, `manage.py`, `__main__.py`, migrations, files whose name is no Python identifier
  (`upload-assets.py`: no import can name them), files an Ansible role copies onto hosts
  (`roles/*/files/`), modules that build a command line
  (argparse, click, typer, fire), files with a `__main__` block or whose top-level code reads a
  command-line argument (`sys.argv[1]`) and no route handler, outside the service's packages (a
  package module with a `__main__` block, `python -m app.worker`, may be a worker process: its prints outside
  that block stay reported, unless the block hands a function to a command-line builder: `fire.Fire(main)`,
  `FnToCLI(main).run()` from the code base's scripts, a batch job run as a command, whose steps are then exempt),
  functions named `main` and the functions only they call, `print_*`/`pprint_*`/`pretty_print*`/`debug_*` helpers, also private ones (`_print_schedule`: for
  the shell, a debugger or a task's dry run), and classes named for printing (`PrintHandler`, `ConsolePrinter`: a
  sink whose purpose is the print),
  classes documented as samples not intended for real use (a demo SMS provider that prints),
  functions that read an answer from the terminal (`input()`, `getpass`: their prints are the question)
  or draw on it (`sys.stdout.write(".")`: progress dots, an interactive report),
  and test code (also test support shipped in the package: a module importing `unittest` or `pytest`, or
  factory_boy's model factories, `factory.django`: test data),
  Python that runs in the browser (a module importing `pyodide` or `pyscript`), IPython extensions
  (`load_ipython_extension()` or magics from `IPython.core.magic`: a `%magic`'s prints are its answer in the notebook),
  and modules that only such scripts import (`manage.py`'s helpers), functions
  that only command-line code names (a CLI subcommand's helper or the test job it enqueues, kept in
  a library module), functions every use of which is a call from command-line code or from such
  functions, up to five calls deep (a service module's batch job that only a CLI command runs; not
  when service code names the function in a string: a command it spawns itself), prints under a test
  of `sys.argv` (`if "test" in sys.argv:`) and prints under a debug or verbosity switch
  (`if app.config["MAIL_DEBUG_BODY"]:`, `if self.verbose:`, `print(trace) if settings.DEBUG else ...`: off in
  production); so are prints in code only `manage.py migrate` runs (a receiver of Django's `pre_migrate`/`post_migrate`
  signal, a data migration's function asking the historical app registry it is handed for models,
  `apps.get_model("ipam", "VRF")`, any code of a module named for migrations, `utils/migrations.py`, that no service
  module imports: the command's progress on the operator's console), prints
  into a file or buffer (`file=buf`), prints in a logging handler (`emit()`, any method of a `logging.Handler`
  subclass: logging its own failure would recurse, also in a module function only such methods call,
  `push_logs_to_db(entries)` from the handler's `flush()`), prints of a Django settings module's top level or of
  a function its top level calls (`KAFKA_CONFIG = load_json_config(path)`: start-up output), prints in
  Gunicorn server hooks (`def post_worker_init(worker):`, `on_starting(server)`: a worker's start-up, not
  `pre_request`), a print of only the caught exception (`print(e)`) in an `except` that also logs the failure at
  warning level or above, prints in a function run in a forked child before it execs
  (handed to `Popen(preexec_fn=...)` or named `preexec`, and the file's functions only it calls: logging there can
  deadlock on a lock held at the fork), and a print
  to stderr beside a log call of the same message (an error echoed to the console, also logged), and a
  print the code base marks as intended for its print lint (`# noqa: T201`: the console output of a
  development stand-in, a mail sender that prints instead of sending);
- log calls inside request handlers (GraphQL resolvers among them: in a file importing strawberry,
  graphene or ariadne, a field, mutation or subscription, or a function taking the resolver's `info`; any method
  of a Django or DRF class-based view, or of a mixin of the code base only views are built on: `get_context_data`,
  `form_valid`, `perform_create`, a `self._post2(request)` helper, as the view is built for each request; an
  authentication backend's `authenticate(self, request, ...)`, run for each login; a message consumer's callback,
  `__call__(self, message)` in a module of fedora-messaging, run for each message; a Django middleware's hook,
  `process_response(self, request, response)` or the `__call__(self, request)` of one built with `get_response`;
  a function that must be handed the incoming request and reads what only an incoming request has,
  `get_hat_from_request(request)` reading `request.POST` or `request.user`, whoever calls it: a command has no
  request to give it; XML-RPC procedures, `@handler.register` of flask-xml-rpc, are route handlers),
  or in helpers that only request handlers call (every
  call of the helper's name in service code is in a handler, a Flask `before_request`-style
  hook, or another such helper, up to three levels, leaving out the calls that the calling file's
  imports send to another module-level function of that name, `warehouse.refresh_stock(...)` for
  `services.refresh_stock`; a FastAPI `Depends(...)` dependency is
  one; so is a function never called by name but kept in a table of its file that only such code reads,
  `EVENT_HANDLERS = {"user.created": handle_user_created}` read by the webhook view's `get_event_handler()`;
  a helper also called by a job or a command is not one, nor a Celery task: its worker runs it), on the usual logger names
  (also reached through an object, `flask.current_app.logger`, or fetched on the spot,
  `logging.getLogger(__name__).warning(...)`) or
  a project's named logger (`logger_api`, `audit_logger`), whose only content is a string interpolated on the
  spot (an f-string, `"..." % x`, `"...".format(x)`, also of a translated text, `_("%s logged in") % user`, string
  concatenation; also through a local
  the function assigns once, `msg = f"failed: {e}"; logger.error(msg)`) or the text of the exception the
  `except` caught (`logger.error(e)`, `logger.exception(str(e))`: no operation, no entity), with no
  structured context: no `extra=`, not a structlog or otherwise bound logger (a
  `LoggerAdapter`, `logger.bind(...)`), no loguru keyword arguments (loguru keeps them in
  the record; a loguru call with only an f-string has no more context than the stdlib's). A structlog logger's call
  given no keyword argument, whose values are formatted into the message (`log.error("unsupported event %s",
  event.type)`, an f-string), is reported as well, whatever request context the records get: structlog's fields are
  its keyword arguments, and a request id bound in its contextvars names no entity nor error. Lazy `%s`
  arguments of the stdlib's loggers (`log.info("paid %s", order_id)`) are not reported, nor are debug and trace lines (a
  developer's trace, off in production), nor the lines of a development stand-in's class (`ConsoleMockEmailProvider`,
  `FakeSmsSender`: its log line is the message it does not send), nor is any other line when a logging filter that sets fields on the
  records (not one that only drops records or rewrites their level or message, nor one only a command's logging set-up installs), a record factory, loguru's
  `contextualize()`/`patch()`/`configure(patcher=...)`, request context bound in structlog's contextvars
  (`bind_contextvars(request_id=...)`, merged into the records by a structlog-aware formatter) or a request-context library
  (asgi-correlation-id, django-guid, log-request-id, starlette-context) adds the request's
  context to every record. The lines of one function are one finding, at its first error line (else
  its first line): moving them to key-value context is one change.

When the code base logs plain text throughout (no `LoggerAdapter` or bound logger, no
structlog, JSON log formatter (also one a logging configuration names, `"()": "pythonjsonlogger.json.JsonFormatter"`) or log-shipping handler (Google Cloud Logging's `StructuredLogHandler`, logstash, ...)
anywhere in service code, and no `extra=`, or only extras that nothing
writes out: no log-shipping handler, no third-party formatter factory, no formatter class of the
project's own that serializes the record or reads a field of its own (one that only cleans up the
message, or moves a decorator's `extra={"s_line": n}` into `record.lineno`, writes nothing more), no
format string naming a field a LogRecord does not have, as under `logging.basicConfig(level=...)`),
those log lines are reported once, for the code base, at the first error line among them (else the
first line; among the lines of route handlers and views if any, before login backends and message consumers) with the count and the places: asking each line for `extra=` makes no sense while
nothing reads it, the choice is the code base's. Prints are not; those of one function, or of a
module's top level (a start-up sequence that prints its steps), are one finding. A print
in a block that then stops the process (`raise SystemExit(1)`, `sys.exit()`: a start-up refusing its
configuration) is not reported, nor is a print right after another (the next line of one notice), nor one in the `except` of a `try`
that only calls `create_engine()` (lazy: the handler never runs), nor one in the `except` of a `try` that
configures logging (`logging.config.fileConfig(...)`: logging itself failed, the console is all that is left),
nor one in the `except` of a `try` that only reports an error (`sentry_sdk.capture_exception(e)`, `logger.error(...)`:
the error reporting itself failed, the console is the last resort), nor one in an `except ImportError:` that re-raises (the install hint beside the error that propagates), nor one in a
function that prints only when its caller asks (`def profile(self, print_results=False)` testing the switch: a
developer's helper for the shell),
nor one at the top level of a Django settings module (a start-up notice printed while the settings load, before
logging is configured), nor one in a validator of a pydantic settings class (`@field_validator` of a class built on
`BaseSettings`: the configuration loading), nor one in a file that starts with a `#!` line and that no other file
imports (a generator kept in the app's package, run by hand).

## Why is this bad?
`print()` bypasses the logging pipeline: no level, no timestamp, no logger name, no
request id, and it is lost or interleaved under a process manager. A log line that is
one pre-formatted string can only be grepped: its values cannot be filtered or
aggregated, and nothing ties it to the request, user or trace it belongs to
(Backend Posture R3: logs carry context, S16).

## Example
```python
@app.post("/orders")
def create_order(order: Order):
    print("creating order", order.id)
    logger.info(f"order {order.id} created for {order.customer_id}")
```

## Use instead
```python
@app.post("/orders")
def create_order(order: Order):
    logger.info("order created", extra={"order_id": order.id, "customer_id": order.customer_id})
```

## References
- Python logging cookbook, "Adding contextual information to your logging output"
- structlog: https://www.structlog.org/en/stable/why.html
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Callable, Iterator, NamedTuple

from audit_lib.findings import Confidence, Finding, code_base_finding, shown_places
from audit_lib.libs.db import project_class
from audit_lib.libs.web import handler_of, is_django_settings, route_handlers
from audit_lib.operator_code import (
    CELERY_TASK_DECORATORS,
    CLI_LIBRARIES,
    SCRIPT_DIRS,
    in_management_package,
    is_command_line_helper,
    is_runnable_script,
    is_script_file,
    module_importers,
    receives_migrate_signal,
    run_by_operators,
)
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    dotted,
    in_main_block,
    keyword,
    method_name,
    qualified,
    string_value,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import is_test_file, only_builds_engine, service_routes
from audit_lib.source import Project, SourceModule

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "trace", "success"}
LOGGER_NAMES = {"logger", "log", "logging", "_logger", "_log", "LOGGER", "LOG", "app.logger", "current_app.logger",
                "self.logger", "self.log", "self._logger", "self._log", "cls.logger"}
# test support shipped in the package (``storage/testing.py``; factory_boy's model factories: test data)
TEST_FRAMEWORKS = ("unittest", "pytest", "factory.django", "factory.alchemy", "factory.mongoengine")
STRUCTURED_LOGGERS = ("structlog", "eliot")  # their log calls take key-value context, not a message
JSON_FORMATTERS = ("pythonjsonlogger", "json_log_formatter", "ecs_logging", "jsonlogger")
CONTEXT_LIBRARIES = ("asgi_correlation_id", "django_guid", "log_request_id", "starlette_context", "flask_log_request_id",
                     "opentelemetry.instrumentation.logging")
FETCHED = "logging.getLogger(...)"  # a logger fetched where it logs
LOGGER_ATTRIBUTES = {"logger", "log", "_logger", "_log", "LOGGER", "LOG"}  # flask.current_app.logger, self.app.log
NAMED_LOGGER = re.compile(r"^_?(logger_\w+|\w+_logger)$")  # logger_api, audit_logger: the project's named loggers
REQUEST_HOOKS = {"before_request", "before_app_request", "after_request", "after_app_request", "teardown_request"}
GRAPHQL_LIBRARIES = ("strawberry", "graphene", "ariadne")
# Django's and DRF's class-based views and their mixins, and the views django.contrib ships (auth's LoginView); not
# DRF's serializers, which a job may use as well
VIEW_BASES = ("django.views.", "django.contrib.auth.views.", "rest_framework.views.", "rest_framework.generics.",
              "rest_framework.viewsets.", "rest_framework.mixins.")
RESOLVER_DECORATORS = {"mutation", "field", "subscription"}  # @strawberry.mutation(...), @query.field("user")
DEVELOPER_LEVELS = {"debug", "trace"}
ERROR_LEVELS = {"error", "exception", "critical", "fatal"}
STDLIB_GET_LOGGER = {"logging.getLogger", "logging.get_logger"}
STRUCTLOG_GET_LOGGER = {"structlog.get_logger", "structlog.getLogger", "structlog.stdlib.get_logger"}
STRUCTLOG_NO_CONTEXT = {"exc_info", "stack_info"}  # keyword arguments of a structlog call that are no field
DEMO_ONLY = re.compile(r"\bnot (intended|meant|to be used) for (real|production)|\b(demo|example) only\b", re.IGNORECASE)
LOG_SHIPPERS = ("logstash", "logstash_async", "logging_loki", "fluent", "graypy", "pygelf", "watchtower",
                "google.cloud.logging", "google.cloud.logging_v2", "opentelemetry.sdk._logs", "seqlog")
LOG_FIELD = re.compile(r"%\((\w+)\)")
DEBUG_SWITCH = re.compile(r"(?i)debug|verbos")  # verbose, verbosity
PRINTING_HELPER = re.compile(r"^_*(print|pprint|pretty_?print|debug)(_|$)")  # print_schedule, pretty_print
PRINTING_CLASS = re.compile(r"^_*(Print|Pprint|PrettyPrint)(?![a-z])|Printer$")  # PrintHandler, ConsolePrinter
ERROR_REPORTERS = {"capture_exception", "capture_message", "capture_event"}  # Sentry's and its kin's
PRINT_LINT_WAIVER = re.compile(r"#\s*noqa:[^#]*\bT20[13]?\b")
RECORD_FIELDS = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
                 "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
                 "processName", "process", "message", "asctime", "taskName"}
BROWSER_RUNTIMES = ("pyodide", "pyscript")  # Python run in the browser (a UI's Pyodide bindings): not service code
IPYTHON_MAGIC = ("IPython.core.magic",)  # a notebook magic: its prints are the answer shown in the notebook
CONTEXT_CALLS = {"logging.setLogRecordFactory", "loguru.logger.contextualize", "loguru.logger.patch",
                 "structlog.contextvars.bind_contextvars"}
# a record factory, loguru's per-request context (middleware) and patchers, or request context bound in structlog's
# contextvars (merged into the stdlib records by a structlog-aware formatter) add context to every record


class LogLine(NamedTuple):
    finding: Finding
    level: str  # "error" for log.error(...)
    function: tuple[str, int, str]  # where the enclosing function is defined, and its name
    in_views: bool  # in a route handler, a view or a resolver (not a login backend or a message consumer)


@rule("R3.log-no-context", on="project", scope="code", severity="low")
def check(project: Project) -> Iterator[Finding]:
    if not service_routes(project):
        return
    context_everywhere = _context_added_everywhere(project)
    bare: list[LogLine] = []
    for module in project.modules:
        if is_test_file(module) or is_script_file(module) or in_management_package(module, project) \
                or is_command_line_helper(module, project):
            continue
        if not any(module.imports_module(lib) for lib in (*CLI_LIBRARIES, *TEST_FRAMEWORKS, *BROWSER_RUNTIMES)) \
                and not (is_runnable_script(module, project) and not project.in_package(module)) \
                and not _notebook_magic(module) and not _unimported_shebang_script(module, project):
            yield from _prints(module, project)
        if not context_everywhere and not any(module.imports_module(lib) for lib in STRUCTURED_LOGGERS):
            bare.extend(_bare_log_calls(module, project))
        elif module.imports_module("structlog"):  # request context in every record makes no fields of the values
            bare.extend(_bare_log_calls(module, project, structlog_only=True))
    if bare and not _structured_logging_in_use(project):
        yield _plain_text_logging(bare, _extras_given(project))
    else:
        yield from _one_per_function(bare)


def _unimported_shebang_script(module: SourceModule, project: Project) -> bool:
    """A file that starts with ``#!/usr/bin/env python`` and that no other file imports (a schema generator kept in
    the app's package): it can only be run by hand, like a script."""
    return module.text.startswith("#!") and not module_importers(module, project)


def _notebook_magic(module: SourceModule) -> bool:
    """An IPython extension (``load_ipython_extension()`` at the top level, or magics from
    ``IPython.core.magic``): it runs in the user's notebook, and its prints are what the notebook shows."""
    return any(module.imports_module(lib) for lib in IPYTHON_MAGIC) \
        or any(isinstance(node, FUNCTION_TYPES) and node.name == "load_ipython_extension" for node in module.tree.body)


def _one_per_function(bare: list[LogLine]) -> Iterator[Finding]:
    """The lines of one function are one finding (moving them to key-value context is one change), shown
    at its first error line."""
    by_function: dict[tuple[str, int, str], list[LogLine]] = {}
    for line in bare:
        by_function.setdefault(line.function, []).append(line)
    for (_, _, name), lines in by_function.items():
        first = _first_error_line(lines)
        if len(lines) == 1:
            yield first
            continue
        places = [f"{line.finding.path}:{line.finding.line}" for line in _in_order(lines)]
        others = shown_places(places, skip=f"{first.path}:{first.line}")
        more = "1 more log line" if len(lines) == 2 else f"{len(lines) - 1} more log lines"
        yield replace(code_base_finding(first, places, f"{first.message}; so do {more} of {name}() ({others})",
                                        first.fix), confidence=first.confidence)


def _first_error_line(lines: list[LogLine]) -> Finding:
    """The first error line among ``lines``, the one an operator searches first, else the first line; among the
    lines of route handlers and views if there are any (before those of login backends and message consumers)."""
    in_order = _in_order([line for line in lines if line.in_views] or lines)
    return next((line.finding for line in in_order if line.level in ERROR_LEVELS), in_order[0].finding)


def _in_order(lines: list[LogLine]) -> list[LogLine]:
    return sorted(lines, key=lambda line: (line.finding.path or "", line.finding.line or 0))


def _plain_text_logging(bare: list[LogLine], extras: int = 0) -> Finding:
    """One finding for a code base whose logging is plain text throughout: asking each line for
    ``extra=`` makes no sense while nothing in the code base reads it; the choice is the code base's.
    Shown at the first error line."""
    first = _first_error_line(bare)
    places = [f"{line.finding.path}:{line.finding.line}" for line in _in_order(bare)]
    others = f" and {len(bare) - 1} more ({shown_places(places, skip=f'{first.path}:{first.line}')})" \
        if len(bare) > 1 else ""
    how = "no extra=, no bound or structured logger anywhere" if not extras else \
        f"no bound or structured logger; {f'the {extras} extra= values' if extras > 1 else 'the one extra= value'} " \
        f"given {'are' if extras > 1 else 'is'} written out by no formatter or handler"
    return code_base_finding(
        first, places,
        f"logging is plain text throughout the code base ({how}): "
        f"request-path log lines such as this one{others} carry their values only inside "
        "the message, so they can be grepped but not filtered, aggregated or tied to the request",
        "adopt structured logging once for the service (structlog, or a JSON formatter plus "
        "logger.info(\"event\", extra={...}) and a filter that adds the request id), then move these lines to it",
    )


def _structured_logging_in_use(project: Project) -> bool:
    """Whether any service code logs with context: a structured logger (structlog, eliot), a JSON log
    formatter (also one a logging configuration names by its path), a log-shipping handler (its records leave as fields, not lines), a ``LoggerAdapter`` or a bound
    logger (``logger.bind(...)``), or a log call given ``extra=`` that something writes out."""
    for module in project.modules:
        if is_test_file(module):
            continue
        if any(module.imports_module(lib) for lib in (*STRUCTURED_LOGGERS, *JSON_FORMATTERS, *LOG_SHIPPERS)):
            return True
        if "()" in module.text and any(
                isinstance(node, ast.Dict) and any(string_value(k) == "()" and (string_value(v) or "").startswith(
                    tuple(f"{lib}." for lib in JSON_FORMATTERS)) for k, v in zip(node.keys, node.values) if k is not None)
                for node in module.nodes_of(ast.Dict)):
            return True  # a JSON formatter a logging configuration names: {"()": "pythonjsonlogger.json.JsonFormatter"}
        if _bound_names(module, {"logging.LoggerAdapter"}) or _bound_loggers(module):
            return True
    return bool(_extras_given(project)) and _extras_written(project)


def _extras_given(project: Project) -> int:
    """How many log calls of service code pass ``extra=``."""
    return sum(1 for module in project.modules if not is_test_file(module) and "extra" in module.text
               for n in module.nodes_of(ast.Call)
               if isinstance(n.func, ast.Attribute) and n.func.attr in LOG_METHODS and keyword(n, "extra") is not None)


def _extras_written(project: Project) -> bool:
    """Whether anything can write a record's ``extra=`` values out: a log-shipping handler (logstash, Loki,
    Fluent, GELF, CloudWatch, Google Cloud Logging, OpenTelemetry logs), a formatter class of the project's
    own that writes fields of its own, a third-party factory (``"()"``) in a logging configuration, or a
    format string naming a field no LogRecord has (``"%(levelname)s %(request_id)s %(message)s"``). Under
    ``logging.basicConfig(level=...)``, format strings of the standard fields only and formatters that only
    clean up the message, the extras are dropped: the lines are plain text."""
    own_classes = {n.name for m in project.modules for n in m.nodes_of(ast.ClassDef)}
    for module in project.modules:
        if is_test_file(module):
            continue
        if any(module.imports_module(lib) for lib in LOG_SHIPPERS):
            return True
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.ClassDef) and any((dotted(b) or "").endswith("Formatter") for b in node.bases) \
                    and _formatter_writes_fields(module, node):
                return True
            if isinstance(node, ast.Dict) and any(
                    string_value(k) == "()" and (string_value(v) or "").rsplit(".", 1)[-1] not in own_classes
                    for k, v in zip(node.keys, node.values) if k is not None):
                return True
            text = string_value(node) if isinstance(node, ast.Constant) else None
            if text and "%(" in text:
                fields = set(LOG_FIELD.findall(text))
                if fields & {"message", "levelname", "asctime"} and fields - RECORD_FIELDS:
                    return True
    return False


def _formatter_writes_fields(module: SourceModule, formatter: ast.ClassDef) -> bool:
    """Whether a formatter class writes fields beyond a LogRecord's standard ones: it serializes the record
    (``json.dumps(...)``, ``record.__dict__.items()``, ``vars(record)``) or reads a field of its own
    (``record.request_id``, ``getattr(record, "user")``). A field read only to correct a standard one
    (``record.lineno = record.__dict__["s_line"]``: where a logging decorator was called) is no context."""
    for method in formatter.body:
        if not isinstance(method, FUNCTION_TYPES) or len(method.args.args) < 2:
            continue
        record = method.args.args[1].arg
        if method.name != "format" and "record" not in record:
            continue  # a method given no record: __init__(self, fmt)
        for node in walk_nodes(method):
            if isinstance(node, ast.Call) and call_name(module, node) in ("json.dumps", "vars"):
                return True
            field = _own_field_read(module, node, record)
            if field is not None and not _corrects_standard_field(module, field, record):
                return True
    return False


def _own_field_read(module: SourceModule, node: ast.AST, record: str) -> ast.expr | None:
    """The expression reading a field no LogRecord has from ``record`` (``record.user``,
    ``record.__dict__["user"]``, ``getattr(record, "user")``, any other use of ``record.__dict__``, which
    takes all of them); None for a standard field, a membership test or a write."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) > 1 and isinstance(node.args[0], ast.Name) and node.args[0].id == record:
        return node if string_value(node.args[1]) not in RECORD_FIELDS else None
    if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name) and node.value.id == record) or node.attr in RECORD_FIELDS:
        return None
    if node.attr != "__dict__":
        return None if node.attr.startswith("__") or node.attr == "getMessage" else node
    parent = module.parents.get(node)
    if isinstance(parent, ast.Compare):
        return None  # "s_line" in record.__dict__
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return parent if string_value(parent.slice) not in RECORD_FIELDS else None
    return node


def _corrects_standard_field(module: SourceModule, read: ast.expr, record: str) -> bool:
    """``record.lineno = <read>``: the value only replaces a standard field of the record."""
    statement = module.parents.get(read)
    return isinstance(statement, ast.Assign) and statement.value is read and all(
        isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == record
        and t.attr in RECORD_FIELDS for t in statement.targets)


def _prints(module: SourceModule, project: Project) -> Iterator[Finding]:
    """The prints of service code, those of one function (or of the module's top level) as one finding:
    replacing them with log calls is one change."""
    by_function: dict[ast.AST | None, list[Finding]] = {}
    for node, written in _service_prints(module, project):
        by_function.setdefault(_enclosing(module, node), []).append(Finding(
            message=f"{written}() in service code: no level, no logger, no request context",
            path=module.path, line=node.lineno, end_line=getattr(node, "end_lineno", node.lineno),
            evidence=module.evidence(node),
            fix='log instead: logger.info("what happened", extra={"key": value})',
            confidence=Confidence.medium,
        ))
    for function, prints in by_function.items():
        prints.sort(key=lambda f: f.line or 0)
        first = prints[0]
        if len(prints) == 1:
            yield first
            continue
        places = [f"{f.path}:{f.line}" for f in prints]
        where = f"{function.name}()" if isinstance(function, FUNCTION_TYPES) else "the module's top level"
        more = "1 more print" if len(prints) == 2 else f"{len(prints) - 1} more prints"
        yield replace(code_base_finding(first, places, f"{first.message}; so do {more} of {where} "
                                                       f"({shown_places(places[1:])})", first.fix),
                      confidence=first.confidence)


CONSOLE_STREAMS = ("sys.stdout.write", "sys.stderr.write")  # print() spelled out: the same console line


def _console_write(module: SourceModule, node: ast.AST) -> str | None:
    """``print`` for ``print(...)``, ``sys.stderr.write`` for ``sys.stderr.write("failed: ...\\n")`` /
    ``sys.stdout.write(...)`` of a whole line of text; None for any other node, and in a module that takes
    ``print`` from elsewhere (``from rich import print``: a console UI, or a function of the project's own).
    A write of part of a line (progress dots, a ``\\r`` redraw, a stream wrapper passing text on) is terminal
    output, no message."""
    if not isinstance(node, ast.Call) or "print" in module.imports:
        return None
    if isinstance(node.func, ast.Name) and node.func.id == "print":
        return "print"
    name = call_name(module, node)
    return name if name in CONSOLE_STREAMS and len(node.args) == 1 and _whole_line(node.args[0]) else None


def _whole_line(text: ast.expr) -> bool:
    """Text that says something and ends the line: ``"failed\\n"``, ``f"{path} failed\\n"``,
    ``"failed: %s\\n" % err``, ``msg + "\\n"`` (not ``"\\r\\n"``, ``"."`` nor ``f"\\r{bar}"``)."""
    if isinstance(text, ast.BinOp) and isinstance(text.op, ast.Mod):
        text = text.left
    elif isinstance(text, ast.Call) and isinstance(text.func, ast.Attribute) and text.func.attr == "format":
        text = text.func.value
    if isinstance(text, ast.BinOp) and isinstance(text.op, ast.Add):
        return (string_value(text.right) or "").endswith("\n")
    pieces = text.values if isinstance(text, ast.JoinedStr) else [text]
    return bool(pieces) and (string_value(pieces[-1]) or "").endswith("\n") and any(
        isinstance(piece, ast.FormattedValue) or (string_value(piece) or "").strip() for piece in pieces)


def _service_prints(module: SourceModule, project: Project) -> Iterator[tuple[ast.Call, str]]:
    """The prints of service code, and its writes to ``sys.stdout``/``sys.stderr`` (console output all the
    same), each with what it calls (``print``, ``sys.stderr.write``)."""
    for node in walk_nodes(module.tree):
        written = _console_write(module, node)
        if written is None:
            continue
        if in_main_block(module, node) or _in_exempt_function(module, node) \
                or _mirrors_log_call(module, node, written) or _under_argv_test(module, node) \
                or _in_command_line_function(module, node, project) or _before_exit(module, node) \
                or _continues_print(module, node) or _in_dead_handler(module, node) or _under_debug_flag(module, node) \
                or _marked_deliberate(module, node) or _logging_setup_failed(module, node) \
                or _install_hint(module, node) or _printing_asked_by_caller(module, node) \
                or _run_at_settings_import(module, node, project) or _in_settings_validator(module, node, project) \
                or _in_server_hook(module, node) or _migrate_output(module, node, project) \
                or _echoes_logged_exception(module, node) or _only_logging_handlers_call(module, node, project) \
                or _error_reporting_failed(module, node):
            continue
        target = keyword(node, "file")
        if target is not None and dotted(target) not in ("sys.stdout", "sys.stderr"):
            continue  # writes into a file or buffer, not the service's output
        yield node, written


def _run_at_settings_import(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A print at a Django settings module's top level, or in a function of it that its top level calls
    (``KAFKA_CONFIG = load_json_config(path)``): start-up output while the settings load, before logging is
    configured. A settings function the service calls later is reported."""
    fn = _enclosing(module, call)
    if fn is not None and (module.parents.get(fn) is not module.tree or not any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == fn.name
            and _enclosing(module, n) is None for n in module.nodes_of(ast.Call))):
        return False
    return is_django_settings(module, project)


SETTINGS_BASES = ("pydantic.BaseSettings", "pydantic_settings.BaseSettings")
VALIDATOR_DECORATORS = {"validator", "root_validator", "field_validator", "model_validator"}


def _in_settings_validator(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A print in a validator of a pydantic settings class (``@field_validator("server_url")`` of a class built on
    ``BaseSettings``, also through the project's own base classes): it runs while the configuration loads, at
    start-up, a notice about the configuration before logging is set up."""
    fn = _enclosing(module, call)
    cls = module.parents.get(fn) if fn is not None else None
    return isinstance(cls, ast.ClassDef) and any(
        (dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in VALIDATOR_DECORATORS
        for d in fn.decorator_list) and _built_on(module, cls, project, SETTINGS_BASES)


# Gunicorn's server hooks, by the parameters they are called with (not pre_request/post_request: per request).
GUNICORN_HOOKS = {"on_starting": ("server",), "on_reload": ("server",), "when_ready": ("server",),
                  "pre_fork": ("server", "worker"), "post_fork": ("server", "worker"), "post_worker_init": ("worker",),
                  "worker_int": ("worker",), "worker_abort": ("worker",), "pre_exec": ("server",),
                  "child_exit": ("server", "worker"), "worker_exit": ("server", "worker"),
                  "nworkers_changed": ("server", "new_value", "old_value"), "on_exit": ("server",)}


MIGRATIONS_MODULE = re.compile(r"(^|_)migrations?(_|$)")  # migrations.py, migration_utils.py, data_migrations.py


def _migrate_output(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A print in code only ``manage.py migrate`` runs: a receiver of Django's ``pre_migrate``/``post_migrate``
    signal (``@receiver(post_migrate)``, ``post_migrate.connect(setup_groups)``), a data migration's function (it
    asks the historical app registry it is handed for models, ``apps.get_model("ipam", "VRF")``), or any code of
    a module named for migrations (``utils/migrations.py``) that no service module imports. Its output is the
    command's progress on the operator's console, not the service's log."""
    name = module.path.rsplit("/", 1)[-1][:-3]
    if MIGRATIONS_MODULE.search(name) \
            and all(is_script_file(m) or is_test_file(m) for m in module_importers(module, project)):
        return True
    for fn in (p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)):
        if receives_migrate_signal(module, project, fn):
            return True
        parameters = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get_model"
               and dotted(n.func.value) in parameters for n in walk_nodes(fn)):
            return True
    return False


def _in_server_hook(module: SourceModule, call: ast.Call) -> bool:
    """A print in a Gunicorn server hook of a config module (``def post_worker_init(worker):``): the master's or a
    worker's start-up and shutdown, often while its logging is being set up, not a request."""
    fn = _enclosing(module, call)
    while fn is not None and module.parents.get(fn) is not module.tree:
        fn = _enclosing(module, fn)
    return isinstance(fn, FUNCTION_TYPES) and fn.name in GUNICORN_HOOKS \
        and tuple(a.arg for a in fn.args.args) == GUNICORN_HOOKS[fn.name]


def _echoes_logged_exception(module: SourceModule, call: ast.Call) -> bool:
    """``except Exception as e: print(e); logger.error("parsing failed", extra=...)``: a print of only the caught
    exception in a handler that also logs the failure at warning level or above; the log has it, the print echoes it."""
    handler = next((p for p in ancestors(module, call) if isinstance(p, (ast.ExceptHandler, *FUNCTION_TYPES))), None)
    if not isinstance(handler, ast.ExceptHandler) or not handler.name or len(call.args) != 1:
        return False
    printed = call.args[0]
    if isinstance(printed, ast.Call) and dotted(printed.func) in ("str", "repr") and len(printed.args) == 1:
        printed = printed.args[0]
    if not (isinstance(printed, ast.Name) and printed.id == handler.name):
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in ERROR_LEVELS | {"warning", "warn"} and "log" in (dotted(n.func.value) or "").lower()
               for statement in handler.body for n in walk_nodes(statement))


def _only_logging_handlers_call(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A print in a module-level function that only methods of logging handlers call (``push_logs_to_db(entries)``
    from a handler's ``flush``): it runs inside logging, where logging its own failure would recurse."""
    fn = _enclosing(module, call)
    if not isinstance(fn, FUNCTION_TYPES) or module.parents.get(fn) is not module.tree:
        return False
    callers = _calls_by_name(project).get(fn.name, [])
    return bool(callers) and all(
        any(isinstance(p, ast.ClassDef) and _logging_handler_class(m, p) for p in ancestors(m, c))
        for m, c in callers)


def _marked_deliberate(module: SourceModule, call: ast.Call) -> bool:
    """A print the code base marks as intended for its print lint (``# noqa: T201``, flake8-print/ruff): the
    console output of a development stand-in (a mail sender or help desk that prints instead of sending)."""
    return any(PRINT_LINT_WAIVER.search(module.lines[n - 1])
               for n in range(call.lineno, min(getattr(call, "end_lineno", call.lineno), len(module.lines)) + 1))


LOGGING_SETUP = {"logging.config.fileConfig", "logging.config.dictConfig", "logging.basicConfig"}


def _logging_setup_failed(module: SourceModule, call: ast.Call) -> bool:
    """A print in an ``except`` of a ``try`` that configures logging (``logging.config.fileConfig(...)``):
    logging itself is what failed, the console is the only channel left."""
    attempt = _handled_try(module, call)
    return attempt is not None and any(isinstance(n, ast.Call) and call_name(module, n) in LOGGING_SETUP
                                       for statement in attempt.body for n in walk_nodes(statement))


def _error_reporting_failed(module: SourceModule, call: ast.Call) -> bool:
    """A print in an ``except`` of a ``try`` that only reports an error (``sentry_sdk.capture_exception(e)``,
    ``logger.error(line)``, and the calls its tests and loops make): the error reporting itself failed, the console
    is the last resort."""
    attempt = _handled_try(module, call)
    if attempt is None:
        return False
    calls = [n for statement in attempt.body for n in walk_nodes(statement) if isinstance(n, ast.Call)]
    reports = [n for n in calls if method_name(n) in ERROR_REPORTERS or isinstance(n.func, ast.Attribute)
               and n.func.attr in LOG_METHODS and "log" in (dotted(n.func.value) or "").lower()]
    steering = [n.test if isinstance(n, ast.If) else n.iter for statement in attempt.body
                for n in walk_nodes(statement) if isinstance(n, (ast.If, ast.For))]
    covered = {id(n) for part in [*reports, *steering] for n in walk_nodes(part)}
    return bool(reports) and all(id(n) in covered for n in calls)


MISSING_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _install_hint(module: SourceModule, call: ast.Call) -> bool:
    """A print in an ``except ImportError:`` that then re-raises (``raise``): the install hint beside the
    import error that propagates to whoever runs the code."""
    for parent in ancestors(module, call):
        if isinstance(parent, FUNCTION_TYPES):
            return False
        if isinstance(parent, ast.ExceptHandler):
            caught = parent.type.elts if isinstance(parent.type, ast.Tuple) else [parent.type]
            return any(dotted(c) in MISSING_IMPORT_ERRORS for c in caught if c is not None) \
                and any(isinstance(s, ast.Raise) and s.exc is None for s in parent.body)
    return False


PRINT_OPT_IN = re.compile(r"(?i)print|verbos|echo")  # print_results=False, verbose=False


def _printing_asked_by_caller(module: SourceModule, call: ast.Call) -> bool:
    """A print in a function that prints only when its caller asks (``def profile(self, print_results=False)``
    testing ``print_results``): a developer's helper for the shell, silent unless called to print."""
    fn = _enclosing(module, call)
    if fn is None:
        return False
    arguments = fn.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [*zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults),
                *zip(arguments.kwonlyargs, arguments.kw_defaults)]
    switches = {a.arg for a, default in defaults if PRINT_OPT_IN.search(a.arg)
                and isinstance(default, ast.Constant) and default.value is False}
    return any(isinstance(n, (ast.If, ast.IfExp)) and any(isinstance(t, ast.Name) and t.id in switches
                                                          for t in walk_nodes(n.test))
               for n in walk_nodes(fn))


def _in_dead_handler(module: SourceModule, call: ast.Call) -> bool:
    """A print in an ``except`` of a ``try`` that only builds a SQLAlchemy engine (lazy: it connects nothing,
    the handler never runs)."""
    attempt = _handled_try(module, call)
    return attempt is not None and only_builds_engine(module, attempt)


def _handled_try(module: SourceModule, call: ast.Call) -> ast.Try | None:
    """The ``try`` whose ``except`` the call is in (the nearest, within its function), if any."""
    for parent in ancestors(module, call):
        if isinstance(parent, FUNCTION_TYPES):
            return None
        if isinstance(parent, ast.ExceptHandler):
            attempt = module.parents.get(parent)
            return attempt if isinstance(attempt, ast.Try) else None
    return None


def _continues_print(module: SourceModule, call: ast.Call) -> bool:
    """A print right after another print statement: the next line of one notice (three prints of one
    deprecation message), reported once, at its first line."""
    statement = module.parents.get(call)
    container = module.parents.get(statement) if isinstance(statement, ast.Expr) else None
    if container is None:
        return False
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(container, field, None)
        if isinstance(block, list) and statement in block:
            index = block.index(statement)
            previous = block[index - 1] if index else None
            return isinstance(previous, ast.Expr) and _console_write(module, previous.value) is not None
    return False


def _before_exit(module: SourceModule, call: ast.Call) -> bool:
    """A print in a block that then stops the process (``raise SystemExit(1)``, ``sys.exit(...)``): the
    last words of a start-up that refuses a configuration, written to the console of whoever started it,
    often before logging is set up. No request, nothing to give context to."""
    statement = module.parents.get(call)
    parent = module.parents.get(statement) if isinstance(statement, ast.Expr) else None
    block = next((b for b in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody"))
                  if isinstance(b, list) and any(s is statement for s in b)), None)
    if block is None:
        return False
    after = block[next(i for i, s in enumerate(block) if s is statement) + 1:]
    for later in after:
        if isinstance(later, ast.Raise) and later.exc is not None and \
                (dotted(later.exc.func if isinstance(later.exc, ast.Call) else later.exc) or "") == "SystemExit":
            return True
        if isinstance(later, ast.Expr) and isinstance(later.value, ast.Call) \
                and call_name(module, later.value) in ("sys.exit", "exit", "os._exit", "quit"):
            return True
    return False


def _under_argv_test(module: SourceModule, node: ast.AST) -> bool:
    """A print under a test of the process's command line (``if "test" in sys.argv:``): it answers
    whoever typed the command, like a ``__main__`` block."""
    return any(isinstance(p, ast.If) and any(dotted(n) == "sys.argv" for n in walk_nodes(p.test))
               for p in ancestors(module, node))


def _in_command_line_function(module: SourceModule, node: ast.AST, project: Project) -> bool:
    """A print in a function that only command-line code names (a CLI subcommand's helper or a job it
    enqueues, kept in a library module: ``from app.search import check`` in ``cli/search.py``): it runs
    when an operator runs the command. Found by name; a name also used in service code stays reported."""
    for fn in (p for p in ancestors(module, node) if isinstance(p, FUNCTION_TYPES)):
        users = _references_by_name(project).get(fn.name, [])
        if users and all(_command_line_module(m, project) for m in users):
            return True
        if run_by_operators(module, project, fn, also=_handed_to_command_line) \
                and not _named_in_service_strings(project, fn.name):
            return True
        if _only_main_calls(project, fn):
            return True
    return False


COMMAND_LINE_NAME = re.compile(r"CLI|Cli(?![a-z])|(?:^|_)cli(?:_|$)")  # FnToCLI, to_cli; not run_client


def _handed_to_command_line(module: SourceModule, fn: ast.AST) -> bool:
    """A function the module's ``__main__`` block hands to a command-line builder (``fire.Fire(main)``,
    ``typer.run(main)``, ``FnToCLI(main).run()`` from the code base's scripts): the module is a command run by
    hand or by cron, even inside a package. (A worker started with ``python -m app.worker`` calls its
    ``main()``: it stays on the service's path.)"""
    for call in (n for n in module.nodes_of(ast.Call) if in_main_block(module, n)):
        builder = (qualified(module, call.func) or "").split(".")
        if any(isinstance(a, ast.Name) and a.id == fn.name for a in call.args) and (
                builder[0] in CLI_LIBRARIES or any(part in SCRIPT_DIRS for part in builder[:-1])
                or COMMAND_LINE_NAME.search(builder[-1])):
            return True
    return False


def _only_main_calls(project: Project, fn: ast.AST) -> bool:
    """Whether every call of the function's name is in a ``main()`` (a script's steps: ``resize_images()``
    called by the ``main()`` of a data-preparation module)."""
    calls = _calls_by_name(project).get(fn.name, [])
    return bool(calls) and all(getattr(_enclosing(m, call), "name", None) == "main" for m, call in calls)


def _named_in_service_strings(project: Project, name: str) -> bool:
    """Whether service code writes the function's name as a string: a command it runs itself
    (``subprocess.Popen([python, "manage.py", "import_archive", path])``), whose output is the service's."""
    return any(isinstance(n.value, str) and n.value == name for m in _references_by_name(project).get(name, [])
               if not _command_line_module(m, project) for n in m.nodes_of(ast.Constant))


def _under_debug_flag(module: SourceModule, node: ast.AST) -> bool:
    """A print under a test of a debug or verbosity switch (``if app.config["MAIL_DEBUG_BODY"]:``,
    ``if self.verbose:``, ``print(trace) if settings.DEBUG else ...``): output a developer turns on to
    watch, off in production. (The ``else`` branch is what production prints.)"""
    return any(isinstance(p, (ast.If, ast.IfExp)) and any(
        DEBUG_SWITCH.search(n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute)
                            else n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else "")
        for n in walk_nodes(p.test)) and any(node is n for stmt in (p.body if isinstance(p, ast.If) else [p.body])
                                             for n in walk_nodes(stmt))
        for p in ancestors(module, node))


def _command_line_module(module: SourceModule, project: Project) -> bool:
    """Scripts, CLIs and Django management code. (Not a loose runnable file at the code root: ``wsgi.py``
    calling ``create_app()`` may be how the service starts.)"""
    return is_script_file(module) or in_management_package(module, project) \
        or is_command_line_helper(module, project) \
        or any(module.imports_module(lib) for lib in CLI_LIBRARIES) and not route_handlers(module, project)


def _references_by_name(project: Project) -> dict[str, list[SourceModule]]:
    """Name -> the non-test modules that use it (``name``, ``x.name`` or the name as a string: a dispatch
    key or a command the service runs, ``["manage.py", "import_data"]``; not its own definition;
    computed once per project)."""
    if "r3_references_by_name" not in project.facts:
        table: dict[str, list[SourceModule]] = {}
        for module in (m for m in project.modules if not is_test_file(m)):
            names = {n.id for n in module.nodes_of(ast.Name)} | {n.attr for n in module.nodes_of(ast.Attribute)}
            names |= {n.value for n in module.nodes_of(ast.Constant) if isinstance(n.value, str) and n.value.isidentifier()}
            for name in names:
                table.setdefault(name, []).append(module)
        project.facts["r3_references_by_name"] = table
    return project.facts["r3_references_by_name"]  # type: ignore[return-value]


def _mirrors_log_call(module: SourceModule, call: ast.Call, written: str) -> bool:
    """A print to stderr (``written``: ``print`` or ``sys.stderr.write``) beside a log call of the same message
    (``print(msg, file=sys.stderr)`` then ``logger.error(msg)``): the logging pipeline has the line; the print
    echoes the error to the console (a print to stdout beside a debug log shows what the log level hides:
    reported)."""
    target = keyword(call, "file")
    if written != "sys.stderr.write" and (target is None or dotted(target) != "sys.stderr"):
        return False
    statement = module.parents.get(call)
    parent = module.parents.get(statement) if isinstance(statement, ast.Expr) else None
    block = next((b for b in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody"))
                  if isinstance(b, list) and any(s is statement for s in b)), None)
    if block is None or not call.args:
        return False
    index = next(i for i, s in enumerate(block) if s is statement)
    printed = ast.dump(call.args[0])
    for neighbour in block[max(index - 1, 0):index] + block[index + 1:index + 2]:
        logged = neighbour.value if isinstance(neighbour, ast.Expr) else None
        if (isinstance(logged, ast.Call) and isinstance(logged.func, ast.Attribute) and logged.func.attr in LOG_METHODS
                and logged.args and ast.dump(logged.args[0]) == printed):
            return True
    return False


def _in_exempt_function(module: SourceModule, node: ast.AST) -> bool:
    """``main()``; a logging handler's ``emit``/``handleError`` and any method of a ``logging.Handler``
    subclass (its ``send`` path runs inside ``emit``), where logging cannot log its own failure without
    recursing; ``print_*``/``pprint_*``/``pretty_print*``/``debug_*`` helpers, also private ones (``_print_schedule``: for the
    shell, a debugger or a dry run, such as a worker's ``debug_task``), whose output is the printing; a class
    documented as a sample not meant for real use (a demo provider that "sends" by printing)."""
    return any(isinstance(p, FUNCTION_TYPES) and (p.name in ("main", "emit", "handleError")
                                                  or PRINTING_HELPER.match(p.name)
                                                  or _asks_terminal(module, p) or _draws_on_terminal(module, p))
               or isinstance(p, ast.ClassDef) and (DEMO_ONLY.search(ast.get_docstring(p) or "")
                                                   or PRINTING_CLASS.search(p.name) or _logging_handler_class(module, p))
               or id(p) in _runs_before_exec(module)
               for p in ancestors(module, node))


PREEXEC_NAME = re.compile(r"(?i)preexec")


def _runs_before_exec(module: SourceModule) -> set[int]:
    """The functions that run in a forked child before it execs: one handed to ``Popen(preexec_fn=...)`` or
    named for it (``def preexec():`` returned by ``set_user_setuid()``), and the functions of the file only they
    call (``_try_setcwd(home)``). Logging there can deadlock on a lock the parent held at the fork, so a print to
    the console is the safe report."""
    found = module.tree.__dict__.get("_runs_before_exec")
    if found is None:
        calls = module.nodes_of(ast.Call)
        handed = {dotted(k.value) for n in calls for k in n.keywords if k.arg == "preexec_fn"}
        children = [fn for fn in module.nodes_of(*FUNCTION_TYPES) if PREEXEC_NAME.search(fn.name) or fn.name in handed]
        called = {n.func.id: [] for fn in children for n in walk_nodes(fn)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for n in calls:
            if isinstance(n.func, ast.Name) and n.func.id in called:
                called[n.func.id].append(_enclosing(module, n))
        helpers = [fn for fn in module.tree.body if isinstance(fn, FUNCTION_TYPES) and fn.name in called
                   and all(caller in children for caller in called[fn.name])]
        found = module.tree.__dict__["_runs_before_exec"] = {id(fn) for fn in [*children, *helpers]}
    return found


def _logging_handler_class(module: SourceModule, cls: ast.ClassDef) -> bool:
    """A subclass of a standard logging handler (``logging.Handler``, ``logging.handlers.QueueHandler``)."""
    return any((qualified(module, base) or "").startswith("logging.") and (dotted(base) or "").endswith("Handler")
               for base in cls.bases)


def _asks_terminal(module: SourceModule, fn: ast.AST) -> bool:
    """A function that reads an answer from the terminal (``input()``, ``getpass``): its prints are the
    question put to the operator at the console."""
    return any(isinstance(n, ast.Call) and (isinstance(n.func, ast.Name) and n.func.id == "input"
                                            or call_name(module, n) in ("getpass.getpass", "click.prompt", "click.confirm"))
               for n in walk_nodes(fn))


def _draws_on_terminal(module: SourceModule, fn: ast.AST) -> bool:
    """A function that writes part of a line to the console (progress dots, a ``\\r`` redraw:
    ``sys.stdout.write(".")``): an interactive tool drawing on the terminal, whose prints are its report."""
    return any(isinstance(n, ast.Call) and call_name(module, n) in CONSOLE_STREAMS and len(n.args) == 1
               and isinstance(n.args[0], (ast.Constant, ast.JoinedStr)) and _console_write(module, n) is None
               for n in walk_nodes(fn))


def _bare_log_calls(module: SourceModule, project: Project, structlog_only: bool = False) -> Iterator[LogLine]:
    """The request path's log calls with no structured context; in a module logging with structlog
    (``structlog_only``), those of its structlog loggers given no keyword argument, whose values are formatted into
    the message (``log.error("unsupported event %s", event.type)``, an f-string): no field to filter on."""
    if not route_handlers(module, project) and not _defines_request_path_helpers(module, project) \
            and not any(_request_entry(module, fn, project) for fn in module.nodes_of(*FUNCTION_TYPES)):
        return
    stdlib_loggers = _bound_names(module, STRUCTLOG_GET_LOGGER if structlog_only else STDLIB_GET_LOGGER)
    adapters = _bound_names(module, {"logging.LoggerAdapter"}) | _bound_loggers(module)
    loguru = module.imports_module("loguru")
    for node in walk_nodes(module.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS):
            continue
        receiver = _logger_receiver(module, node.func.value)
        if receiver is None or receiver in adapters or (receiver not in stdlib_loggers if structlog_only else (
                receiver not in LOGGER_NAMES and receiver not in stdlib_loggers and receiver != FETCHED
                and not NAMED_LOGGER.match(receiver) and receiver.rpartition(".")[2] not in LOGGER_ATTRIBUTES)):
            continue
        if receiver == "logging" and qualified(module, node.func.value) != "logging":
            continue
        if _level(node) in DEVELOPER_LEVELS:
            continue  # a developer's trace, off in production, read beside the code rather than searched
        if _in_stand_in(module, node):
            continue  # a console stand-in's log line is its output (the mail it does not send)
        message = node.args[1] if node.func.attr == "log" and len(node.args) > 1 else node.args[0] if node.args else None
        rest = node.args[2:] if node.func.attr == "log" else node.args[1:]
        style = _eager_interpolation(message) or _eager_interpolation(_only_value(module, node, message)) \
            or _exception_text(module, message)
        if structlog_only:
            if rest and _text(message) is not None:
                style = "a message formatted from positional arguments"
            if style is None or any(kw.arg not in STRUCTLOG_NO_CONTEXT for kw in node.keywords):
                continue  # key-value context, the structlog way
        elif style is None or rest or keyword(node, "extra") is not None or any(kw.arg is None for kw in node.keywords):
            continue
        if loguru and node.keywords:
            continue  # loguru keeps a call's keyword arguments in the record's extra
        handler = handler_of(module, node, project)
        function = _enclosing(module, node)
        if function is None:
            continue
        in_views = True
        if handler is not None:
            where = f"request handler {handler.name}()"
        elif _graphql_resolver(module, function):
            where = f"GraphQL resolver {function.name}()"
        elif _view_method(module, function, project):
            where = f"view method {function.name}(), which runs while the view answers a request,"
        elif _middleware_hook(module, function):
            where = f"middleware hook {function.name}(), which runs for each request,"
        elif _given_request(function):
            where = f"{function.name}(), which is handed the incoming request,"
        elif _request_path_helper(module, function, project, set(), _view_entry):
            where = f"{function.name}(), which only request handlers call,"
        else:
            in_views = False
            if _authentication_backend(module, function):
                where = f"authentication backend {function.name}(), which runs for each login,"
            elif _message_callback(module, function):
                where = f"message consumer callback {function.name}(), which runs for each message,"
            elif _request_path_helper(module, function, project, set()):
                where = f"{function.name}(), which only request handlers, login backends or message consumers call,"
            else:
                continue
        yield LogLine(Finding(
            message=f"{receiver}.{node.func.attr}() in {where} logs only {style}: "
                    "no structured context",
            path=module.path, line=node.lineno, end_line=getattr(node, "end_lineno", node.lineno),
            evidence=module.evidence(node),
            fix='pass the values as context: logger.info("order created", extra={"order_id": order.id}) '
                "(or a structlog logger: log.info(\"order_created\", order_id=order.id))",
            confidence=Confidence.medium,
        ), _level(node), (str(module.path), function.lineno, function.name), in_views)


STAND_IN_CLASS = re.compile(r"^_?(Console|Mock|Fake|Dummy|Stub)[A-Z]|(Mock|Fake|Dummy|Stub)[A-Z]\w*Provider$")


def _in_stand_in(module: SourceModule, node: ast.AST) -> bool:
    """``node`` is in a method of a development stand-in (``ConsoleMockEmailProvider``, ``FakeSmsSender``), whose log
    lines are what it does instead of sending."""
    return any(isinstance(a, ast.ClassDef) and STAND_IN_CLASS.search(a.name) for a in ancestors(module, node))


def _logger_receiver(module: SourceModule, node: ast.expr) -> str | None:
    """The dotted name a log method is called on (``logger``, ``flask.current_app.logger``), or
    ``logging.getLogger(...)`` for a logger fetched on the spot (``logging.getLogger(__name__).warning(...)``)."""
    if isinstance(node, ast.Call) and call_name(module, node) in STDLIB_GET_LOGGER:
        return FETCHED
    return dotted(node)


def _level(call: ast.Call) -> str:
    """A log call's level: ``error`` for ``log.error(...)`` and ``log.log(logging.ERROR, ...)``."""
    method = method_name(call) or ""
    if method == "log":
        return (dotted(call.args[0]) or "").rsplit(".", 1)[-1].lower() if call.args else ""
    return method


def _defines_request_path_helpers(module: SourceModule, project: Project) -> bool:
    return any(isinstance(n, FUNCTION_TYPES) and _request_path_helper(module, n, project, set()) for n in walk_nodes(module.tree))


def _request_path_helper(module: SourceModule, fn: ast.AST, project: Project, seen: set[int],
                         entry: Callable[[SourceModule, ast.AST, Project], bool] | None = None) -> bool:
    """A function that runs only while a request is handled: every call of its name in the project's
    service code is in a route handler, or in a function that is itself such a helper (two levels).
    Found by name (``validate_user(...)``, ``utils.validate_user(...)``, ``Source.get_one(...)``), but
    not through a call that goes to another module's function of that name: a name also called elsewhere
    (a job, a command, start-up) is not one. ``entry`` tells the other functions run per request that count as
    callers (by default all of them: resolvers, views, login backends, message consumers)."""
    entry = entry or _request_entry
    if id(fn) in seen or len(seen) > 2 or fn.name.startswith("__") or _is_task(fn):
        return False  # (dunder methods are called implicitly, not by name; a task is a job whoever calls it)
    seen = seen | {id(fn)}
    if fn.name in _dependencies(project):
        return True  # FastAPI runs a Depends(...) dependency for a request only
    callers = [(m, call, _enclosing(m, call)) for m, call in _calls_by_name(project).get(fn.name, [])]
    callers = [c for c in callers if c[2] is not fn and not _calls_another(module, fn, c[0], c[1], project)]  # recursion
    if not callers and not _calls_by_name(project).get(fn.name):
        callers = _dispatch_table_reads(module, fn, project)
    if not callers:
        return False
    for caller_module, call, outer in callers:
        if handler_of(caller_module, call, project) is not None or _request_hook(outer) \
                or outer is not None and entry(caller_module, outer, project):
            continue
        if outer is None or not _request_path_helper(caller_module, outer, project, seen, entry):
            return False
    return True


def _dispatch_table_reads(module: SourceModule, fn: ast.AST,
                          project: Project) -> list[tuple[SourceModule, ast.AST, ast.AST | None]]:
    """For a module-level function never called by name but held in a module-level table of its file
    (``EVENT_HANDLERS = {"user.created": handle_user_created}``) and named nowhere else, the reads of that table
    (``EVENT_HANDLERS.get(event_type)`` in ``get_event_handler()``), each with its function: whoever reads the
    table picks the function to run."""
    if not isinstance(module.parents.get(fn), ast.Module) \
            or any(m is not module for m in _references_by_name(project).get(fn.name, [])):
        return []
    tables: dict[str, ast.expr] = {}
    for statement in module.tree.body:
        value = getattr(statement, "value", None)
        target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
            else getattr(statement, "target", None)
        if isinstance(value, (ast.Dict, ast.List, ast.Tuple)) and isinstance(target, ast.Name) and any(
                isinstance(n, ast.Name) and n.id == fn.name for n in walk_nodes(value)):
            tables[target.id] = value
    named = [n for n in module.nodes_of(ast.Name) if n.id == fn.name and isinstance(n.ctx, ast.Load)]
    if not tables or any(not any(n is v for table in tables.values() for v in walk_nodes(table)) for n in named):
        return []  # also handed on or called otherwise
    reads = []
    for table in tables:
        for user in _references_by_name(project).get(table, []):
            reads.extend((user, n, _enclosing(user, n)) for n in user.nodes_of(ast.Name, ast.Attribute)
                         if (n.id if isinstance(n, ast.Name) else n.attr) == table and isinstance(n.ctx, ast.Load))
    return reads


def _calls_another(module: SourceModule, fn: ast.AST, caller_module: SourceModule, call: ast.Call,
                   project: Project) -> bool:
    """Whether a call of a module-level function's name reaches another function of that name: one the
    calling file defines or imports from elsewhere (``tasks.load_favicon(...)`` for
    ``favicon_loader.load_favicon``)."""
    if not isinstance(module.parents.get(fn), ast.Module):
        return False
    name = qualified(caller_module, call.func) or ""
    owner, _, called = name.rpartition(".")
    if not owner:
        return caller_module is not module and any(
            isinstance(n, FUNCTION_TYPES) and n.name == called for n in caller_module.tree.body)
    target = project.by_dotted_name.get(owner)
    return target is not None and target is not module


def _graphql_resolver(module: SourceModule, fn: ast.AST) -> bool:
    """A GraphQL resolver, which the GraphQL endpoint runs for a request: in a file importing strawberry,
    graphene or ariadne, a function decorated as a field, mutation or subscription (``@strawberry.mutation``,
    ``@query.field("user")``), or one taking the resolver's ``info`` (``info: Info[Context, None]``,
    graphene's ``def mutate(root, info, ...)``)."""
    if not any(module.imports_module(lib) for lib in GRAPHQL_LIBRARIES):
        return False
    if "info" in [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]:
        return True
    return any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in RESOLVER_DECORATORS
               for d in fn.decorator_list)


def _request_entry(module: SourceModule, fn: ast.AST, project: Project) -> bool:
    """A function the service runs for one request or message besides the route handlers: a GraphQL resolver, a
    method of a class-based view, an authentication backend's ``authenticate``, a message consumer's callback."""
    return _view_entry(module, fn, project) or _authentication_backend(module, fn) or _message_callback(module, fn)


def _view_entry(module: SourceModule, fn: ast.AST, project: Project) -> bool:
    """A GraphQL resolver, a method of a class-based view, a Django middleware's hook or a function given the
    incoming request."""
    return _graphql_resolver(module, fn) or _view_method(module, fn, project) or _middleware_hook(module, fn) \
        or _given_request(fn)


# Django's middleware hooks, run around each request (``process_response(self, request, response)``)
MIDDLEWARE_HOOKS = {"process_request", "process_view", "process_response", "process_exception",
                    "process_template_response"}
# what only an incoming request has: Django's form, query, files, headers, user and session, Flask's and DRF's
INBOUND_REQUEST_ATTRIBUTES = {"POST", "GET", "FILES", "META", "COOKIES", "user", "session", "form", "args", "values",
                              "get_json", "remote_addr", "query_params"}


def _middleware_hook(module: SourceModule, fn: ast.AST) -> bool:
    """A Django middleware's hook (``process_response(self, request, response)``) or the ``__call__(self, request)``
    of a middleware class built with ``get_response``: Django runs it for each request."""
    owner = module.parents.get(fn)
    parameters = [a.arg for a in fn.args.args]
    if not isinstance(owner, ast.ClassDef) or parameters[1:2] != ["request"]:
        return False
    if fn.name in MIDDLEWARE_HOOKS:
        return True
    return fn.name == "__call__" and any(isinstance(m, FUNCTION_TYPES) and m.name == "__init__" and "get_response" in
                                         [a.arg for a in m.args.args] for m in owner.body)


def _given_request(fn: ast.AST) -> bool:
    """A function that must be handed the incoming request (a ``request`` parameter without a default) and reads
    what only an incoming request has (``request.POST``, ``request.user``, ``request.args``): it runs while a
    request is answered, whoever calls it (a command or a job has no request to give; a caller of its callers
    that may run without one tests for it first, ``if request:``)."""
    arguments = fn.args
    positional = [*arguments.posonlyargs, *arguments.args]
    required = [a.arg for a in positional[:len(positional) - len(arguments.defaults)]] \
        + [a.arg for a, default in zip(arguments.kwonlyargs, arguments.kw_defaults) if default is None]
    return "request" in required and any(
        isinstance(n, ast.Attribute) and n.attr in INBOUND_REQUEST_ATTRIBUTES and isinstance(n.value, ast.Name)
        and n.value.id == "request" for n in walk_nodes(fn))


def _view_method(module: SourceModule, fn: ast.AST, project: Project) -> bool:
    """A method of a Django or DRF class-based view (``get_context_data``, ``form_valid``, ``perform_create``, a
    helper ``self._post2(request)``), in a class built on one of their views (also through the code base's own base
    views) or in a mixin of the code base that only such views are built on. ``as_view()`` builds the view for each
    request: its methods run while it answers one. (Not a static or class method: anyone may call those.)"""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef) or fn.name.startswith("__") or any(
            dotted(d) in ("staticmethod", "classmethod") for d in fn.decorator_list):
        return False
    return _built_on(module, owner, project, VIEW_BASES) or id(owner) in _view_mixins(project)


def _view_mixins(project: Project) -> set[int]:
    """The code base's classes that views are built on and nothing else is (``class LoginView(LoginViewMixin,
    generic.FormView)``, every other class built on ``LoginViewMixin`` a view as well)."""
    found = project.facts.get("r3_view_mixins")
    if found is None:
        subclasses: dict[int, list[bool]] = {}
        for module in (m for m in project.modules if not is_test_file(m)):
            for cls in module.nodes_of(ast.ClassDef):
                for base in cls.bases:
                    own = project_class(module, project, base)
                    if own is not None and own[1] is not cls:
                        subclasses.setdefault(id(own[1]), []).append(_built_on(module, cls, project, VIEW_BASES))
        found = project.facts["r3_view_mixins"] = {owner for owner, views in subclasses.items() if all(views)}
    return found  # type: ignore[return-value]


def _authentication_backend(module: SourceModule, fn: ast.AST) -> bool:
    """``authenticate(self, request, ...)`` of a class: a Django authentication backend or a DRF authentication
    class, which the framework runs for each login or request."""
    parameters = [a.arg for a in fn.args.args]
    return fn.name == "authenticate" and isinstance(module.parents.get(fn), ast.ClassDef) \
        and parameters[:2] == ["self", "request"]


MESSAGE_CONSUMER_LIBRARIES = ("fedora_messaging",)


def _message_callback(module: SourceModule, fn: ast.AST) -> bool:
    """The ``__call__(self, message)`` of a class in a module of a message consumer library (fedora-messaging's
    configured ``callback``): the consumer runs it for each message it receives."""
    return fn.name == "__call__" and isinstance(module.parents.get(fn), ast.ClassDef) and len(fn.args.args) == 2 \
        and any(module.imports_module(lib) for lib in MESSAGE_CONSUMER_LIBRARIES)


def _built_on(module: SourceModule, cls: ast.ClassDef, project: Project, outside_bases: tuple[str, ...],
              depth: int = 3) -> bool:
    """Whether the class derives from a class whose qualified name starts with one of ``outside_bases``,
    directly or through the project's own classes."""
    for base in cls.bases:
        if (qualified(module, base) or "").startswith(outside_bases):
            return True
        own = project_class(module, project, base) if depth else None
        if own is not None and own[1] is not cls and _built_on(own[0], own[1], project, outside_bases, depth - 1):
            return True
    return False


def _is_task(fn: ast.AST) -> bool:
    """A Celery task (``@shared_task``, ``@app.task(bind=True)``): the worker runs it, started by a beat schedule
    or a queue through its dotted name, calls the name lookup cannot see."""
    return any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in CELERY_TASK_DECORATORS
               for d in fn.decorator_list)


def _request_hook(fn: ast.AST | None) -> bool:
    """A function the framework runs around each request (Flask ``@app.before_request`` and kin)."""
    return fn is not None and any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1]
                                  in REQUEST_HOOKS for d in fn.decorator_list)


def _enclosing(module: SourceModule, node: ast.AST) -> ast.AST | None:
    return next((p for p in ancestors(module, node) if isinstance(p, FUNCTION_TYPES)), None)


def _dependencies(project: Project) -> frozenset[str]:
    """Names of the functions handed to FastAPI's ``Depends(...)``/``Security(...)`` in the project."""
    names = project.facts.get("r3_dependencies")
    if names is None:
        found = set()
        for module in project.modules:
            if is_test_file(module) or not module.imports_module("fastapi"):
                continue
            for node in walk_nodes(module.tree):
                if isinstance(node, ast.Call) and (call_name(module, node) or "").rsplit(".", 1)[-1] in ("Depends", "Security"):
                    target = node.args[0] if node.args else keyword(node, "dependency")
                    name = dotted(target) if target is not None else None
                    if name:
                        found.add(name.rsplit(".", 1)[-1])
        names = project.facts["r3_dependencies"] = frozenset(found)
    return names  # type: ignore[return-value]


def _calls_by_name(project: Project) -> dict[str, list[tuple[SourceModule, ast.Call]]]:
    """Called name -> the calls of it in the project's service code (computed once per project)."""
    if "r3_calls_by_name" not in project.facts:
        table: dict[str, list[tuple[SourceModule, ast.Call]]] = {}
        for module in (m for m in project.modules if not is_test_file(m)):
            for call in module.nodes_of(ast.Call):
                table.setdefault(method_name(call) or "", []).append((module, call))
        project.facts["r3_calls_by_name"] = table
    return project.facts["r3_calls_by_name"]  # type: ignore[return-value]


def _bound_names(module: SourceModule, factories: set[str]) -> set[str]:
    """Names the file binds to a call of one of ``factories`` (``audit_log = logging.getLogger(...)``)."""
    names: set[str] = set()
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and call_name(module, node.value) in factories:
            names.update(n for n in (dotted(t) for t in node.targets) if n)
    return names


def _bound_loggers(module: SourceModule) -> set[str]:
    """Names bound to a logger with context: ``log = logger.bind(order_id=order.id)``."""
    return {n for node in walk_nodes(module.tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "bind"
            for n in (dotted(t) for t in node.targets)
            if n and "log" in f"{n} {dotted(node.value.func.value) or ''}".lower()}  # not url_map.bind(server)


def _eager_interpolation(message: ast.expr | None) -> str | None:
    """How a message was formatted on the spot, also a translated one (``_("%s logged in") % user``), or None for a
    plain or lazily formatted one."""
    if isinstance(message, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in message.values):
        return "an f-string"
    if isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod) and _text(message.left) is not None:
        return "an eagerly %-formatted string"
    if (isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute) and message.func.attr == "format"
            and _text(message.func.value) is not None):
        return "an str.format() string"
    if isinstance(message, ast.BinOp) and isinstance(message.op, ast.Add) and _has_string(message):
        return "a concatenated string"
    return None


GETTEXT_NAMES = {"_", "gettext", "ugettext", "gettext_lazy", "ugettext_lazy", "_l"}


def _text(node: ast.expr) -> str | None:
    """A string literal, also one passed through gettext (``_("...")``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES \
            and len(node.args) == 1:
        node = node.args[0]
    return string_value(node)


def _exception_text(module: SourceModule, message: ast.expr | None) -> str | None:
    """``log.error(e)``, ``log.exception(str(e))``, ``log.error(describe(e))`` in the ``except`` that caught
    ``e``: the line says what failed but not in which operation or for which entity."""
    if isinstance(message, ast.Call) and len(message.args) == 1 and not message.keywords:
        message = message.args[0]
    if not isinstance(message, ast.Name):
        return None
    caught = next((p for p in ancestors(module, message) if isinstance(p, (ast.ExceptHandler, *FUNCTION_TYPES))), None)
    return "the exception's text" if isinstance(caught, ast.ExceptHandler) and caught.name == message.id else None


def _only_value(module: SourceModule, at: ast.AST, name: ast.expr | None) -> ast.expr | None:
    """The value a local name holds when its function assigns it once, by a plain ``msg = ...``
    (``msg = f"failed: {e}"; logger.error(msg)`` logs the f-string); None for a parameter or a name
    bound more than once or otherwise (a loop, a ``with``)."""
    fn = _enclosing(module, at)
    if not isinstance(name, ast.Name) or fn is None \
            or name.id in {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}:
        return None
    stores = [n for n in walk_nodes(fn) if isinstance(n, ast.Name) and n.id == name.id and not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1:
        return None
    statement = module.parents.get(stores[0])
    if isinstance(statement, ast.Assign) and statement.targets == [stores[0]]:
        return statement.value
    return None


def _has_string(node: ast.AST) -> bool:
    return any(string_value(n) is not None or isinstance(n, ast.JoinedStr) for n in walk_nodes(node))


def _context_added_everywhere(project: Project) -> bool:
    """A request-context library or a logging.Filter subclass that sets fields on the records enriches every
    record (a filter that only drops records, ``return "database is locked" not in msg``, adds nothing)."""
    for module in project.modules:
        if any(module.imports_module(lib) for lib in CONTEXT_LIBRARIES):
            return True
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.ClassDef) and any(qualified(module, b) == "logging.Filter" for b in node.bases) \
                    and _filter_adds_fields(node) and _filters_service_records(module, node, project):
                return True
            if isinstance(node, ast.Call) and call_name(module, node) in CONTEXT_CALLS:
                return True
            if isinstance(node, ast.Call) and call_name(module, node) == "loguru.logger.configure" \
                    and keyword(node, "patcher") is not None:
                return True
    return False


def _filters_service_records(module: SourceModule, cls: ast.ClassDef, project: Project) -> bool:
    """Whether a logging filter may be installed for the service: not one only command-line code sets up
    (``handler.addFilter(MasterFilter())`` in the ``setup_logging()`` of a crawler's command: its records are the
    command's). A filter no code instantiates is named in a logging configuration: trusted."""
    if is_test_file(module) or _command_line_module(module, project):
        return False
    built = [(m, n) for m in project.modules if not is_test_file(m) and cls.name in m.text for n in m.nodes_of(ast.Call)
             if (dotted(n.func) or "").rpartition(".")[2] == cls.name]
    return not built or any(not _command_line_module(m, project) and not in_main_block(m, n)
                            and not _in_command_line_function(m, n, project) for m, n in built)


def _filter_adds_fields(cls: ast.ClassDef) -> bool:
    """Whether a ``logging.Filter`` subclass writes fields on the records it passes (``record.request_id = ...``,
    ``setattr(record, "user", ...)``); not one that only rewrites a record's own attributes (``record.levelno``,
    ``record.msg``: a filter re-leveling or colouring the server's access lines adds no context)."""
    for method in cls.body:
        if not isinstance(method, FUNCTION_TYPES) or len(method.args.args) < 2:
            continue
        record = method.args.args[1].arg
        for node in walk_nodes(method):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id == record and node.attr not in RECORD_FIELDS:
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                    and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == record \
                    and (len(node.args) < 2 or string_value(node.args[1]) not in RECORD_FIELDS):
                return True
    return False
