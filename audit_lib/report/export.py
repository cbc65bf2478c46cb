"""The executed notebook as report.html (code hidden, offline) and report.pdf (WeasyPrint, A4).

nbconvert's lab template links require.js, MathJax and mermaid from a CDN; the report
needs none of them, so the template used here drops those blocks and the page loads
nothing from the network. The report's own styles are inlined, with the paper rules
(A4, no table past the right edge) under ``@media print``, which WeasyPrint applies.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import nbformat

TEMPLATE_NAME = "posture-report.html.j2"
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">
{{ resources.posture_css }}
@media print {
{{ resources.posture_print_css }}
}
</style>
{%- endblock html_head_css -%}
"""
REPORT_TITLE = "posture-audit report"


def stylesheet(name: str) -> str:
    return resources.files("audit_lib.report").joinpath(name).read_text(encoding="utf-8")


def without_progress_log(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop stderr streams (the run's progress lines) from the outputs; report.ipynb keeps them."""
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return notebook


def notebook_to_html(notebook_path: str | Path, html_path: str | Path) -> Path:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    notebook = without_progress_log(nbformat.read(str(notebook_path), as_version=4))
    notebook.metadata["title"] = REPORT_TITLE
    exporter = HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE_NAME,
        extra_loaders=[DictLoader({TEMPLATE_NAME: TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(
        notebook,
        resources={"posture_css": stylesheet("report.css"), "posture_print_css": stylesheet("print.css")},
    )
    path = Path(html_path)
    path.write_text(body, encoding="utf-8")
    return path


def html_to_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print report.html to A4 with WeasyPrint; it fetches nothing from the network."""
    from weasyprint import HTML, URLFetcher

    local_only = URLFetcher(allowed_protocols={"file", "data"})
    for name in ("weasyprint", "fontTools"):  # unsupported-CSS warnings from the lab theme are noise
        logging.getLogger(name).setLevel(logging.ERROR)
    path = Path(pdf_path)
    HTML(filename=str(html_path), url_fetcher=local_only).write_pdf(str(path))
    return path
