"""HTML tables for the report: escaped, sortable and filterable in a browser, plain on paper.

Everything that comes from the audited code or database (SQL, evidence, identifiers,
messages) goes through :func:`esc`, so markup in the target renders as text. Cells that
this module builds itself from escaped parts are :class:`Html`.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Sequence

from audit_lib.findings import Finding
from audit_lib.redact import redact_secrets


class Html(str):
    """Markup built here from escaped parts: inserted as is."""


def esc(value: object) -> str:
    """The text of ``value`` (credentials masked) escaped for HTML; None is empty."""
    if value is None:
        return ""
    if isinstance(value, Html):
        return value
    return html.escape(redact_secrets(str(value)), quote=True)


def anchor_id(kind: str, name: str) -> str:
    """An element id safe in HTML and in PDF links, e.g. ``query-q1``."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


def query_links(query_ids: Iterable[str]) -> Html:
    return Html(", ".join(f'<a href="#{anchor_id("query", q)}">{esc(q)}</a>' for q in query_ids))


# Adds a filter box and click-to-sort headers to the sortable tables beside the script
# (JupyterLab may run it before the output is attached to the page, so it looks in its
# own parent). It runs in a browser or a trusted JupyterLab output; WeasyPrint ignores
# scripts, so on paper the table stays a plain table with no controls.
SORT_SCRIPT = """<script>
(function () {
  var script = document.currentScript;
  var scope = script && script.parentNode ? script.parentNode : document;
  var tables = scope.querySelectorAll("table.pa-sortable:not([data-pa-ready])");
  Array.prototype.forEach.call(tables, function (table) {
    table.setAttribute("data-pa-ready", "1");
    var body = table.tBodies[0];
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "filter rows";
    box.className = "pa-filter";
    table.parentNode.insertBefore(box, table);
    box.addEventListener("input", function () {
      var text = box.value.toLowerCase();
      Array.prototype.forEach.call(body.rows, function (row) {
        row.style.display = row.textContent.toLowerCase().indexOf(text) >= 0 ? "" : "none";
      });
    });
    function key(cell) {
      var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
      var number = parseFloat(raw);
      return isNaN(number) || String(number) !== raw ? raw.toLowerCase() : number;
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      header.style.cursor = "pointer";
      header.title = "click to sort";
      header.addEventListener("click", function () {
        var descending = header.getAttribute("data-dir") === "asc";
        header.setAttribute("data-dir", descending ? "desc" : "asc");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
</script>"""


class Cell:
    """A table cell with an optional sort key (e.g. severity rank) and CSS class."""

    def __init__(self, content: object, *, sort: object = None, css: str = ""):
        self.content, self.sort, self.css = content, sort, css

    def render(self) -> str:
        attrs = ""
        if self.sort is not None:
            attrs += f' data-sort="{esc(self.sort)}"'
        if self.css:
            attrs += f' class="{esc(self.css)}"'
        return f"<td{attrs}>{esc(self.content)}</td>"


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    css_class: str = "",
    widths: Sequence[str] | None = None,
    row_classes: Sequence[str] | None = None,
    sortable: bool = True,
    empty: str = "nothing to show",
) -> Html:
    """A table; cells are plain values (escaped), :class:`Html` or :class:`Cell`."""
    rows = [list(r) for r in rows]
    if not rows:
        return Html(f'<p class="pa-empty">{esc(empty)}</p>')
    classes = " ".join(c for c in ("pa-table", "pa-sortable" if sortable else "", css_class) if c)
    parts = [f'<table class="{classes}">']
    if widths:
        parts.append("<colgroup>" + "".join(f'<col style="width:{esc(w)}">' for w in widths) + "</colgroup>")
    parts.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for index, row in enumerate(rows):
        row_class = row_classes[index] if row_classes and row_classes[index] else ""
        parts.append(f'<tr class="{esc(row_class)}">' if row_class else "<tr>")
        parts.extend(cell.render() if isinstance(cell, Cell) else Cell(cell).render() for cell in row)
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if sortable:
        parts.append(SORT_SCRIPT)
    return Html("".join(parts))


def severity_cell(finding: Finding) -> Cell:
    label = Html(
        f'<span class="pa-sev pa-sev-{esc(finding.severity.name)}">{esc(finding.severity.name)}</span>'
        f'<br><span class="pa-note">conf. {esc(finding.confidence.name)}</span>'
        + (f'<br><span class="pa-note">suppressed ({esc(finding.suppressed_by or "yes")})</span>'
           if finding.suppressed else "")
    )
    return Cell(label, sort=3 - int(finding.severity))


def message_cell(finding: Finding) -> Html:
    evidence = f'<pre class="pa-evidence">{esc(finding.evidence)}</pre>' if finding.evidence else ""
    return Html(f"{esc(finding.message)}{evidence}")


def findings_table(findings: Sequence[Finding], *, empty: str = "no findings") -> Html:
    """Rule, severity, where, message (with its evidence), fix, and the queries it concerns."""
    rows = [
        [
            Html(f'<span class="pa-rule">{esc(f.rule)}</span>'),
            severity_cell(f),
            Cell(Html(f'<span class="pa-where">{esc(f.where)}</span>'), sort=f.where),
            message_cell(f),
            f.fix,
            query_links(f.queries),
        ]
        for f in findings
    ]
    return html_table(
        ["Rule", "Severity", "Where", "Message and evidence", "Fix", "SQL"],
        rows,
        css_class="pa-findings",
        widths=["14%", "10%", "16%", "33%", "20%", "7%"],
        row_classes=["pa-suppressed" if f.suppressed else "" for f in findings],
        empty=empty,
    )
