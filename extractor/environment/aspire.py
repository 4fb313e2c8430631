""".NET Aspire app hosts: the resource names projects are added under, their references, and the
YARP resources (``AddYarp("bff")``) with the routes their ``WithConfiguration`` declares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .. import safeio
from ..discover import ASPIRE_YARP, owner_of
from .book import AddressBook
from .routes import Route
from .yarp import DEFAULT_ACTIVITY_TIMEOUT_MS
from .yarp import PROXY as YARP

ASPIRE_PROJECT = re.compile(r"AddProject<\s*Projects\.([A-Za-z0-9_]+)\s*>\s*\(\s*\"([^\"]+)\"")


def read_aspire(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> list[Route]:
    """.NET Aspire app hosts: ``builder.AddProject<Projects.Risk_Api>("risk")`` names the service
    of ``Risk.Api.csproj`` ``risk`` (its address in the other projects: ``http://risk``), and
    ``.WithReference(risk)`` gives the referencing project ``services:risk:http:0``, and
    ``.WithEnvironment("IdentityUrl", identity.GetEndpoint("http"))`` (or a variable holding such an
    endpoint) gives it ``IdentityUrl=http://identity``. Returns the
    routes of the app hosts' YARP resources (``yarp_routes``), each owned by the resource's name."""
    routes: list[Route] = []
    files = list(other_files)
    projects = {p.rsplit("/", 1)[-1][: -len(".csproj")].replace(".", "_").replace("-", "_"): p for p in files if p.endswith(".csproj")}
    for rel in projects.values():
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            continue
        if "Aspire.AppHost" not in text and "IsAspireHost" not in text:
            continue
        folder = root / rel.rsplit("/", 1)[0] if "/" in rel else root
        try:
            sources = sorted(p for p in folder.glob("*.cs") if safeio.is_file_inside(root, p))
        except OSError:
            continue
        codes: dict[str, str] = {}
        for src in sources:
            try:
                codes[src.relative_to(root).as_posix()] = safeio.read_text(src)
            except OSError:
                continue
        resources: dict[str, str] = {}  # variable → resource name, over the app host's files
        for code in codes.values():
            for added in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_][A-Za-z0-9_.]*\.Add[A-Za-z]*(?:<[^>]*>)?\(\s*\"([^\"]+)\"", code):
                resources.setdefault(added.group(1), added.group(2))
        for rel_src, code in sorted(codes.items()):
            routes += yarp_routes(book, rel_src, code, resources, codes)
        endpoints = {  # variable → resource name: identityEndpoint = identityApi.GetEndpoint("http")
            m.group(1): resources[m.group(2)]
            for code in codes.values()
            for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*GetEndpoint\s*\(", code)
            if m.group(2) in resources
        }
        for rel_src, code in sorted(codes.items()):
            src = root / rel_src
            names: dict[str, str] = {}  # variable → resource name
            services: dict[str, str] = {}  # resource name → service
            for stmt in code.split(";"):
                m = ASPIRE_PROJECT.search(stmt)
                if m is None:
                    continue
                proj = projects.get(m.group(1))
                owner = owner_of(proj, roots) if proj is not None else None
                service = by_root.get(owner) if owner is not None else None
                if service is None:
                    continue
                book.add_alias(m.group(2), service)
                services[m.group(2)] = service
                var = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*=[^=>][^;]*?AddProject<", stmt)
                if var is not None:
                    names[var.group(1)] = m.group(2)
                for key, ref, call in re.findall(
                    r"WithEnvironment\(\s*\"([^\"]+)\"\s*,\s*([A-Za-z_][A-Za-z0-9_]*)(\s*\.\s*GetEndpoint\s*\([^)]*\))?\s*\)", stmt
                ):
                    target = resources.get(ref) if call else endpoints.get(ref)  # an endpoint of a resource: its address
                    if target is not None:
                        book.env_by_service.setdefault(service, {}).setdefault(key, f"http://{target}")
                        book.env_sources.setdefault((service, key), src.relative_to(root).as_posix())
                for ref in re.findall(r"WithReference\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", stmt):
                    target = names.get(ref)
                    if target is None:
                        continue
                    for key in (f"services:{target}:http:0", f"services:{target}:https:0"):
                        book.env_by_service.setdefault(service, {}).setdefault(key, f"{key.split(':')[2]}://{target}")
                        book.env_sources.setdefault((service, key), src.relative_to(root).as_posix())
    return routes


def _close(text: str, i: int) -> int:
    """The index of the bracket closing the one at ``i`` (strings skipped); len(text) when none does."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth: list[str] = []
    j = i
    while j < len(text):
        c = text[j]
        if c == '"':
            j = text.find('"', j + 1)
            if j < 0:
                return len(text)
        elif c in pairs:
            depth.append(pairs[c])
        elif depth and c == depth[-1]:
            depth.pop()
            if not depth:
                return j
        j += 1
    return len(text)


def _statement_end(code: str, at: int) -> int:
    """The offset of the ``;`` ending the statement at ``at`` (brackets skipped)."""
    j = at
    while j < len(code):
        if code[j] in "({[":
            j = _close(code, j)
        elif code[j] == ";":
            return j
        j += 1
    return len(code)


def _split_args(text: str) -> list[str]:
    """Arguments of a call (its text between the parentheses) split at top-level commas."""
    out: list[str] = []
    depth = 0
    start = 0
    for j, c in enumerate(text):
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:j].strip())
            start = j + 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


