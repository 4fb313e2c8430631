"""The Python fixes: libcst codemods that change one construct and keep every other token.

libcst's tree holds every space, comment and parenthesis of the source, so the file printed back is the
input byte for byte except where a fix changed it. Each codemod finds its construct at the fact's
position (1-based line and column of the fact, as the scan reports them), checks that the change is
safe, and otherwise raises ``Unsafe`` with the reason (the fix is then printed as a suggestion).
Names are compared resolved (``QualifiedNameProvider``: aliases and from-imports), never by spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import libcst as cst
from libcst import matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from .model import Unsafe, seconds_text


def _parse(source: str) -> MetadataWrapper:
    try:
        return MetadataWrapper(cst.parse_module(source))
    except cst.ParserSyntaxError as exc:
        raise Unsafe(f"libcst cannot parse the file: {exc.message} (line {exc.raw_line})") from None


def _at(wrapper: MetadataWrapper, line: int, col: int, types: tuple[type, ...]) -> cst.CSTNode:
    """The innermost node of one of ``types`` that starts at ``line``:``col`` (1-based, as facts say): of
    ``a.get(url).json()``, the ``a.get(url)`` call."""
    positions = wrapper.resolve(PositionProvider)
    found = [n for n, p in positions.items() if isinstance(n, types) and p.start.line == line and p.start.column == col - 1]
    if not found:
        raise Unsafe(f"no {'/'.join(t.__name__ for t in types)} at line {line}, column {col}: the file changed since the scan")
    return min(found, key=lambda n: len(wrapper.module.code_for_node(n)))


def _names(wrapper: MetadataWrapper, node: cst.CSTNode) -> set[str]:
    """The qualified names ``node`` resolves to (through imports and aliases)."""
    found = wrapper.resolve(QualifiedNameProvider).get(node, set())
    if callable(found):  # libcst computes the names lazily
        found = found()
    return {q.name for q in found}


class _Replace(cst.CSTTransformer):
    """Replace nodes (by identity in the original tree) with new ones."""

    def __init__(self, changes: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[Any]]) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        return self.changes.get(original_node, updated_node)


def _rewrite(wrapper: MetadataWrapper, changes: dict[Any, Any], imports: Iterable[str] = ()) -> str:
    module = wrapper.module.visit(_Replace(changes))
    if imports:
        context = CodemodContext()
        for name in imports:
            AddImportsVisitor.add_needed_import(context, name)
        module = AddImportsVisitor(context).transform_module(module)
    return module.code


# -- (a) a timeout on a call -----------------------------------------------------------------------


def _expression(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _separator(call: cst.Call) -> cst.Comma:
    """The comma put between the call's last argument and a new one, in the call's own layout."""
    args = call.args
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        comma = args[-2].comma
        after = comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):  # the comment after that comma stays where it is
            return comma.with_changes(whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
        return comma
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):  # f(\n    x,\n): the new argument on its own line
        return cst.Comma(whitespace_after=call.whitespace_before_args)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def add_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression, positional: int | None = None) -> cst.Call:
    """``call`` with ``keyword=value``: an existing ``keyword=None`` gets the value, an absent keyword is
    added after the last argument in the call's layout (a trailing comma kept). Unsafe when the call
    already sets it, passes it positionally (``positional``: its index) or may pass it in ``**kwargs``."""
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            if not m.matches(arg.value, m.Name("None")):
                raise Unsafe(f"the call already passes {keyword}=")
            args[i] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    if any(a.star == "**" for a in args):
        raise Unsafe(f"the call passes **kwargs, which may hold {keyword}")
    plain = [a for a in args if a.keyword is None and not a.star]
    if positional is not None and (len(plain) > positional or any(a.star == "*" for a in args)):
        raise Unsafe(f"the call may pass {keyword} positionally")
    new = cst.Arg(value=value, keyword=cst.Name(keyword), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if not args:
        return call.with_changes(args=[new])
    last, sep = args[-1], _separator(call)
    comma = last.comma if isinstance(last.comma, cst.Comma) else None
    if comma is not None and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace) and isinstance(sep.whitespace_after, cst.ParenthesizedWhitespace):
        # a trailing comma at a line's end: the comment after it stays on that line, the new argument gets a line of its own
        ws = comma.whitespace_after
        args[-1] = last.with_changes(
            comma=comma.with_changes(whitespace_after=ws.with_changes(indent=sep.whitespace_after.indent, last_line=sep.whitespace_after.last_line))
        )
        args.append(new.with_changes(comma=comma.with_changes(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))))
    elif isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace) and isinstance(sep.whitespace_after, cst.ParenthesizedWhitespace):
        # no trailing comma, the closing parenthesis on a line of its own: a comma (and the comment) ends the last
        # argument's line, the new argument gets a line of its own
        ws = last.whitespace_after_arg
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=ws.with_changes(indent=sep.whitespace_after.indent, last_line=sep.whitespace_after.last_line)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        args.append(new.with_changes(whitespace_after_arg=ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])))
    else:  # the space before the closing parenthesis ends up after the new argument
        args[-1] = last.with_changes(comma=sep, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def add_timeout(source: str, line: int, col: int, spec: dict[str, Any], timeout_ms: float) -> str:
    """Pass the timeout to the call at ``line``:``col`` as the rule's ``fix.timeout`` says."""
    wrapper = _parse(source)
    call = _at(wrapper, line, col, (cst.Call,))
    assert isinstance(call, cst.Call)
    value = _expression(spec["value"].format(seconds=seconds_text(timeout_ms), ms=f"{round(timeout_ms)}"))
    new = add_keyword(call, spec["keyword"], value, spec.get("arg"))
    return _rewrite(wrapper, {call: new}, spec.get("imports", ()))


