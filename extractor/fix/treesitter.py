"""Fixes in languages other than Python: one byte-range edit located in the tree-sitter tree.

The file is parsed with the grammar the scan uses; the construct is the node at the fact's position
(1-based line and column), and the edit inserts text between two of its tokens, so every other byte
of the file stays as it is. Where the tree does not show that an edit is safe, ``Unsafe`` says why.

- JavaScript / TypeScript ``fetch(url[, options])`` (the rule's ``fix.timeout``: ``keyword`` is the
  option's key, ``arg`` the options' position): ``{ signal: AbortSignal.timeout(ms) }`` is passed, or
  the key added to an options object literal without a ``signal`` and without a spread (a spread could
  set it again).
- Go, net/http: ``http.Get(url)`` and the other functions of the default client, which has no timeout,
  go through a client with one, ``(&http.Client{Timeout: ...}).Get(url)`` (the rule's
  ``default_client``), the receiver being the file's import name of ``net/http``; a call through a
  variable made with a client literal in the same function (``c := &http.Client{}``) gets the field in
  that literal (``Timeout: 0`` replaced); ``time`` imported when the file does not (in gofmt's order).
"""

from __future__ import annotations

from typing import Any

from ..frontends.treesitter import LANGUAGES, TreeSitterFrontend
from .model import Unsafe


def _tree(source: bytes, path: str, language: str) -> Any:
    spec = LANGUAGES.get(language)
    if spec is None:
        raise Unsafe(f"no tree-sitter grammar for {language}")
    return TreeSitterFrontend(spec).parse(path, source)


