"""OData V2 system query options, the subset a sync implementation needs: `$filter` (`eq` and
`ne` on string properties, `and`, `or`, `not`-free, parentheses), `$select`, `$expand`
(navigation paths, nested with `/`), `$orderby` (one or more properties, `asc`/`desc`),
`$top`, `$skip`, `$inlinecount=allpages`, `$format=json`.

Each has a documented limit (below) and every refusal names the option: a 400 in SAP's error
shape. Other `$` options are refused; options without a `$` (`sap-client`, `sap-language`)
are taken and ignored, as Gateway does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seatrial.simulators.domain import Invalid
from seatrial.simulators.erp.dialects.sap_s4.model import EntityType, Service

MAX_TOP = 1000            # entities per page; Gateway's own server-side paging is larger
MAX_SKIP = 1_000_000
MAX_FILTER = 2000         # characters of $filter
MAX_TERMS = 50            # comparisons in one $filter
MAX_NESTING = 10          # parentheses inside parentheses in $filter
MAX_OPTION = 2000         # characters of $select, $expand, $orderby
MAX_DEPTH = 3             # navigation steps in one $expand path
KNOWN = ("$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$inlinecount",
         "$format")

_TOKEN = re.compile(r"\s*(?:(\()|(\))|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_]*))")
Record = dict[str, Any]
Test = Callable[[Record], bool]


@dataclass(frozen=True, slots=True)
class Options:
    filter: Test | None = None
    select: tuple[str, ...] = ()
    expand: tuple[tuple[str, ...], ...] = ()
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    top: int | None = None
    skip: int = 0
    inlinecount: bool = False


def _integer(query: dict[str, str], name: str, most: int) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 10 or int(text) > most:
        raise Invalid(name, f"a whole number from 0 to {most:,}")
    return int(text)


def _names(text: str, name: str) -> list[str]:
    if len(text) > MAX_OPTION:
        raise Invalid(name, f"at most {MAX_OPTION} characters")
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise Invalid(name, "a comma-separated list of names, none empty")
    return parts


def _expand_path(service: Service, entity: EntityType, path: str) -> tuple[str, ...]:
    steps = tuple(path.split("/"))
    if len(steps) > MAX_DEPTH:
        raise Invalid("$expand", f"paths of at most {MAX_DEPTH} navigation steps")
    here = entity
    for step in steps:
        nav = here.nav(step)
        if nav is None:
            raise Invalid("$expand", f"{here.name} has no navigation property {step!r}; use "
                          f"{', '.join(n.name for n in here.navs) or 'none'}")
        here = service.by_type(nav.target)
    return steps


def _select(entity: EntityType, text: str, expand: tuple[tuple[str, ...], ...]
            ) -> tuple[str, ...]:
    names = _names(text, "$select")
    if names == ["*"]:
        return ()
    for name in names:
        head = name.split("/")[0]
        if name != "*" and entity.prop(name) is None and not (
                entity.nav(head) is not None and any(path[0] == head for path in expand)):
            raise Invalid("$select", f"{entity.name} has no property {name!r} (a navigation "
                          "property is selected only with its $expand)")
    return tuple(names)


def parse(query: dict[str, str], service: Service, entity: EntityType,
          collection: bool) -> Options:
    """The options of one request for `entity`; a single-entity read takes only `$select`,
    `$expand` and `$format`."""
    for name in query:
        if name.startswith("$") and name not in KNOWN:
            raise Invalid(name, f"a system query option Gateway knows: {', '.join(KNOWN)}")
        if not collection and name in ("$filter", "$orderby", "$top", "$skip",
                                       "$inlinecount"):
            raise Invalid(name, "only on a collection (an entity set or a to-many navigation)")
    if query.get("$format", "json") != "json":
        raise Invalid("$format", "json (this simulator writes no Atom)")
    expand = tuple(_expand_path(service, entity, path)
                   for path in _names(query["$expand"], "$expand")) if "$expand" in query else ()
    select = _select(entity, query["$select"], expand) if "$select" in query else ()
    inline = query.get("$inlinecount", "none")
    if inline not in ("allpages", "none"):
        raise Invalid("$inlinecount", "allpages or none")
    return Options(
        _filter(query["$filter"], entity) if "$filter" in query else None, select, expand,
        _orderby(query["$orderby"], entity) if "$orderby" in query else (),
        _integer(query, "$top", MAX_TOP), _integer(query, "$skip", MAX_SKIP) or 0,
        inline == "allpages")


def _orderby(text: str, entity: EntityType) -> tuple[tuple[str, bool], ...]:
    order = []
    for part in _names(text, "$orderby"):
        name, _, direction = part.partition(" ")
        direction = direction.strip() or "asc"
        if entity.prop(name) is None or direction not in ("asc", "desc"):
            raise Invalid("$orderby", f"<property> [asc|desc], properties of {entity.name}")
        order.append((name, direction == "desc"))
    return tuple(order)


def apply(records: list[Record], options: Options) -> tuple[list[Record], int]:
    """Filter, order and page `records` (wire values); (the page, how many matched)."""
    matched = [r for r in records if options.filter(r)] if options.filter else records
    for name, descending in reversed(options.orderby):
        matched = sorted(matched, key=lambda r, n=name: (r.get(n) is None, r.get(n) or ""),
                         reverse=descending)
    end = None if options.top is None else options.skip + options.top
    return matched[options.skip:end], len(matched)


# --- $filter ----------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None:
            if text[at:].strip() == "":
                break
            raise Invalid("$filter", f"cannot read {text[at:at + 20]!r}: use <property> eq "
                                     "'<value>', joined with and / or, in parentheses")
        tokens.append(next(group for group in found.groups() if group is not None))
        at = found.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens: or-expression of and-expressions of comparisons."""

    def __init__(self, tokens: list[str], entity: EntityType) -> None:
        self.tokens, self.at, self.entity, self.terms, self.depth = tokens, 0, entity, 0, 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise Invalid("$filter", "ends too early: a comparison or ')' is missing")
        self.at += 1
        return token

    def either(self) -> Test:
        tests = [self.both()]
        while self.peek() == "or":
            self.take()
            tests.append(self.both())
        return tests[0] if len(tests) == 1 else lambda r: any(t(r) for t in tests)

    def both(self) -> Test:
        tests = [self.term()]
        while self.peek() == "and":
            self.take()
            tests.append(self.term())
        return tests[0] if len(tests) == 1 else lambda r: all(t(r) for t in tests)

    def term(self) -> Test:
        token = self.take()
        if token == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise Invalid("$filter", f"parentheses nested at most {MAX_NESTING} deep")
            test = self.either()
            self.depth -= 1
            if self.take() != ")":
                raise Invalid("$filter", "a ')' to close each '('")
            return test
        prop = self.entity.prop(token)
        if prop is None or prop.type != "Edm.String":
            raise Invalid("$filter", f"{token!r} is not a string property of "
                          f"{self.entity.name}; filter on its keys and status fields")
        operator, literal = self.take(), self.take()
        if operator not in ("eq", "ne"):
            raise Invalid("$filter", f"operator {operator!r} is not supported; use eq or ne")
        if literal == "null":
            value = None
        elif literal.startswith("'"):
            value = literal[1:-1].replace("''", "'")
        else:
            raise Invalid("$filter", f"{literal!r}: a string literal in quotes, or null")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise Invalid("$filter", f"at most {MAX_TERMS} comparisons")
        name = prop.name
        if operator == "eq":
            return lambda r: r.get(name) == value
        return lambda r: r.get(name) != value


def _filter(text: str, entity: EntityType) -> Test:
    if len(text) > MAX_FILTER:
        raise Invalid("$filter", f"at most {MAX_FILTER} characters")
    parser = _Parser(_tokens(text), entity)
    test = parser.either()
    if parser.peek() is not None:
        raise Invalid("$filter", f"unexpected {parser.peek()!r}: join comparisons with and / or")
    return test