# -- (d) a retry narrowed to the declared attempts -------------------------------------------------


def set_attempts(source: str, line: int, col: int, spec: dict[str, Any], attempts: int) -> str:
    """Set the count of the retry at ``line``:``col`` (a decorator, a call, or a ``for`` loop's
    iterable) to ``attempts``, through the call the rule's ``fix.attempts`` names. Only an integer
    literal is replaced: a count from a constant or a setting is a suggestion (others may use it)."""
    wrapper = _parse(source)
    node = _at(wrapper, line, col, (cst.Decorator, cst.Call, cst.For))
    where: cst.CSTNode = node.iter if isinstance(node, cst.For) else node
    names = set(spec["call"])
    calls = [c for c in _calls_in(where) if _names(wrapper, c.func) & names]
    if len(calls) != 1:
        raise Unsafe(f"{'no' if not calls else 'more than one'} call of {', '.join(sorted(names))} in the retry")
    call = calls[0]
    if "arity" in spec and len(call.args) != spec["arity"]:
        raise Unsafe(f"the call has {len(call.args)} arguments where the fix expects {spec['arity']}")
    count = attempts - 1 if spec.get("counts") == "retries" else attempts
    index, arg = _argument(call, spec.get("arg"), spec.get("keyword"))
    if arg is None:
        raise Unsafe("the retry's count is not written in the call (a library default)")
    if not isinstance(arg.value, cst.Integer):
        raise Unsafe(f"the count is {wrapper.module.code_for_node(arg.value)!r}, not a number written here; change it where it is defined")
    args = list(call.args)
    args[index] = arg.with_changes(value=cst.Integer(str(count)))
    return _rewrite(wrapper, {call: call.with_changes(args=args)})


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            found.append(n)

    node.visit(Collect())
    return found


def _argument(call: cst.Call, position: int | None, keyword: str | None) -> tuple[int, cst.Arg | None]:
    for i, a in enumerate(call.args):
        if keyword is not None and a.keyword is not None and a.keyword.value == keyword:
            return i, a
    plain = [i for i, a in enumerate(call.args) if a.keyword is None and not a.star]
    if position is not None and position < len(plain):
        return plain[position], call.args[plain[position]]
    return -1, None


# -- (b) an id generated once, before the retry ----------------------------------------------------


