"""`bench report RUN RUN ...`: several runs in one offline HTML page (and a markdown one).

Runs whose data match (bench.results.merge) are merged: one leaderboard over all their trials,
with the merge's notes and warnings at the top. Runs that may not merge are shown side by side:
each run's sections under its own heading, after the reason they could not merge. Written into
the first-named run's folder as report-runs.html, report-runs.md and report-runs-figures/.
"""

from __future__ import annotations

from pathlib import Path

from bench.files import file_name
from bench.results.leaderboard import html_text, markdown_text
from bench.results.merge import NotComparable, merge_runs
from bench.results.report import (
    Parts,
    html_page,
    html_sections,
    markdown_sections,
    report_parts,
    save_figures,
)
from bench.results.store import RunStore

STEM = "report-runs"
FIGURES = f"{STEM}-figures"


def multi_parts(stores: list[RunStore], metrics: tuple[str, ...] = ()) -> tuple[list[Parts], str | None]:
    """([one merged Parts], None) when the runs may merge, else (one Parts per run, why not)."""
    try:
        merged = merge_runs(stores)
    except NotComparable as exc:
        why = f"These runs are shown side by side, not merged: {exc}"
        return [report_parts(s, metrics, prefix=f"{file_name(s.id)}-") for s in stores], why
    return [report_parts(merged, metrics, notes=(*merged.warnings, *merged.notes))], None


def write_multi_report(stores: list[RunStore], metrics: tuple[str, ...] = ()) -> dict[str, Path]:
    """Write the page for `stores` into the first one's folder; returns the paths."""
    runs, why = multi_parts(stores, metrics)
    title = f"bench report: runs {' + '.join(s.id for s in stores)}"
    if why is None:
        html_body, markdown = html_sections(runs[0]), markdown_sections(runs[0], figures_dir=FIGURES)
    else:
        articles = (
            f'<article id="{html_text(p.prefix)}run"><h2>Run {html_text(p.store.id)}</h2>'
            f"{html_sections(p, heading=3)}</article>"
            for p in runs
        )
        html_body = f'<p class="note">{html_text(why)}</p>' + "".join(articles)
        markdown = [f"_{markdown_text(why)}_", ""]
        for p in runs:
            markdown += [f"## Run {markdown_text(p.store.id)}", "", *markdown_sections(p, 3, FIGURES)]
    folder = stores[0].dir / FIGURES
    save_figures(folder, [f for p in runs for f in p.figures])
    html_path, markdown_path = stores[0].dir / f"{STEM}.html", stores[0].dir / f"{STEM}.md"
    html_path.write_text(html_page(title, html_body), encoding="utf-8")
    markdown_path.write_text("\n".join([f"# {markdown_text(title)}", "", *markdown]), encoding="utf-8")
    return {"html": html_path, "markdown": markdown_path, "figures": folder}
