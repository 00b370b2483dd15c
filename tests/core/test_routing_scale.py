"""The trie router against a reference matcher small enough to check by eye.

The reference tries every declared template in turn and applies the documented rules
(static first, then same-length templates, then greedy ones; most literal characters,
then most segments, then declaration order); the router must pick the same route, the
same parameters, and make the same 404/405 decision, for random routes and paths.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn.core.routing import MethodNotAllowed, NotFound, Router

# Few, short literals of different lengths: templates overlap often and differ in how
# many literal characters they have, which is what decides between them.
LITERALS = ["a", "bb", "ccc"]
PATH_SEGMENTS = [*LITERALS, "", "x"]
METHODS = ["GET", "POST", "PUT"]


def reference_params(template: str, path: str) -> dict[str, str] | None:
    """The parameters if ``path`` fits ``template``, by brute force."""
    if not path.startswith("/"):
        return None
    parts = template[1:].split("/")
    values = path[1:].split("/")
    greedy = parts[-1].endswith("+}")
    if greedy:
        fixed = parts[:-1]
        if len(values) <= len(fixed):
            return None
        rest = "/".join(values[len(fixed) :])
        if rest == "":
            return None
        values = values[: len(fixed)]
        parts = fixed
    elif len(values) != len(parts):
        return None
    params: dict[str, str] = {}
    for part, value in zip(parts, values, strict=True):
        if part.startswith("{"):
            if value == "":
                return None
            params[part[1:-1]] = value
        elif part != value:
            return None
    if greedy:
        params[template[1:].split("/")[-1][1:-2]] = rest
    return params


def literal_chars(template: str) -> int:
    return sum(len(p) for p in template[1:].split("/") if not p.startswith("{"))


def reference_match(
    routes: dict[str, dict[str, str]], method: str, path: str
) -> tuple[str, dict[str, str]] | str:
    """(target, params), or "404", or "405 <allowed>"; ``routes`` in declaration order."""
    order = list(routes)
    static = [t for t in order if "{" not in t]
    exact = [t for t in order if "{" in t and not t.endswith("+}")]
    greedy = [t for t in order if t.endswith("+}")]
    chosen: tuple[str, dict[str, str]] | None = None
    if path in static:
        chosen = (path, {})
    elif path.endswith("/") and len(path) > 1 and path.rstrip("/") in static:
        chosen = (path.rstrip("/"), {})
    else:
        for group, key in (
            (exact, lambda t: -literal_chars(t)),
            (greedy, lambda t: (-literal_chars(t), -t.count("/"))),
        ):
            fits = [(t, reference_params(t, path)) for t in sorted(group, key=key)]
            fits = [(t, p) for t, p in fits if p is not None]
            if fits:
                chosen = fits[0]  # type: ignore[assignment]
                break
    if chosen is None:
        return "404"
    template, params = chosen
    by_method = routes[template]
    target = by_method.get(method) or (by_method.get("GET") if method == "HEAD" else None)
    if target is None:
        allowed = set(by_method) | ({"HEAD"} if "GET" in by_method else set())
        return "405 " + ", ".join(sorted(allowed))
    return target, params


segment = st.one_of(
    st.sampled_from(LITERALS),
    st.sampled_from(["{p}", "{q}", "{r}"]),
)


@st.composite
def templates(draw: st.DrawFn) -> str:
    parts = draw(st.lists(segment, min_size=0, max_size=3))
    # Parameter names must be distinct within a template: number them by position.
    named = [f"{{{p[1:-1]}{i}}}" if p.startswith("{") else p for i, p in enumerate(parts)]
    ending = draw(st.sampled_from(["", "", "/", "/{rest+}"]))
    if not named and ending == "":
        return "/" + draw(st.sampled_from(["", *LITERALS]))
    return "/" + "/".join(named) + ending if named else ending or "/"


random_paths = st.builds(
    lambda parts, slash: ("/" if slash else "") + "/".join(parts),
    st.lists(st.sampled_from(PATH_SEGMENTS), min_size=0, max_size=5),
    st.booleans(),
)


@st.composite
def path_near(draw: st.DrawFn, template: str) -> str:
    """A path made from ``template``: parameters filled in, sometimes with an empty or
    many-segment value, sometimes with a trailing slash."""
    parts = []
    for part in template[1:].split("/"):
        if part.endswith("+}"):
            part = "/".join(draw(st.lists(st.sampled_from(PATH_SEGMENTS), max_size=3)))
        elif part.startswith("{"):
            part = draw(st.sampled_from(PATH_SEGMENTS))
        parts.append(part)
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "", "/"]))


route_lists = st.lists(
    st.tuples(templates(), st.sets(st.sampled_from(METHODS), min_size=1)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=600, deadline=None)
@given(routes=route_lists, data=st.data())
def test_router_agrees_with_the_reference(
    routes: list[tuple[str, set[str]]], data: st.DataObject
) -> None:
    router: Router[str] = Router()
    declared: dict[str, dict[str, str]] = {}
    for number, (template, methods) in enumerate(routes):
        taken = declared.setdefault(template, {})
        fresh = sorted(methods - set(taken))
        if not fresh:
            continue
        target = f"t{number}"
        router.add(template, fresh, target)
        taken.update(dict.fromkeys(fresh, target))
    near = st.sampled_from(list(declared)).flatmap(path_near)
    requests = data.draw(
        st.lists(
            st.tuples(st.sampled_from([*METHODS, "HEAD", "DELETE"]), near | random_paths),
            min_size=1,
            max_size=20,
        )
    )
    for method, path in requests:
        expected = reference_match(declared, method, path)
        try:
            got: tuple[str, dict[str, str]] | str = router.match(method, path)
        except NotFound:
            got = "404"
        except MethodNotAllowed as exc:
            got = "405 " + ", ".join(exc.allowed)
        assert got == expected, (method, path)
        allowed = router.allowed(path)
        assert (allowed is None) == (expected == "404")


def test_many_routes_each_found() -> None:
    router: Router[int] = Router()
    for i in range(1000):
        router.add(f"/r{i}/{{id}}/items/{{item}}", ["GET"], i)
    for i in (0, 499, 999):
        assert router.match("GET", f"/r{i}/7/items/9") == (i, {"id": "7", "item": "9"})
    assert router.allowed("/r5/7/items") is None


def test_templates_keep_declaration_order() -> None:
    router: Router[int] = Router()
    declared = ["/b/{x}", "/a", "/c/{rest+}", "/a/{y}"]
    for i, template in enumerate(declared):
        router.add(template, ["GET"], i)
    assert [t.template for t in router.templates()] == declared