def _bound_names(node: cst.CSTNode, assignments: bool = True) -> set[str]:
    """Names bound anywhere under ``node``: loop targets, ``+=``, annotated assignments, ``as`` names,
    ``:=``, functions, classes, imports, and (with ``assignments``) plain ``=`` targets."""
    found: set[str] = set()

    def targets(t: cst.CSTNode) -> None:
        found.update(n.value for n in m.findall(t, m.Name()))  # type: ignore[attr-defined]

    class Collect(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, cst.AssignTarget) and assignments:
                targets(n.target)
            elif isinstance(n, (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
                targets(n.target)
            elif isinstance(n, cst.AsName):
                targets(n.name)
            elif isinstance(n, (cst.FunctionDef, cst.ClassDef)):
                found.add(n.name.value)
            elif isinstance(n, cst.ImportAlias) and n.asname is None:
                found.add(n.evaluated_name.split(".")[0])
            return True

    node.visit(Collect())
    return found


def _used_names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in m.findall(node, m.Name())}  # type: ignore[attr-defined]


def _assignment(wrapper: MetadataWrapper, line: int, variable: str) -> cst.SimpleStatementLine:
    """The statement line ``variable = <generator>`` on ``line``."""
    positions = wrapper.resolve(PositionProvider)
    for node, pos in positions.items():
        if isinstance(node, cst.SimpleStatementLine) and pos.start.line <= line <= pos.end.line:
            body = node.body
            if len(body) == 1 and m.matches(body[0], m.Assign(targets=[m.AssignTarget(target=m.Name(variable))])):
                return node
    raise Unsafe(f"no single assignment of {variable} on line {line} (a statement of its own)")


def _parents(wrapper: MetadataWrapper) -> dict[cst.CSTNode, cst.CSTNode]:
    parents: dict[cst.CSTNode, cst.CSTNode] = {}

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            for child in node.children:
                parents[child] = node
            return True

    wrapper.module.visit(Collect())
    return parents


def hoist_id(source: str, line: int, variable: str, policy_line: int, policy_col: int) -> str:
    """Generate the id assigned on ``line`` once, before the retry at ``policy_line``:``policy_col``:

    - a retry loop (``for``/``while``): the assignment moves to just before the loop;
    - a retry decorator on the function holding the assignment: the function is split in two, the
      original name keeps its signature and makes the id, then calls the decorated attempt function
      (``_<name>_attempt``) with it, so every retry reuses the one id.

    The assignment's comments move with it. Unsafe when the value reads a name bound inside the retry,
    the variable is assigned again there, or the function has other decorators."""
    wrapper = _parse(source)
    statement = _assignment(wrapper, line, variable)
    retry = _at(wrapper, policy_line, policy_col, (cst.For, cst.While, cst.Try, cst.Call, cst.Name, cst.Attribute))
    parents = _parents(wrapper)
    while isinstance(retry, cst.BaseExpression) and retry in parents:  # a decorator's fact is at its expression, after the @
        retry = parents[retry]
    value = statement.body[0].value  # type: ignore[attr-defined]
    if isinstance(retry, cst.Try):
        return _reuse_first_id(wrapper, statement, variable, retry, parents)
    if isinstance(retry, (cst.For, cst.While)):
        return _hoist_from_loop(wrapper, statement, value, variable, retry, parents)
    function = parents.get(retry)
    if not isinstance(function, cst.FunctionDef):
        raise Unsafe(f"the retry at line {policy_line} is neither a loop nor a function's decorator")
    return _split_function(wrapper, statement, value, variable, function, parents)


def _reuse_first_id(
    wrapper: MetadataWrapper, statement: cst.SimpleStatementLine, variable: str, retry: cst.Try, parents: dict[cst.CSTNode, cst.CSTNode]
) -> str:
    """An except handler that calls again with a new id: the handler's id becomes the id the first
    attempt sent, the name the try's call of the same function passes where the handler's call passes
    the new one, when that name is bound before the try and not changed inside it."""
    node: cst.CSTNode | None = statement
    while node is not None and not isinstance(node, cst.ExceptHandler):
        node = parents.get(node)
    if node is None or parents.get(node) is not retry:
        raise Unsafe("the new id is not made in an except handler of the retry")
    first: set[str] = set()
    code = wrapper.module.code_for_node
    for again in _calls_in(node):
        for index, arg in enumerate(again.args):
            path = _path_to(arg.value, variable, code)
            if path is None:
                continue
            position = None if arg.keyword is not None else sum(1 for a in again.args[:index] if a.keyword is None and not a.star)
            for call in _calls_in(retry.body):
                if code(call.func) != code(again.func):
                    continue
                _, passed = _argument(call, position, arg.keyword.value if arg.keyword is not None else None)
                found = _follow(passed.value, path, code) if passed is not None else None
                if isinstance(found, cst.Name):
                    first.add(found.value)
    if len(first) != 1:
        raise Unsafe("the first attempt does not pass one named id where the handler passes the new one")
    name = first.pop()
    block = parents.get(retry)
    before = list(block.body)[: list(block.body).index(retry)] if isinstance(block, (cst.IndentedBlock, cst.Module)) else []
    function = parents.get(parents.get(retry))  # type: ignore[arg-type]
    params = _params(function.params) if isinstance(function, cst.FunctionDef) else set()
    if name not in _bound_names(cst.IndentedBlock(body=before)) | params or name in _bound_names(retry.body):
        raise Unsafe(f"{name} is not bound before the try, or changes inside it")
    assign = statement.body[0]
    return _rewrite(wrapper, {assign: assign.with_changes(value=cst.Name(name))})


def _path_to(expr: cst.BaseExpression, variable: str, code: Any) -> list[str] | None:
    """The dict keys leading from ``expr`` to the name ``variable`` (``[]``: it is the name), else None."""
    if m.matches(expr, m.Name(variable)):
        return []
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement):
                sub = _path_to(el.value, variable, code)
                if sub is not None:
                    return [code(el.key), *sub]
    return None