def _line_start(source: bytes, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = source.index(b"\n", offset) + 1
    return offset


def _call_at(tree: Any, source: bytes, line: int, col: int, types: tuple[str, ...]) -> Any:
    """The innermost call node starting at ``line``:``col`` (1-based; the column counted in characters)."""
    start = _line_start(source, line)
    byte = start + len(source[start:].decode("utf-8", "replace")[: col - 1].encode("utf-8"))
    node = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and not (node.type in types and node.start_byte == byte):
        node = node.parent
    if node is None:
        raise Unsafe(f"no call at line {line}, column {col}: the file changed since the scan")
    return node


def _splice(source: bytes, at: int, text: str, end: int | None = None) -> str:
    return (source[:at] + text.encode("utf-8") + source[at if end is None else end :]).decode("utf-8")


def _text(node: Any) -> str:
    return str(node.text.decode("utf-8"))


def add_timeout(source_text: str, path: str, language: str, line: int, col: int, spec: dict[str, Any], timeout_ms: float) -> str:
    source = source_text.encode("utf-8")
    tree = _tree(source, path, language)
    if language == "javascript":
        return _fetch_signal(source, tree, line, col, spec, timeout_ms)
    if language == "go":
        return _go_timeout(source, tree, line, col, spec, timeout_ms)
    raise Unsafe(f"no {language} edit for a timeout yet: apply it by hand")


def _fetch_signal(source: bytes, tree: Any, line: int, col: int, spec: dict[str, Any], timeout_ms: float) -> str:
    call = _call_at(tree, source, line, col, ("call_expression",))
    args = call.child_by_field_name("arguments")
    values = [c for c in (args.named_children if args is not None else []) if c.type != "comment"]
    key, position = spec["keyword"], spec.get("arg", 1)
    value = spec["value"].format(ms=f"{round(timeout_ms)}", seconds=f"{timeout_ms / 1000:g}")
    if args is None or args.type != "arguments" or len(values) < position:
        raise Unsafe("the call's arguments are not a plain list")
    if len(values) == position:
        return _splice(source, values[-1].end_byte, f", {{ {key}: {value} }}")
    options = values[position]
    if options.type != "object":
        raise Unsafe(f"the options are {_text(options)!r}, not an object written here: add {key} where they are built")
    entries = [c for c in options.named_children if c.type != "comment"]
    if any(c.type == "spread_element" for c in entries):
        raise Unsafe(f"the options spread another object, which may set {key}")
    keys = {_text(c.child_by_field_name("key")).strip("\"'") for c in entries if c.type == "pair"} | {
        _text(c) for c in entries if c.type == "shorthand_property_identifier"
    }
    if key in keys:
        raise Unsafe(f"the options already pass {key} (a signal without a timer): combine it with AbortSignal.any by hand")
    if not entries:
        return _splice(source, options.start_byte, f"{{ {key}: {value} }}", options.end_byte)
    first = entries[0]
    gap = source[options.start_byte + 1 : first.start_byte].decode("utf-8")
    return _splice(source, first.start_byte, f"{key}: {value},{gap if gap.strip() == '' and gap else ' '}")


def _go_imports(tree: Any) -> dict[str, str]:
    """Import path → the name the file uses for it (its alias, else the path's last element)."""
    out: dict[str, str] = {}
    for decl in tree.root_node.children:
        if decl.type != "import_declaration":
            continue
        specs = [c for c in decl.named_children if c.type == "import_spec"]
        for group in (c for c in decl.named_children if c.type == "import_spec_list"):
            specs += [c for c in group.named_children if c.type == "import_spec"]
        for s in specs:
            path = _text(s.child_by_field_name("path")).strip('"`')
            alias = s.child_by_field_name("name")
            out[path] = _text(alias) if alias is not None else path.rsplit("/", 1)[-1]
    return out


def _go_import_edit(source: bytes, tree: Any, path: str) -> tuple[int, str] | None:
    """Where to insert ``path`` into the imports, and the text: in the first group of a parenthesised
    import list, before the first path that sorts after it (gofmt's order); None when there is none."""
    for decl in tree.root_node.children:
        if decl.type != "import_declaration":
            continue
        group = next((c for c in decl.named_children if c.type == "import_spec_list"), None)
        if group is None:
            return None
        specs = [c for c in group.named_children if c.type == "import_spec"]
        first_group: list[Any] = []
        for s in specs:
            if first_group and s.start_point[0] > first_group[-1].end_point[0] + 1:
                break
            first_group.append(s)
        for s in first_group:
            if _text(s.child_by_field_name("path")).strip('"`') > path:
                line = _line_start(source, s.start_point[0] + 1)
                return line, source[line : s.start_byte].decode("utf-8") + f'"{path}"\n'
        if first_group:
            last = first_group[-1]
            line = _line_start(source, last.start_point[0] + 1)
            return last.end_byte, "\n" + source[line : last.start_byte].decode("utf-8") + f'"{path}"'
    return None


def _go_client_literal(tree: Any, call: Any, name: str, pkg: str, type_name: str) -> Any:
    """The composite literal ``pkg.Type{...}`` (or ``&pkg.Type{...}``) that the variable ``name`` is declared
    with, in the function holding ``call`` (else at the file's top level), before the call; None when the
    variable is assigned anywhere else in that scope, or declared otherwise (``var c http.Client``)."""
    scope = call.parent
    while scope is not None and scope.type not in ("function_declaration", "method_declaration", "func_literal"):
        scope = scope.parent
    for where in (scope, tree.root_node) if scope is not None else (tree.root_node,):
        found: list[Any] = []
        stack = [where]
        while stack:
            node = stack.pop()
            if node.type in ("short_var_declaration", "assignment_statement"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                names = [_text(c) for c in left.named_children] if left is not None else []
                values = right.named_children if right is not None else []
                found += [(node, values[i] if i < len(values) and len(values) == len(names) else None) for i, n in enumerate(names) if n == name]
            elif node.type == "var_spec":
                names = [_text(c) for c in node.children_by_field_name("name")]
                value = node.child_by_field_name("value")
                values = value.named_children if value is not None else []
                found += [(node, values[i] if i < len(values) and len(values) == len(names) else None) for i, n in enumerate(names) if n == name]
            elif node.type in ("function_declaration", "method_declaration") and where is tree.root_node:
                continue  # another function's locals
            stack.extend(node.children)
        if not found:
            continue
        if len(found) != 1 or found[0][0].start_byte > call.start_byte or found[0][1] is None:
            return None
        value = found[0][1]
        if value.type == "unary_expression" and value.child_by_field_name("operator") is not None and _text(value.child_by_field_name("operator")) == "&":
            value = value.child_by_field_name("operand")
        kind = value.child_by_field_name("type") if value.type == "composite_literal" else None
        if kind is None or _text(kind).replace(" ", "") != f"{pkg}.{type_name}":
            return None
        return value
    return None


def _go_literal_field(source: bytes, literal: Any, field: str, value: str) -> tuple[int, int, str]:
    """The edit that sets ``field: value`` in a keyed composite literal (a zero value replaced)."""
    body = literal.child_by_field_name("body")
    elements = [c for c in body.named_children if c.type != "comment"]
    if any(c.type != "keyed_element" for c in elements):
        raise Unsafe("the client literal lists its fields without keys")
    for element in elements:
        key, current = element.child_by_field_name("key"), element.child_by_field_name("value")
        if key is not None and _text(key) == field:
            if current is None or _text(current) not in ("0", "time.Duration(0)"):
                raise Unsafe(f"the client already sets {field} to {_text(current) if current is not None else '?'}")
            return current.start_byte, current.end_byte, value
    if not elements:
        return body.start_byte, body.end_byte, f"{{{field}: {value}}}"
    first = elements[0]
    gap = source[body.start_byte + 1 : first.start_byte].decode("utf-8")
    return first.start_byte, first.start_byte, f"{field}: {value},{gap if gap and not gap.strip() else ' '}"


def _go_timeout(source: bytes, tree: Any, line: int, col: int, spec: dict[str, Any], timeout_ms: float) -> str:
    """A net/http call without a timeout: through the default client (``http.Get``), the call goes through
    a client with one (``default_client.callee``); through a variable declared in the function (or the
    file) with a client literal, the literal gets the field (``keyword``)."""
    call = _call_at(tree, source, line, col, ("call_expression",))
    func = call.child_by_field_name("function")
    operand = func.child_by_field_name("operand") if func is not None and func.type == "selector_expression" else None
    field = func.child_by_field_name("field") if operand is not None else None
    if operand is None or field is None or operand.type != "identifier":
        raise Unsafe("the call is not made on a package or a client variable")
    imports = _go_imports(tree)
    package, _, type_name = spec["client"].rpartition(".")
    pkg = imports.get(package)
    if pkg is None:
        raise Unsafe(f"the file does not import {package}")
    needed = [p for p in spec.get("imports", ()) if p not in imports]
    names = {**imports, **{p: p.rsplit("/", 1)[-1] for p in needed}}
    value = spec["value"].format(ms=f"{round(timeout_ms)}", seconds=f"{timeout_ms / 1000:g}", time=names.get("time", "time"))
    default = spec.get("default_client", {})
    if _text(operand) == pkg:
        if _text(field) not in default.get("functions", ()):
            raise Unsafe(f"{pkg}.{_text(field)} is not one of the default client's functions the rule's fix names")
        edits = [(func.start_byte, func.end_byte, default["callee"].format(pkg=pkg, method=_text(field), value=value))]
    else:
        literal = _go_client_literal(tree, call, _text(operand), pkg, type_name)
        if literal is None:
            raise Unsafe(
                f"the client {_text(operand)} is not made with a {pkg}.{type_name}{{...}} literal in this function: set its {spec['keyword']} where it is made"
            )
        edits = [_go_literal_field(source, literal, spec["keyword"], value)]
    for path in needed:
        where = _go_import_edit(source, tree, path)
        if where is None:
            raise Unsafe(f"the file does not import {path} in a parenthesised import list: add the timeout by hand")
        edits.append((where[0], where[0], where[1]))
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text.encode("utf-8") + out[end:]
    return out.decode("utf-8")
