"""app/'s layers point one way: no module imports a module that imports it back, even through others
(grimp's import graph of every package of app/, imports inside functions included), and the shared
layers under the domain apps import none of them."""

from pathlib import Path

import grimp
import pytest

APP = Path(__file__).resolve().parents[2] / "app"
PACKAGES = sorted(path.parent.name for path in APP.glob("*/__init__.py"))
DOMAIN_APPS = ("accounts", "api", "backups", "notifications", "tweets")
# Every domain app uses them: observability (metrics' exposition, logs, traces) and web (views' helpers).
SHARED = ("observability", "web")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_of_app_imports_one_that_imports_it_back(graph):
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("shared", SHARED)
def test_a_shared_layer_imports_no_domain_app_even_through_others(graph, shared):
    chains = [
        " -> ".join(chain)
        for app in DOMAIN_APPS
        if (chain := graph.find_shortest_chain(importer=shared, imported=app, as_packages=True))
    ]
    assert chains == [], f"{shared} depends on domain apps:\n" + "\n".join(chains)