def _follow(expr: cst.BaseExpression, path: list[str], code: Any) -> cst.BaseExpression | None:
    for key in path:
        if not isinstance(expr, cst.Dict):
            return None
        element = next((el for el in expr.elements if isinstance(el, cst.DictElement) and code(el.key) == key), None)
        if element is None:
            return None
        expr = element.value
    return expr


def _hoist_from_loop(
    wrapper: MetadataWrapper,
    statement: cst.SimpleStatementLine,
    value: cst.BaseExpression,
    variable: str,
    loop: cst.CSTNode,
    parents: dict[cst.CSTNode, cst.CSTNode],
) -> str:
    node: cst.CSTNode | None = statement
    while node is not None and node is not loop:
        node = parents.get(node)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            raise Unsafe("the id is made in a function the loop defines")
    if node is None:
        raise Unsafe("the assignment is not inside the retry loop")
    bound = _bound_names(loop)
    if _used_names(value) & bound:
        raise Unsafe(f"the id's value reads {', '.join(sorted(_used_names(value) & bound))}, which the loop changes")
    if sum(1 for n in m.findall(loop, m.AssignTarget(target=m.Name(variable)))) != 1 or variable in _bound_names(loop, assignments=False):
        raise Unsafe(f"{variable} is assigned more than once in the loop")
    block = parents.get(statement)
    if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
        raise Unsafe("the assignment is the only statement of its block")
    if not isinstance(parents.get(loop), (cst.IndentedBlock, cst.Module)):
        raise Unsafe("the loop is not a statement of a block")
    hoisted = statement.with_changes(leading_lines=[*loop.leading_lines, *statement.leading_lines])  # type: ignore[attr-defined]
    return _rewrite_nested(wrapper, statement, loop, hoisted)


def _without_leading(node: Any) -> Any:
    return node.with_changes(leading_lines=[]) if hasattr(node, "leading_lines") else node


def _rewrite_nested(wrapper: MetadataWrapper, statement: cst.CSTNode, loop: cst.CSTNode, hoisted: cst.CSTNode) -> str:
    """Remove ``statement`` from inside ``loop`` and put ``hoisted`` right before the loop (which keeps
    its updated inside; its leading comments go with the hoisted statement, above it)."""

    class Apply(cst.CSTTransformer):
        def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
            if original_node is statement:
                return cst.RemoveFromParent()
            if original_node is loop:
                return cst.FlattenSentinel([hoisted, _without_leading(updated_node)])
            return updated_node

    return wrapper.module.visit(Apply()).code


