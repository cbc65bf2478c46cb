"""R1.offset-pagination confidence: a paged list only staff with a permission open is low confidence."""

from __future__ import annotations

from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.findings import Confidence
from audit_lib.settings import Settings

VIEWS = '''
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.views.generic import ListView

from board.models import Badge, Thread


class ModeratorMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "board.change_badge"


class PendingBadges(ModeratorMixin, ListView):
    queryset = Badge.objects.filter(granted=False).order_by("-asked_at")
    paginate_by = 30


class ThreadList(ListView):
    queryset = Thread.objects.order_by("-last_post_at")
    paginate_by = 30
'''


def test_staff_only_list_view_is_low_confidence(tmp_path: Path):
    (tmp_path / "board").mkdir()
    (tmp_path / "board" / "__init__.py").write_text("")
    (tmp_path / "board" / "views.py").write_text(VIEWS)
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R1.offset-pagination"])).run()
    found = {f.line: f for f in result.findings if f.rule == "R1.offset-pagination"}
    assert sorted(found) == [14, 19], [(f.line, f.message) for f in found.values()]
    assert found[14].confidence == Confidence.low and "staff" in found[14].message
    assert found[19].confidence == Confidence.medium and "staff" not in found[19].message
