"""Which of a project's Django management commands the product runs itself.

Management commands are operator-run one-offs by convention (imports, clean-ups, fixtures), and
the code rules judge them as such. Some are not: a Procfile process, a cron entry, a Kubernetes
CronJob, a Celery task calling ``call_command()``, or the deployment docs saying "run it daily".
Those run in production on a schedule, over the whole data set, unattended: they are judged like
the service. The evidence is read from the target's files, never from running anything.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from audit_lib.pyast import qualified, string_value
from audit_lib.source import Project, SourceModule, is_test_path, project_files

MAX_TEXT_BYTES = 1_000_000
COMMAND_SUFFIXES = (".yml", ".yaml", ".json", ".toml", ".ini", ".conf", ".sh", ".cron", ".md", ".rst", ".txt")
INVOCATION = re.compile(r"(?:manage\.py|django-admin(?:\.py)?)[\"',\s]+([a-z_][a-z0-9_]*)")  # also a YAML/JSON argv list
SCHEDULE_WORDS = re.compile(
    r"\bcron|crontab|\bschedul|\bperiodic|\bdaily\b|\bhourly\b|\bweekly\b|\bnightly\b|\bevery\s+\d*\s*"
    r"(?:minute|hour|day|night|week)|CronJob|\*/\d+|(?:^|\s)(?:\d+|\*)\s+(?:\d+|\*)\s+[\d*]+\s+[\d*]+\s+[\d*]+\s",
    re.IGNORECASE | re.MULTILINE)
SCHEDULE_WINDOW = 12  # lines either side of an invocation in which a schedule word ties it to a schedule
CALL_COMMAND = {"django.core.management.call_command", "call_command", "management.call_command"}


def is_scheduled_command(module: SourceModule, project: Project) -> bool:
    """Whether ``module`` is a management command that a process, a schedule or the service runs."""
    name = command_name(module)
    return name is not None and name in scheduled_command_names(project)


def command_name(module: SourceModule) -> str | None:
    """``app/management/commands/send_digest.py`` -> ``send_digest``."""
    parts = module.path.split("/")
    if len(parts) >= 3 and parts[-3:-1] == ["management", "commands"] and not parts[-1].startswith("_"):
        return parts[-1][:-3]
    return None


def scheduled_command_names(project: Project) -> frozenset[str]:
    """Names of the project's own commands run by something other than an operator (computed once)."""
    names = project.facts.get("scheduled_commands")
    if names is None:
        own = {name for name in map(command_name, project.modules) if name}
        names = frozenset(own & (_called_by_code(project) | _run_by_deployment(project.root))) if own else frozenset()
        project.facts["scheduled_commands"] = names
    return names  # type: ignore[return-value]


def _called_by_code(project: Project) -> set[str]:
    """Commands run through ``call_command("name")`` from service code (a Celery task, a view)."""
    names: set[str] = set()
    for module in project.modules:
        if is_test_path(module.path) or command_name(module) or "call_command" not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            if call.args and qualified(module, call.func) in CALL_COMMAND:
                name = string_value(call.args[0])
                if name:
                    names.add(name)
    return names


def _run_by_deployment(root: Path) -> set[str]:
    """Commands a Procfile starts, or that a config file or the docs invoke next to a schedule."""
    names: set[str] = set()
    for path in _deployment_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.name.lower() == "procfile":
            names.update(_procfile_commands(text))
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines):
            for name in INVOCATION.findall(line):
                window = "\n".join(lines[max(0, number - SCHEDULE_WINDOW):number + SCHEDULE_WINDOW + 1])
                if "cron" in path.name.lower() or SCHEDULE_WORDS.search(window):
                    names.add(name)
    return names


def _procfile_commands(text: str) -> set[str]:
    """Commands of a Procfile's processes; ``release:`` runs once per deployment, like an operator would."""
    names: set[str] = set()
    for line in text.splitlines():
        process, _, command = line.partition(":")
        if command and process.strip() != "release":
            names.update(INVOCATION.findall(command))
    return names


def _deployment_files(root: Path):
    for path in project_files(root, _is_deployment_file):
        try:
            if path.stat().st_size <= MAX_TEXT_BYTES:
                yield path
        except OSError:
            continue


def _is_deployment_file(name: str) -> bool:
    return name.startswith(("procfile", "crontab", "dockerfile")) or "cron" in name or name.endswith(COMMAND_SUFFIXES)
