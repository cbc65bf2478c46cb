"""The ``posture-audit`` command: a thin layer over the library.

Exit codes: 0 ran; 1 findings at or above ``--fail-on``; 2 bad usage or input;
3 internal error.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from audit_lib import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad usage or input: reported as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see posture-audit {self.prog.split()[-1]} --help)".replace(
            "(see posture-audit posture-audit --help)", "(see posture-audit --help)"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="posture-audit", description="Audit a Python backend and its PostgreSQL database.")
    parser.add_argument("--version", action="version", version=f"posture-audit {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    demo = sub.add_parser("demo", help="audit the bundled example on an embedded PostgreSQL")
    demo.add_argument("--out", default="audit-report", help="report folder (default ./audit-report)")
    demo.add_argument("--no-pdf", action="store_true", help="skip report.pdf")

    run = sub.add_parser("run", help="the full audit: notebooks, HTML, PDF, JSON, SARIF")
    run.add_argument("--code", required=True, help="root of the Python code base to audit")
    run.add_argument("--dsn-env", default=None, help="environment variable holding the libpq DSN (default DATABASE_URL)")
    run.add_argument("--params", default=None, help="params YAML file")
    run.add_argument("--out", default=None, help="report folder (default ./audit-report)")
    run.add_argument("--no-pdf", action="store_true", help="skip report.pdf")
    run.add_argument("--fail-on", default=None, help="exit 1 when a finding has this severity or higher")
    run.add_argument("--baseline", default=None, help="findings.json of an earlier run: hide the findings it holds")
    run.add_argument("--jobs", type=int, default=None, help="processes for the code rules (default 1); same output")

    scan = sub.add_parser("scan", help="the analyses without notebooks, findings on stdout")
    scan.add_argument("path", help="root of the Python code base to audit")
    scan.add_argument("--dsn-env", default=None, help="environment variable holding the libpq DSN")
    scan.add_argument("--params", default=None, help="params YAML file")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    scan.add_argument("--rules", action="append", default=None,
                      help="comma-separated rule ids or groups (R3, T.naive-datetime); may be given more than once")
    scan.add_argument("--fail-on", default=None, help="exit 1 when a finding has this severity or higher")
    scan.add_argument("--baseline", default=None, help="findings.json of an earlier run: hide the findings it holds")
    scan.add_argument("--jobs", type=int, default=None, help="processes for the code rules (default 1); same output")

    sub.add_parser("rules", help="list every rule")
    return parser


EXIT_INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    previous = {signum: signal.signal(signum, _terminate) for signum in STOP_SIGNALS}
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required: demo, run, scan or rules (see posture-audit --help)")
        return COMMANDS[args.command](args)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt as exc:
        name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
        return _fail(f"interrupted by {name}: stopped and cleaned up (a report folder left is marked INCOMPLETE)",
                     EXIT_INTERRUPTED)
    except Exception as exc:  # the contract: one line, exit 3, never a traceback
        from audit_lib.redact import redact_secrets

        return _fail(f"internal error: {type(exc).__name__}: {redact_secrets(_first_line(exc))}", EXIT_INTERNAL)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT: unwinds like Ctrl-C so that every ``finally`` cleans up."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name


def _terminate(signum, frame):
    # A second signal must not cut the cleanup of the first one short.
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise Interrupted(signum)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _fail(message: str, code: int) -> int:
    print(f"posture-audit: {message}", file=sys.stderr)
    return code


def _settings(args, **overrides):
    from audit_lib.settings import Settings

    values = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "params", None):
        return Settings.from_file(args.params, values)
    return Settings.from_mapping(values)


def _check_rules(settings) -> None:
    """Unknown rule ids in a params file: exit 2 here, before a kernel is started for nothing."""
    from audit_lib.registry import select

    select(settings.rules)


def _fail_on(text: str | None):
    if text is None:
        return None
    from audit_lib.findings import Severity

    return Severity.parse(text)


def cmd_rules(args) -> int:
    from audit_lib.registry import all_rules

    rules = all_rules()
    width = max(len(r.id) for r in rules)
    for r in rules:
        print(f"{r.id:<{width}}  {r.scope:<8}  {r.severity.name:<6}  {r.summary}")
    return EXIT_OK


def cmd_scan(args) -> int:
    from audit_lib.engine import Audit

    fail_on = _fail_on(args.fail_on)
    settings = _settings(
        args, code_root=str(Path(args.path)), dsn_env=args.dsn_env, rules=",".join(args.rules) if args.rules else None,
        baseline=args.baseline, jobs=args.jobs,
    )
    result = Audit(settings).run()
    if args.format == "json":
        from audit_lib.report.outputs import findings_json

        print(findings_json(result))
    elif args.format == "sarif":
        from audit_lib.report.outputs import sarif_json

        print(sarif_json(result))
    else:
        from audit_lib.report.text import to_text

        print(to_text(result))
    return EXIT_FINDINGS if fail_on is not None and result.at_or_above(fail_on) else EXIT_OK


def cmd_run(args) -> int:
    from audit_lib.workbook import run_workbook

    fail_on = _fail_on(args.fail_on)
    code = Path(args.code)
    if not code.is_dir():
        raise UsageError(f"code root {'does not exist' if not code.exists() else 'is not a directory'}: {args.code}")
    settings = _settings(
        args, code_root=args.code, dsn_env=args.dsn_env, out_dir=args.out, baseline=args.baseline,
        jobs=args.jobs,
    )
    _check_rules(settings)
    result = run_workbook(settings, pdf=not args.no_pdf)
    print(f"report written to {result.out_dir}")
    return EXIT_FINDINGS if fail_on is not None and result.at_or_above(fail_on) else EXIT_OK


def cmd_demo(args) -> int:
    from audit_lib.settings import DEMO_PARAMS, EXAMPLE_CODE, Settings
    from audit_lib.workbook import run_workbook

    settings = Settings.from_file(DEMO_PARAMS, {"code_root": str(EXAMPLE_CODE), "out_dir": args.out})
    result = run_workbook(settings, pdf=not args.no_pdf)
    print(f"report written to {result.out_dir}")
    return EXIT_OK


COMMANDS = {"rules": cmd_rules, "scan": cmd_scan, "run": cmd_run, "demo": cmd_demo}
