"""Which management commands the product runs itself: read from Procfiles, schedules, docs and code."""

from __future__ import annotations

from pathlib import Path

from audit_lib.scheduled_commands import is_scheduled_command, scheduled_command_names
from audit_lib.source import load_project

COMMANDS = ("send_digest", "sendalerts", "purge_sessions", "rebuild_index", "import_legacy", "migrate", "report_usage")


def make_project(tmp_path: Path, files: dict[str, str]):
    for name in COMMANDS:
        command = tmp_path / "app" / "management" / "commands" / f"{name}.py"
        command.parent.mkdir(parents=True, exist_ok=True)
        command.write_text("from django.core.management.base import BaseCommand\n\n\nclass Command(BaseCommand):\n"
                           "    def handle(self, *args, **options):\n        pass\n")
    (tmp_path / "app" / "__init__.py").write_text("")
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_project(tmp_path)


def test_commands_run_by_processes_schedules_docs_and_code(tmp_path: Path):
    project = make_project(tmp_path, {
        "Procfile": "web: gunicorn app.wsgi\nrelease: python manage.py migrate\nalerts: python manage.py sendalerts\n",
        "deploy/cron.yaml": "kind: CronJob\nspec:\n  schedule: '0 3 * * *'\n  command: ['python', 'manage.py', 'purge_sessions']\n",
        "docs/deployment.md": "## Jobs\n\nSend the digest mails; the command is designed to run daily.\n\n"
                              "    ./manage.py send_digest\n\n## Importing\n\nOnce, by hand:\n\n" + "\n" * 30
                              + "    ./manage.py import_legacy\n",
        "app/tasks.py": "from celery import shared_task\nfrom django.core.management import call_command\n\n\n"
                        "@shared_task\ndef nightly():\n    call_command('rebuild_index', verbosity=0)\n",
        "tests/test_report.py": "from django.core.management import call_command\n\n\n"
                                "def test_report():\n    call_command('report_usage')\n",
    })

    assert scheduled_command_names(project) == {"sendalerts", "purge_sessions", "send_digest", "rebuild_index"}


def test_a_command_module_is_judged_by_its_name(tmp_path: Path):
    project = make_project(tmp_path, {"Procfile": "worker: python manage.py sendalerts\n"})
    by_path = {m.path: m for m in project.modules}

    assert is_scheduled_command(by_path["app/management/commands/sendalerts.py"], project)
    assert not is_scheduled_command(by_path["app/management/commands/import_legacy.py"], project)
    assert not is_scheduled_command(by_path["app/__init__.py"], project)


def test_nothing_scheduled_without_evidence(tmp_path: Path):
    project = make_project(tmp_path, {"README.md": "Run `./manage.py import_legacy` once after installing.\n"})

    assert scheduled_command_names(project) == frozenset()
