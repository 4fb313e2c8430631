"""Helm charts of the repository rendered with their values, so that the Kubernetes and mesh readers
(``k8s.py``, ``mesh.py``) read what a chart would apply as if it were plain manifests.

A chart is a folder with ``Chart.yaml``, ``values.yaml`` and ``templates/``. Its templates
(``templates/**/*.yaml``, ``*.yml``, ``*.tpl``; files starting with ``_`` only define named
templates, ``NOTES.txt`` is not a manifest) are rendered by the bounded Go-template evaluator of
``gotemplate.py`` with Helm's context: ``.Values`` (the chart's ``values.yaml``, then the
``values-*.yaml`` files the repository's own deployment configuration names for the chart, in that
order: a skaffold ``valuesFiles``, a helmfile release's ``values``, an Argo CD ``valueFiles``, a
``helm install|upgrade|template ... -f FILE`` in a shell script or Makefile; never a values file
nothing names), ``.Release`` (``Name``: the chart's name, ``Namespace``: ``default``, as a release
of the chart named after it), ``.Chart`` (from ``Chart.yaml``) and ``.Template``. Numbers of the
values are float64 as Helm reads them (``1000000`` prints ``1e+06``).

Each rendered document is read from the template's path, its lines those of the template (a line
printed from a values file also names that ``file:line``), and carries the packaging label ``helm``
(``packaging``): the readers count a resource seen both in plain manifests and in a chart once, from
the plain manifests. A template the evaluator cannot render (a construct it lacks, ``.Capabilities``,
``.Files``, a live ``lookup``, a ``required`` value left empty) is a diagnostic at its line and gives
no document: nothing is rendered with a value that may be wrong. A chart inside another chart's
``charts/`` is a dependency whose values the parent sets: it is not rendered alone (a diagnostic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import yamlio
from ..facts import Diagnostic
from . import gotemplate
from .mesh import READERS, MeshPolicy

PACKAGING = "helm"
"""The packaging label of a document rendered from a chart (plain manifests have none)."""

_VALUES_NAME = re.compile(r"""(?:^|[\s"'=,\[/])((?:[\w.\-]+/)*values[\w.\-]*\.ya?ml)\b""")
_HELM_COMMAND = re.compile(r"\bhelm(?:file)?\s+(?:install|upgrade|template|diff|apply|sync)\b[^\n]*")
_CONFIG_NAMES = re.compile(r"(^|/)(skaffold[\w.\-]*|helmfile[\w.\-]*)\.ya?ml(\.gotmpl)?$|(^|/)(Makefile|[\w.\-]+\.mk|[\w.\-]+\.sh)$")


@dataclass(frozen=True)
class Chart:
    folder: str  # the chart's folder, relative to the root ("" at the root)
    name: str
    templates: tuple[str, ...]  # every file of templates/ (rendered ones and partials)
    values: tuple[str, ...]  # values.yaml, then the values files the deployment configuration names

    def path(self, name: str) -> str:
        return f"{self.folder}/{name}" if self.folder else name

    def short(self, rel: str) -> str:
        return rel[len(self.folder) + 1 :] if self.folder else rel


@dataclass(frozen=True)
class Rendered:
    """One rendered document of a chart's template: the template's path, the document, and for each
    line of the rendered text the template line and the values lines printed on it."""

    chart: Chart
    file: str
    doc: dict[str, Any]
    lines: tuple[tuple[int, tuple[str, ...]], ...]

    def line(self, rendered: int) -> int:
        """The template line of a line of the rendered text (1-based; 0 stays 0)."""
        return self.lines[rendered - 1][0] if 0 < rendered <= len(self.lines) else 0

    def values_at(self, rendered: int) -> tuple[str, ...]:
        return self.lines[rendered - 1][1] if 0 < rendered <= len(self.lines) else ()

    def where(self) -> str:
        """``helm chart shop, templates/virtualservice.yaml``"""
        return f"{PACKAGING} chart {self.chart.name}, {self.chart.short(self.file)}"


class _HelmDoc(yamlio.LineDict):
    """A rendered document: a ``LineDict`` with the packaging label ``helm`` and its chart."""

    __slots__ = ("packaging", "chart")
    packaging: str
    chart: str


def packaging(doc: Any) -> str | None:
    """``helm`` for a document rendered from a chart (``render_charts``), None for a plain one."""
    return getattr(doc, "packaging", None)


def find_charts(files: Iterable[str]) -> tuple[list[Chart], list[Diagnostic]]:
    """The charts among ``files`` (the repository's other files): folders with ``Chart.yaml``,
    ``values.yaml`` and ``templates/``; a chart under another's ``charts/`` is a diagnostic."""
    files = sorted(files)
    listed = set(files)
    folders = sorted({f.rsplit("/", 1)[0] if "/" in f else "" for f in files if f.rsplit("/", 1)[-1] == "Chart.yaml"})
    out: list[Chart] = []
    problems: list[Diagnostic] = []
    for folder in folders:
        prefix = f"{folder}/" if folder else ""
        templates = tuple(f for f in files if f.startswith(prefix + "templates/"))
        if prefix + "values.yaml" not in listed or not templates:
            continue
        parent = next((c for c in out if folder.startswith(c.path("charts/"))), None)
        if parent is not None:
            problems.append(
                Diagnostic(
                    prefix + "Chart.yaml",
                    "config_error",
                    f"Helm chart: a dependency of the chart {parent.name}, whose values the parent sets: not rendered alone",
                    severity="info",
                )
            )
            continue
        out.append(Chart(folder, folder.rsplit("/", 1)[-1] or "chart", templates, (prefix + "values.yaml",)))
    return out, problems


def named_values(root: Path, charts: list[Chart], files: Iterable[str]) -> list[Chart]:
    """Each chart with the values files the repository's deployment configuration names for it
    (skaffold, helmfile, Argo CD ``valueFiles``, ``helm install -f`` in scripts), after ``values.yaml``."""
    if not charts:
        return []  # nothing to name values for: no file is read
    listed = set(files)
    named: dict[str, list[str]] = {c.folder: [] for c in charts}
    for rel in sorted(listed):
        if not _CONFIG_NAMES.search(rel) and not (rel.endswith((".yaml", ".yml")) and not any(rel.startswith(c.path("")) for c in charts)):
            continue
        try:
            full = root / rel
            if full.stat().st_size > yamlio.MAX_YAML_BYTES:
                continue
            text = full.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if rel.endswith((".sh", ".mk")) or rel.rsplit("/", 1)[-1] == "Makefile":
            spans = [m.group(0) for m in _HELM_COMMAND.finditer(text)]
        elif "valuesFiles" in text or "valueFiles" in text or "releases:" in text:
            spans = [text]
        else:
            continue
        here = rel.rsplit("/", 1)[0] if "/" in rel else ""
        for span in spans:
            for m in _VALUES_NAME.finditer(span):
                for chart in charts:
                    found = _resolve(m.group(1), here, chart, listed)
                    if found and found not in chart.values and found not in named[chart.folder]:
                        named[chart.folder].append(found)
    return [replace(c, values=c.values + tuple(named[c.folder])) for c in charts]


def _resolve(name: str, here: str, chart: Chart, listed: set[str]) -> str | None:
    """A values file named in a configuration file of ``here``, if it is a file of ``chart``."""
    for base in (here, chart.folder, ""):
        parts: list[str] = base.split("/") if base else []
        for part in name.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in (".", ""):
                parts.append(part)
        rel = "/".join(parts)
        if rel in listed and rel.startswith(chart.path("")) and rel != chart.path("values.yaml"):
            return rel
    return None


def _values(root: Path, chart: Chart) -> tuple[dict[str, Any], dict[int, tuple[str, ...]], dict[tuple[str, ...], str], list[Diagnostic]]:
    """The chart's values files merged (later files win, maps merge key by key), numbers as float64;
    the path of each map (by ``id``) and the ``file:line`` of each key."""
    merged: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    problems: list[Diagnostic] = []
    for rel in chart.values:
        try:
            docs = yamlio.load_file(root / rel, rel)
        except yamlio.YamlError as exc:
            problems.append(Diagnostic(rel, "config_error", exc.message, line=exc.line, severity="warning"))
            continue
        doc = docs[0] if docs else None
        if isinstance(doc, dict):
            _merge(merged, doc, (), rel, origins)
    containers: dict[int, tuple[str, ...]] = {}
    _index(merged, (), containers)
    return merged, containers, origins, problems


def _merge(into: dict[str, Any], doc: dict[str, Any], path: tuple[str, ...], rel: str, origins: dict[tuple[str, ...], str]) -> None:
    for k, v in doc.items():
        key = str(k)
        line = doc.line_of(k) if isinstance(doc, yamlio.LineDict) else 0
        if isinstance(v, dict) and isinstance(into.get(key), dict):
            _merge(into[key], v, (*path, key), rel, origins)
            continue
        into[key] = _copy(v)
        for stale in [p for p in origins if p[: len(path) + 1] == (*path, key)]:
            del origins[stale]
        if line:
            origins[path + (key,)] = f"{rel}:{line}"
        if isinstance(v, dict):
            _lines(v, (*path, key), rel, origins)


def _lines(doc: dict[str, Any], path: tuple[str, ...], rel: str, origins: dict[tuple[str, ...], str]) -> None:
    for k, v in doc.items():
        line = doc.line_of(k) if isinstance(doc, yamlio.LineDict) else 0
        if line:
            origins[path + (str(k),)] = f"{rel}:{line}"
        if isinstance(v, dict):
            _lines(v, (*path, str(k)), rel, origins)


def _copy(v: Any) -> Any:
    """A values node as Helm holds it: plain maps and lists, every number a float64."""
    if isinstance(v, dict):
        return {str(k): _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


def _index(v: Any, path: tuple[str, ...], containers: dict[int, tuple[str, ...]]) -> None:
    if isinstance(v, dict):
        containers[id(v)] = path
        for k, x in v.items():
            _index(x, (*path, k), containers)


def _chart_meta(root: Path, chart: Chart) -> dict[str, Any]:
    """``.Chart``: Chart.yaml's keys with Helm's capitalised names (``name`` → ``Name``, ``appVersion`` → ``AppVersion``)."""
    try:
        docs = yamlio.load_file(root / chart.path("Chart.yaml"), chart.path("Chart.yaml"))
    except yamlio.YamlError:
        docs = []
    raw = docs[0] if docs and isinstance(docs[0], dict) else {}
    out = {("APIVersion" if k == "apiVersion" else str(k)[:1].upper() + str(k)[1:]): v for k, v in raw.items()}
    out.setdefault("Name", chart.name)
    return out


def render_charts(root: Path, files: Iterable[str]) -> tuple[list[Rendered], list[Diagnostic], set[str]]:
    """Every chart of the repository rendered: the documents, the diagnostics (a template that
    cannot be rendered, at its line), and the charts' template files (which the plain readers skip)."""
    files = list(files)
    charts, problems = find_charts(files)
    charts = named_values(root, charts, files)
    out: list[Rendered] = []
    templated: set[str] = set()
    for chart in charts:
        templated.update(chart.templates)
        docs, found = render_chart(root, chart)
        out += docs
        problems += found
    return out, problems, templated


def render_chart(root: Path, chart: Chart) -> tuple[list[Rendered], list[Diagnostic]]:
    values, containers, origins, problems = _values(root, chart)
    meta = _chart_meta(root, chart)
    name = str(meta.get("Name") or chart.name)
    defines: dict[str, list[gotemplate.Node]] = {}
    parsed: list[tuple[str, list[gotemplate.Node]]] = []
    for rel in sorted(chart.templates, key=lambda r: (not r.rsplit("/", 1)[-1].startswith("_"), r)):  # partials' defines first
        if not rel.endswith((".yaml", ".yml", ".tpl")):
            continue
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace") if (root / rel).stat().st_size <= yamlio.MAX_YAML_BYTES else None
        except OSError:
            continue
        if text is None:
            problems.append(Diagnostic(rel, "config_error", "Helm template too large to render", severity="warning"))
            continue
        try:
            nodes = gotemplate.parse(text, defines)
        except gotemplate.TemplateError as exc:
            problems.append(_problem(rel, exc))
            continue
        except _BROKEN as exc:  # nesting past Python's stack, a value of a type no function expects: a diagnostic, never a crash
            problems.append(_problem(rel, gotemplate.Unsupported(f"{type(exc).__name__}: {exc}"[:200])))
            continue
        if not rel.rsplit("/", 1)[-1].startswith("_") and not rel.endswith(".tpl"):
            parsed.append((rel, nodes))
    renderer = gotemplate.Renderer(defines, containers, origins)
    out: list[Rendered] = []
    for rel, nodes in parsed:
        context = {
            "Values": values,
            "Release": {"Name": name, "Namespace": "default", "Service": "Helm", "IsInstall": True, "IsUpgrade": False, "Revision": 1},
            "Chart": meta,
            "Template": {"Name": f"{name}/{chart.short(rel)}", "BasePath": f"{name}/templates"},
            "Capabilities": gotemplate.opaque("Capabilities"),
            "Files": gotemplate.opaque("Files"),
            "Subcharts": gotemplate.opaque("Subcharts"),
        }
        try:
            output = renderer.render(nodes, context)
        except gotemplate.TemplateError as exc:
            problems.append(_problem(rel, exc))
            continue
        except _BROKEN as exc:
            problems.append(_problem(rel, gotemplate.Unsupported(f"{type(exc).__name__}: {exc}"[:200])))
            continue
        text = output.text()
        try:
            docs = yamlio.load_text(text, rel)
        except yamlio.YamlError as exc:
            mapped = output.lines()
            at = mapped[exc.line - 1][0] if 0 < exc.line <= len(mapped) else 0
            problems.append(Diagnostic(rel, "config_error", f"Helm template rendered, but not YAML: {exc.message}", line=at, severity="warning"))
            continue
        lines = tuple(output.lines())
        for doc in docs:
            if isinstance(doc, yamlio.LineDict):
                labelled = _HelmDoc(doc)
                labelled.line, labelled.key_lines, labelled.value_lines = doc.line, doc.key_lines, doc.value_lines
                labelled.packaging, labelled.chart = PACKAGING, chart.name
                out.append(Rendered(chart, rel, labelled, lines))
    return out, problems


_BROKEN = (RecursionError, TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError)
"""Python errors a template the evaluator was not written for may raise while it is read or rendered."""


def _problem(rel: str, exc: gotemplate.TemplateError) -> Diagnostic:
    what = "Helm template not rendered, unsupported" if isinstance(exc, gotemplate.Unsupported) else "Helm template not rendered"
    return Diagnostic(rel, "config_error", f"{what}: {exc.message}", line=exc.line, severity="info" if isinstance(exc, gotemplate.Unsupported) else "warning")


def mesh_policies(rendered: Iterable[Rendered]) -> list[MeshPolicy]:
    """The mesh policies of the rendered documents, each line the template's, with the values lines
    its timeout and retries were printed from (``rendered_from``) and the packaging label."""
    out: list[MeshPolicy] = []
    for r in rendered:
        group = str(r.doc.get("apiVersion") or "").split("/", 1)[0]
        read = READERS.get((group, str(r.doc.get("kind"))))
        if read is None:
            continue
        for p in read(r.file, r.doc):
            values = [v for n in (p.timeout_line, p.attempts_line, p.breaker_line) for v in r.values_at(n)]
            where = r.where() + (f", {', '.join(dict.fromkeys(values))}" if values else "")
            out.append(
                replace(
                    p,
                    line=r.line(p.line),
                    timeout_line=r.line(p.timeout_line),
                    attempts_line=r.line(p.attempts_line),
                    breaker_line=r.line(p.breaker_line),
                    packaging=PACKAGING,
                    rendered_from=where,
                )
            )
    return out


def add_mesh(existing: list[MeshPolicy], rendered: list[MeshPolicy]) -> list[MeshPolicy]:
    """The rendered policies to add: one whose resource (kind, name, host, match) a plain manifest
    already declares counts once, from the plain manifest."""
    plain = {(p.resource, p.name, p.host, p.match) for p in existing if p.packaging is None}
    return [p for p in rendered if (p.resource, p.name, p.host, p.match) not in plain]
