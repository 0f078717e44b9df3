"""The layout's promises, read from the source: no import cycle, the post-process and the
shared facts never import the Scrapy project, the shared facts import no Scrapy, and no
private Scrapy name is used outside maoyan/scrapy_compat.py."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from tests.helpers import REPO

PACKAGES = ("maoyan", "maoyan_common", "postprocess")
COMPAT = REPO / "maoyan" / "scrapy_compat.py"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module an import statement names (inside functions too), ``TYPE_CHECKING``
    blocks left out; ``from package import module`` names the module."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def project_imports() -> dict[str, set[str]]:
    modules = sources()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = imported(tree, name, path.name == "__init__.py")
        graph[name] = {other for other in named if other in modules and other != name}
    return graph


def test_no_import_cycle() -> None:
    graph = project_imports()
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for other in sorted(graph[name]):
            walk(other, [*path, name])
        done.add(name)

    for name in sorted(graph):
        walk(name, [])


def test_the_post_process_and_the_shared_facts_never_import_the_scrapy_project() -> None:
    for name, path in sources().items():
        if name.split(".")[0] == "maoyan":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = imported(tree, name, path.name == "__init__.py")
        assert not {other for other in named if other.split(".")[0] == "maoyan"}, name
        if name.split(".")[0] == "maoyan_common":
            assert not {o for o in named if o.split(".")[0] in ("scrapy", "twisted")}, name


def private_attributes_of_self(tree: ast.AST) -> set[str]:
    """The ``self._name``s a module uses."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }


def test_no_private_scrapy_name_outside_scrapy_compat() -> None:
    """Nothing is imported from Scrapy under a private name, and no class reaches into a
    private name of the Scrapy class it extends (one its source uses as ``self._name``)."""
    for name, path in sources().items():
        if path == COMPAT or name.split(".")[0] != "maoyan":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported_privately = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scrapy")
            for alias in node.names
            if alias.name.startswith("_")
        }
        assert not imported_privately, f"{name} imports {imported_privately} from Scrapy"
        used = private_attributes_of_self(tree)
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            for base in cls.__mro__[1:]:
                if not base.__module__.startswith("scrapy"):
                    continue
                scrapy_source = inspect.getsource(base)
                reached = {attr for attr in used if f"self.{attr}" in scrapy_source}
                assert not reached, f"{name}.{cls.__name__} uses {base.__name__}'s {reached}"
