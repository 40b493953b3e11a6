"""app/'s layers point one way: no module imports a module that imports it back, even through others
(grimp's import graph of every package of app/, imports inside functions included)."""

from pathlib import Path

import grimp

APP = Path(__file__).resolve().parents[2] / "app"
PACKAGES = sorted(path.parent.name for path in APP.glob("*/__init__.py"))


def test_no_module_of_app_imports_one_that_imports_it_back():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)
