"""Grafana's provisioning and dashboards: fixed datasource uids, unique dashboards, complete panels,
and dashboard JSON that the Grafana 11.6 models (grafana-foundation-sdk, the release Compose pins)
read back unchanged: a key they do not know, or a misplaced one, changes the round trip."""

import json
import re

import pytest

from stack.layout import REPO

GRAFANA = REPO / "monitoring" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yml"
PROVIDER = GRAFANA / "provisioning" / "dashboards" / "dashboards.yml"


def load(path):
    return json.loads(path.read_text())


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found += [panel, *panel.get("panels", [])]
    return [panel for panel in found if panel["type"] != "row"]


def provisioned_uids() -> set[str]:
    return set(re.findall(r"^    uid: (\S+)$", DATASOURCES.read_text(), re.M))


def test_grafana_version_is_the_one_compose_pins():
    versions = (REPO / "versions.env").read_text()
    assert re.search(r"^GRAFANA_IMAGE=grafana/grafana:11\.6\.\d+$", versions, re.M), (
        "dashboards are checked against Grafana 11.6's models: update the SDK pin with the image"
    )


def test_datasources_have_fixed_uids_and_addresses_from_the_environment():
    text = DATASOURCES.read_text()
    assert provisioned_uids() == {"prometheus", "jaeger", "loki", "alertmanager"}
    urls = re.findall(r"^    url: (\S+)$", text, re.M)
    assert sorted(urls) == sorted(
        f"${{GRAFANA_{name}_URL}}" for name in ("PROMETHEUS", "JAEGER", "LOKI", "ALERTMANAGER")
    )


def test_exemplars_link_to_jaeger_and_traces_link_to_logs_and_metrics():
    text = DATASOURCES.read_text()
    assert re.search(r"exemplarTraceIdDestinations:\n\s+- name: trace_id\n\s+datasourceUid: jaeger", text)
    assert re.search(r"tracesToLogsV2:\n\s+datasourceUid: loki", text)
    assert re.search(r"tracesToMetrics:\n\s+datasourceUid: prometheus", text)


def test_the_provider_loads_the_dashboards_folder_where_the_runtimes_mount_it():
    # Compose and Terraform mount monitoring/grafana/ at /etc/tweetstack/grafana.
    assert "path: /etc/tweetstack/grafana/dashboards\n" in PROVIDER.read_text()
    assert len(DASHBOARDS) >= 4


def test_dashboard_uids_and_titles_are_unique():
    boards = [load(path) for path in DASHBOARDS]
    assert len({board["uid"] for board in boards}) == len(boards)
    assert len({board["title"] for board in boards}) == len(boards)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_panel_has_a_title_description_unit_and_a_provisioned_datasource(path):
    uids = provisioned_uids()
    board = load(path)
    assert board["description"]
    for panel in panels(board):
        assert panel["title"] and panel.get("description"), panel.get("title")
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']} has no unit"
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids, panel["title"]
            assert target["expr"].strip(), panel["title"]
    panel_ids = [panel["id"] for panel in panels(board)]
    assert len(set(panel_ids)) == len(panel_ids)


def test_replica_and_route_variables_exist_and_are_used():
    names = {}
    for path in DASHBOARDS:
        board = load(path)
        for variable in board["templating"]["list"]:
            names.setdefault(variable["name"], []).append(path.name)
            assert variable["datasource"]["uid"] in provisioned_uids()
            text = json.dumps(board["panels"])
            assert f"${variable['name']}" in text, f"{path.name}: ${variable['name']} is never used"
    assert "replica" in names and "route" in names


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_dashboard_json_round_trips_through_the_grafana_11_6_models(path):
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    register_default_plugins()
    text = path.read_text()
    model = Dashboard.from_json(json.loads(text))
    assert json.dumps(model, cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n" == text