_CHAIN_CALL = re.compile(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:<[^>()]*>)?\s*\(")


def _chain(text: str, at: int) -> list[tuple[str, str, int]]:
    """The calls chained from offset ``at`` (``.WithConfiguration(...).Other(...)``): (method, argument text, its offset)."""
    out: list[tuple[str, str, int]] = []
    while True:
        m = _CHAIN_CALL.match(text, at)
        if m is None:
            return out
        end = _close(text, m.end() - 1)
        out.append((m.group(1), text[m.end() : end], m.end()))
        at = end + 1


def yarp_routes(book: AddressBook, rel: str, code: str, resources: dict[str, str], codes: dict[str, str]) -> list[Route]:
    """The routes of each ``AddYarp("name")`` resource of one app host file: ``WithConfiguration(yarp =>
    { var c = yarp.AddCluster(catalogApi); yarp.AddRoute("/api/catalog/{*any}", c); })`` chained on it
    (or on its variable), or inside an extension method of the app host called on it
    (``.ConfigureBffRoutes(catalogApi, ...)``, its parameters bound to the arguments). A route goes to
    the resource the cluster (or ``resource.GetEndpoint("http")``) names, ``http://NAME``; YARP's
    defaults apply (100 s ``ActivityTimeout``, no retry). The resource's name is its address."""
    out: list[Route] = []
    for m in ASPIRE_YARP.finditer(code):
        name = m.group(1)
        book.add_alias(name, name)
        calls = _chain(code, _close(code, code.index("(", m.start())) + 1)
        var = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_][A-Za-z0-9_.]*\s*$", code[: m.start()])
        if var is not None:  # var bff = builder.AddYarp("bff"); bff.WithConfiguration(...);
            for later in re.finditer(r"\b" + re.escape(var.group(1)) + r"(?=\s*\.)", code[m.end() :]):
                calls += _chain(code, m.end() + later.end())
        for method, args, at in calls:
            if method == "WithConfiguration":
                out += _configured(name, rel, code, at, args, resources)
                continue
            found = _extension(method, codes)
            if found is None:
                continue
            ext_rel, ext_code, params, body_at = found
            bound = dict(resources)
            for param, arg in zip(params, _split_args(args)):
                if arg in resources:
                    bound[param] = resources[arg]
            for _method, inner_args, inner_at in _calls_named(ext_code, body_at, "WithConfiguration"):
                out += _configured(name, ext_rel, ext_code, inner_at, inner_args, bound)
    return out


def _extension(method: str, codes: dict[str, str]) -> tuple[str, str, list[str], int] | None:
    """An extension method of the app host named ``method`` on a resource builder: (its file, the
    file's text, the names of its parameters after ``this``, the offset of its body)."""
    pattern = re.compile(r"\bstatic\s+[^;{}()=]*?\b" + re.escape(method) + r"\s*\(\s*this\b")
    for rel, code in sorted(codes.items()):
        m = pattern.search(code)
        if m is None:
            continue
        open_at = code.index("(", m.start() + m.group(0).rfind(method) + len(method))
        close_at = _close(code, open_at)
        params = _split_args(code[open_at + 1 : close_at])[1:]
        names = [p.split()[-1] for p in params if p.split()]
        body = code.find("{", close_at)
        arrow = code.find("=>", close_at)
        start = min(x for x in (body, arrow) if x >= 0) if body >= 0 or arrow >= 0 else close_at
        return rel, code, names, start
    return None


def _calls_named(code: str, at: int, method: str) -> list[tuple[str, str, int]]:
    """``.method(...)`` calls in the statement or body that starts at ``at``: (method, argument text, offset)."""
    end = _close(code, at) if code[at : at + 1] == "{" else _statement_end(code, at)
    out: list[tuple[str, str, int]] = []
    for m in re.finditer(r"\.\s*" + re.escape(method) + r"\s*\(", code[at:end]):
        open_at = at + m.end() - 1
        out.append((method, code[open_at + 1 : _close(code, open_at)], open_at + 1))
    return out


def _configured(name: str, rel: str, code: str, at: int, body: str, resources: dict[str, str]) -> list[Route]:
    """The routes one ``WithConfiguration`` lambda declares (``body`` starts at offset ``at`` of ``code``)."""
    clusters: dict[str, str] = {}
    for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_][A-Za-z0-9_]*\.AddCluster\(([^;]*?)\)\s*;", body):
        target = _resource(m.group(2), resources, clusters)
        if target is not None:
            clusters[m.group(1)] = target
    out: list[Route] = []
    for m in re.finditer(r"\.\s*AddRoute\s*\(", body):
        args = _split_args(body[m.end() : _close(body, m.end() - 1)])
        path = args[0][1:-1] if len(args) == 2 and args[0].startswith('"') and args[0].endswith('"') else None
        target = _resource(args[-1], resources, clusters) if args else None
        if target is None or (len(args) == 2 and path is None):
            continue
        line = code.count("\n", 0, at + m.start()) + 1
        upstream = args[-1] if args[-1] in clusters else target
        out.append(
            Route(
                YARP,
                rel,
                line,
                None,
                path or "/{**catch-all}",
                f"http://{target}",
                DEFAULT_ACTIVITY_TIMEOUT_MS,
                "library_default",
                upstream=upstream,
                timeout_expr="YARP default ActivityTimeout 100s",
                service=name,
            )
        )
    return out


def _resource(expr: str, resources: dict[str, str], clusters: dict[str, str]) -> str | None:
    """The resource name a cluster or route target expression names: a cluster variable, a resource
    variable, ``resource.GetEndpoint("http")``."""
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\.\s*GetEndpoint\s*\([^)]*\)\s*)?$", expr)
    if m is None:
        return None
    return clusters.get(m.group(1)) or resources.get(m.group(1))