def _split_function(
    wrapper: MetadataWrapper,
    statement: cst.SimpleStatementLine,
    value: cst.BaseExpression,
    variable: str,
    function: cst.FunctionDef,
    parents: dict[cst.CSTNode, cst.CSTNode],
) -> str:
    if len(function.decorators) != 1:
        raise Unsafe("the retried function has other decorators; splitting it could change what they wrap")
    body = function.body
    if not isinstance(body, cst.IndentedBlock) or statement not in body.body:
        raise Unsafe("the id is not made at the top level of the retried function's body")
    params = function.params
    own = _params(params)
    inside = _bound_names(body) - {variable}
    if _used_names(value) & (inside - own):
        raise Unsafe(f"the id's value reads {', '.join(sorted(_used_names(value) & (inside - own)))}, which the function computes")
    if sum(1 for _ in m.findall(body, m.AssignTarget(target=m.Name(variable)))) != 1 or variable in _bound_names(body, assignments=False) or variable in own:
        raise Unsafe(f"{variable} is assigned more than once in the function")
    index = list(body.body).index(statement)
    if variable in _used_names(cst.IndentedBlock(body=list(body.body)[:index])):
        raise Unsafe(f"{variable} is read before it is made")
    holder = parents.get(parents.get(function))  # type: ignore[arg-type]
    method = isinstance(holder, cst.ClassDef)
    attempt = f"_{function.name.value}_attempt"
    module_names = _bound_names(wrapper.module) if not method else _bound_names(holder)  # type: ignore[arg-type]
    if attempt in module_names:
        raise Unsafe(f"{attempt} is already defined")
    positional = [*params.posonly_params, *params.params]
    if method and not positional:
        raise Unsafe("a method without self")
    receiver = positional[0].name.value if method else ""
    args = [cst.Arg(cst.Name(p.name.value)) for p in positional[1 if method else 0 :]]
    if isinstance(params.star_arg, cst.Param):
        args.append(cst.Arg(cst.Name(params.star_arg.name.value), star="*"))
    args += [_kw(p.name.value) for p in params.kwonly_params]
    args.append(_kw(variable))
    if params.star_kwarg is not None:
        args.append(cst.Arg(cst.Name(params.star_kwarg.name.value), star="**"))
    func: cst.BaseExpression = cst.Attribute(cst.Name(receiver), cst.Name(attempt)) if method else cst.Name(attempt)
    call: cst.BaseExpression = cst.Call(func, args)
    if function.asynchronous is not None:
        call = cst.Await(call)
    docstring = list(body.body)[:1] if _is_docstring(list(body.body)[:1]) else []
    wrapper_body = [*docstring, statement, cst.SimpleStatementLine([cst.Return(call)])]
    outer = function.with_changes(decorators=[], body=body.with_changes(body=wrapper_body))
    new_params = params.with_changes(kwonly_params=[*params.kwonly_params, cst.Param(cst.Name(variable))])
    if params.star_arg is cst.MaybeSentinel.DEFAULT or params.star_arg is None:
        new_params = new_params.with_changes(star_arg=cst.ParamStar())
    rest = [s for s in body.body if s is not statement and not (docstring and s is docstring[0])]
    inner = function.with_changes(
        name=cst.Name(attempt),
        params=new_params,
        body=body.with_changes(body=rest),
        leading_lines=[cst.EmptyLine(indent=False)] * (1 if method else 2),
        lines_after_decorators=function.lines_after_decorators,
    )
    return _rewrite(wrapper, {function: cst.FlattenSentinel([outer.with_changes(decorators=[], lines_after_decorators=()), inner])})


