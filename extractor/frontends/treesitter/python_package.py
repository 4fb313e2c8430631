"""Python module names and the Python prefilter: the light part of the Python adapter (no engine
import), so that compiling the Python rules of a scan that meets no Python file costs nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...prefilter import Prefilter, for_name, parse_alternatives
from ...templates import expansions, render


def module_name_for(rel_path: str) -> str:
    """Dotted module name of a file relative to its service root (``src/`` layouts stripped)."""
    parts = rel_path[:-3].split("/") if rel_path.endswith(".py") else rel_path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(p for p in parts if p)


def python_prefilter(rules: Sequence[Any], index: Any) -> Prefilter:
    """The Python prefilter of compiled rules (``extractor/prefilter.py``): a file passes when it
    imports a module a rule names (plus the name's last word), or holds a rule's explicit
    alternatives; methods of tracked types need what their constructor needs."""
    pre = Prefilter()
    names: list[str] = []
    for rule in rules:
        spec = rule.match or {}
        if rule.prefilter:
            pre.extend(parse_alternatives(rule.prefilter))
        explicit = bool(rule.prefilter)
        used: list[str] = []
        for obj in spec.get("objects", ()):
            used += list(obj.get("new") or ())
        for section in ("calls", "decorators"):
            for item in spec.get(section, ()):
                for env in expansions(item.get("each")):
                    for name in item["names"]:
                        qual = render(name, env)
                        if item.get("any_receiver"):
                            pre.add(parse_alternatives([qual + "("])[0])
                        else:
                            used.append(qual)
        for item in spec.get("scopes", ()):
            used += list(item["names"])
        for item in spec.get("mounts", ()):
            used += list(item["names"])
        for item in spec.get("classes", ()):
            used += list(item["bases"])
        used += list((spec.get("timeout") or {}).get("process_default") or ())  # socket.setdefaulttimeout: link.apply_process_defaults reads the file
        if not explicit:
            names += used
    for impl in index.impls:
        pre.extend(parse_alternatives(getattr(impl, "prefilter_words", None) or ()))
    type_prefixes = set(index.types)
    for name in names:
        if name.rpartition(".")[0] in type_prefixes:
            continue  # a method of a tracked type: reachable only through its constructor (or an import)
        pre.add(for_name(name))
    pre.finish()
    return pre
