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


# -- an id made again in a catch: the first attempt's id --------------------------------------------

_JS_FUNCTIONS = ("function_declaration", "function_expression", "arrow_function", "method_definition", "generator_function_declaration")


def _js_path_to(node: Any, variable: str) -> list[str] | None:
    """The object keys leading from ``node`` to the identifier ``variable`` (``[]``: it is the name)."""
    if node.type == "identifier" and _text(node) == variable:
        return []
    if node.type == "object":
        for pair in node.named_children:
            if pair.type == "shorthand_property_identifier" and _text(pair) == variable:
                return [variable]
            if pair.type == "pair" and pair.child_by_field_name("value") is not None:
                sub = _js_path_to(pair.child_by_field_name("value"), variable)
                if sub is not None:
                    return [_text(pair.child_by_field_name("key")).strip("\"'"), *sub]
    return None


def _js_follow(node: Any, path: list[str]) -> Any:
    for key in path:
        if node is None or node.type != "object":
            return None
        nxt = None
        for pair in node.named_children:
            if pair.type == "pair" and _text(pair.child_by_field_name("key")).strip("\"'") == key:
                nxt = pair.child_by_field_name("value")
            elif pair.type == "shorthand_property_identifier" and _text(pair) == key:
                nxt = pair
        node = nxt
    return node


def _js_calls(node: Any) -> list[Any]:
    return [n for n in _walk(node) if n.type == "call_expression"]


def _js_declared(node: Any) -> set[str]:
    """Names declared or assigned under ``node`` (declarators, assignments, parameters)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "variable_declarator" and n.child_by_field_name("name") is not None:
            out.add(_text(n.child_by_field_name("name")))
        elif n.type in ("assignment_expression", "augmented_assignment_expression") and n.child_by_field_name("left") is not None:
            out.add(_text(n.child_by_field_name("left")))
        elif n.type in ("required_parameter", "optional_parameter") and n.child_by_field_name("pattern") is not None:
            out.add(_text(n.child_by_field_name("pattern")))
        elif n.type == "formal_parameters":
            out.update(_text(c) for c in n.named_children if c.type == "identifier")
        stack.extend(n.children)
    return out


def reuse_first_id(source_text: str, path: str, language: str, line: int, variable: str, policy: tuple[int, int]) -> str:
    """JavaScript/TypeScript: a ``catch`` that calls again with an id made in it sends the first attempt's id
    instead: the declarator's value becomes the name the try's call of the same function passes at that
    place (argument, then object keys), when that name is declared before the try and not assigned in it."""
    if language != "javascript":
        raise Unsafe(f"no {language} edit for this fix yet: apply it by hand")
    source = source_text.encode("utf-8")
    tree = _tree(source, path, language)
    retry = _call_at(tree, source, *policy, ("try_statement",))
    handler = retry.child_by_field_name("handler")
    body = retry.child_by_field_name("body")
    declarator = (
        next(
            (
                n
                for n in _walk(handler)
                if n.type == "variable_declarator"
                and n.start_point[0] + 1 == line
                and n.child_by_field_name("name") is not None
                and _text(n.child_by_field_name("name")) == variable
            ),
            None,
        )
        if handler is not None
        else None
    )
    if declarator is None or declarator.child_by_field_name("value") is None or body is None:
        raise Unsafe("the new id is not declared in the retry's catch")
    first: set[str] = set()
    for again in _js_calls(handler):
        args = again.child_by_field_name("arguments")
        for index, arg in enumerate(args.named_children if args is not None else []):
            keys = _js_path_to(arg, variable)
            if keys is None:
                continue
            for call in _js_calls(body):
                if _text(call.child_by_field_name("function")) != _text(again.child_by_field_name("function")):
                    continue
                passed = call.child_by_field_name("arguments")
                values = passed.named_children if passed is not None else []
                found = _js_follow(values[index], keys) if index < len(values) else None
                if found is not None and found.type in ("identifier", "shorthand_property_identifier"):
                    first.add(_text(found))
    if len(first) != 1:
        raise Unsafe("the first attempt does not pass one named id where the catch passes the new one")
    name = first.pop()
    scope = retry.parent
    while scope is not None and scope.type not in _JS_FUNCTIONS:
        scope = scope.parent
    if name not in _js_declared_before(scope or tree.root_node, retry) or name in _js_declared(body):
        raise Unsafe(f"{name} is not declared before the try, or changes inside it")
    value = declarator.child_by_field_name("value")
    return _splice(source, value.start_byte, name, value.end_byte)


def _walk(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out


def _js_declared_before(scope: Any, retry: Any) -> set[str]:
    """Names the function (or file) holding ``retry`` declares before it: its parameters, and the
    declarations of statements that end before the try."""
    names = _js_declared(scope.child_by_field_name("parameters")) if scope.child_by_field_name("parameters") is not None else set()
    for n in _walk(scope):
        if n.type in ("lexical_declaration", "variable_declaration") and n.end_byte <= retry.start_byte and _function_of(n) == _function_of(retry):
            names |= _js_declared(n)
    return names


def _function_of(node: Any) -> Any:
    """The function holding ``node`` (None at the top level), compared by position."""
    node = node.parent
    while node is not None and node.type not in _JS_FUNCTIONS:
        node = node.parent
    return None if node is None else (node.start_byte, node.end_byte)