def _kw(name: str) -> cst.Arg:
    return cst.Arg(cst.Name(name), keyword=cst.Name(name), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _params(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            names.add(extra.name.value)
    return names


def _is_docstring(statements: Sequence[cst.BaseStatement]) -> bool:
    return bool(statements) and m.matches(statements[0], m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))


# -- (c) an idempotency-key header from a stable id -----------------------------------------------

STABLE_IDS = re.compile(
    r"(?i)^(idempotency_?key|idem_?key|dedup(lication)?_?key|(request|req|transaction|tx|txn|operation|op|order|payment|charge|transfer|invoice|message|msg|event|job|task|command|cmd)_?id)$"
)
"""Names of a value that identifies one logical request (the same on every attempt): a parameter or a
variable bound before the retry with such a name is sent as the key. An entity's id (``user_id``) is not
one: every request about that entity would share the key."""

GENERATED_KEY = "idempotency_key"
"""The variable a generated key is bound to, before the retry loop, when no stable id is in scope."""


def _header_dict(call: cst.Call, keyword: str, header: str, value: cst.BaseExpression, spec: dict[str, Any]) -> cst.Call:
    """``call`` sending ``header``: merged into its literal headers dict, or a new ``keyword=`` dict
    when the rule's ``fix.headers`` names the keyword. Unsafe when the call already sends it, its
    headers are not a literal dict, or it may pass them in ``**kwargs``."""
    element = cst.DictElement(cst.SimpleString(f'"{header}"'), value)
    for i, arg in enumerate(call.args):
        if arg.keyword is None or arg.keyword.value != keyword:
            continue
        headers = arg.value
        if not isinstance(headers, cst.Dict) or any(not isinstance(e, cst.DictElement) for e in headers.elements):
            raise Unsafe(f"the call's {keyword}= is not a literal dict: add {header} to it by hand")
        keys = [e.key.evaluated_value for e in headers.elements if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)]
        if len(keys) != len(headers.elements):
            raise Unsafe(f"the call's {keyword}= has keys that are not plain strings")
        if any(isinstance(k, str) and k.lower() == header.lower() for k in keys):
            raise Unsafe(f"the call already sends {header}")
        elements = list(headers.elements)
        last = elements[-1] if elements else None
        closing = headers.rbrace.whitespace_before
        opening = headers.lbrace.whitespace_after
        if last is not None and isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(opening, cst.ParenthesizedWhitespace):
            # one element a line: the last one's comment stays on its line, the key gets a line of its own
            elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=closing.with_changes(indent=opening.indent, last_line=opening.last_line)))
            element = element.with_changes(comma=last.comma)
            headers = headers.with_changes(rbrace=headers.rbrace.with_changes(whitespace_before=closing.with_changes(first_line=cst.TrailingWhitespace())))
        elif last is not None:
            comma = last.comma if isinstance(last.comma, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            elements[-1] = last.with_changes(comma=comma)
            element = element.with_changes(comma=last.comma)
        args = list(call.args)
        args[i] = arg.with_changes(value=headers.with_changes(elements=[*elements, element]))
        return call.with_changes(args=args)
    if not spec.get("keyword"):
        raise Unsafe(f"the call passes no {keyword}= and its rule has no fix: headers block: add {header} by hand")
    return add_keyword(call, spec["keyword"], cst.Dict([element]))


def add_idempotency_key(source: str, line: int, col: int, header: str, policy_line: int, policy_col: int, spec: dict[str, Any]) -> str:
    """Send ``header`` with the call at ``line``:``col``, retried by the retry at ``policy_line``:``policy_col``,
    from a value bound before the retry: a parameter of the function (or, with a retry loop, a variable
    assigned before the loop) named like a request's id (``STABLE_IDS``), else — with a retry loop — a key
    generated once just before the loop (``idempotency_key = str(uuid.uuid4())``, ``import uuid`` added).
    Unsafe when the retry is a decorator and no parameter is such an id (a key made inside the function
    would be new on every attempt), or the name is assigned inside the retry."""
    wrapper = _parse(source)
    call = _at(wrapper, line, col, (cst.Call,))
    assert isinstance(call, cst.Call)
    parents = _parents(wrapper)
    if not policy_line:
        raise Unsafe("the retry is not in this file's code (a mesh policy or a declared one): send the key from a stable id by hand")
    retry = _at(wrapper, policy_line, policy_col, (cst.For, cst.While, cst.Call, cst.Name, cst.Attribute))
    while isinstance(retry, cst.BaseExpression) and retry in parents:  # a decorator's fact is at its expression
        retry = parents[retry]
    chain: list[cst.CSTNode] = []
    node: cst.CSTNode | None = call
    while node is not None:
        chain.append(node)
        node = parents.get(node)
    function = next((n for n in chain if isinstance(n, cst.FunctionDef)), None)
    loop = retry if isinstance(retry, (cst.For, cst.While)) and retry in chain else None
    if loop is None and not (isinstance(retry, cst.Decorator) and parents.get(retry) is function):
        raise Unsafe(f"the retry at line {policy_line} is neither a loop around the call nor its function's decorator")
    keyword = spec.get("keyword", "headers")
    scope: cst.CSTNode = loop if loop is not None else function  # type: ignore[assignment]
    changed = _bound_names(scope.body)  # type: ignore[attr-defined]
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params)] if function else []
    before: list[str] = []
    if loop is not None:
        block = parents.get(loop)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            raise Unsafe("the retry loop is not a statement of a block")
        statements = list(block.body)
        before = sorted(_bound_names(cst.IndentedBlock(body=statements[: statements.index(loop)]), assignments=True))
    stable = [n for n in [*params, *before] if STABLE_IDS.match(n) and n not in changed]
    if stable:
        value: cst.BaseExpression = cst.parse_expression(stable[0] if stable[0] in before else f"str({stable[0]})")
        return _rewrite(wrapper, {call: _header_dict(call, keyword, header, value, spec)})
    if loop is None:
        raise Unsafe(f"no stable id is in scope of the retried function: make {header} before the first call and pass it in")
    if GENERATED_KEY in _used_names(function if function is not None else wrapper.module):
        raise Unsafe(f"{GENERATED_KEY} is already a name here")
    new_call = _header_dict(call, keyword, header, cst.Name(GENERATED_KEY), spec)
    made = cst.parse_statement(f"{GENERATED_KEY} = str(uuid.uuid4())\n").with_changes(leading_lines=loop.leading_lines)

    class Apply(cst.CSTTransformer):
        def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
            if original_node is call:
                return new_call
            if original_node is loop:
                return cst.FlattenSentinel([made, _without_leading(updated_node)])
            return updated_node

    module = wrapper.module.visit(Apply())
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, "uuid")
    return AddImportsVisitor(context).transform_module(module).code
