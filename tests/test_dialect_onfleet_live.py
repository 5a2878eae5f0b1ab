"""The vendor's own client works unmodified: Onfleet's Python SDK (`pyonfleet`) against the
last-mile platform served live in the onfleet dialect by `seatrial serve`.

pyonfleet has no base-URL option: its requests go to `onfleet.request.API_BASE_URL`, a module
constant. The test points that constant (and the copy `onfleet.onfleet` keeps for auth_test) at
the served platform with pytest's monkeypatch, as configuration; the library's code is not
changed, and every request and answer goes through its own `Request.__call__` (auth, JSON,
X-RateLimit-Remaining, its error classes).
"""

from __future__ import annotations

import pytest
import yaml
from test_serve import serving

pytestmark = pytest.mark.wall_clock
onfleet = pytest.importorskip("onfleet")
from onfleet import Onfleet  # noqa: E402
from onfleet.error import HttpError, PermissionError, ValidationError  # noqa: E402

TASK = {"destination": {"address": {"number": "12", "street": "Quai des Chartrons",
                                    "city": "Bordeaux", "postalCode": "33000",
                                    "country": "France"}, "notes": "ring twice"},
        "recipients": [{"name": "Ada Lovelace", "phone": "+33556000000"}],
        "completeAfter": 1767600000000, "completeBefore": 1767636000000,
        "metadata": [{"name": "order_id", "type": "string", "value": "SO-000001"},
                     {"name": "shipment_id", "type": "string", "value": "SH-000001"}]}


@pytest.fixture
def served(tmp_path, monkeypatch):
    scenario = tmp_path / "onfleet.yaml"
    scenario.write_text(yaml.safe_dump({"name": "onfleet-live", "duration": "2h",
                                        "workload": {"orders_per_hour": 1},
                                        "dialects": {"lastmile": "onfleet"}}))
    with serving(str(scenario)) as (_proc, exports, _lines):
        base = exports["SEATRIAL_LASTMILE_URL"].rstrip("/") + "/api/v2"
        monkeypatch.setattr("onfleet.request.API_BASE_URL", base)
        monkeypatch.setattr("onfleet.onfleet.API_BASE_URL", base)
        yield exports


def test_pyonfleet_creates_reads_updates_and_deletes_a_task(served):
    api = Onfleet(api_key=served["SEATRIAL_CLIENT_SECRET"])
    made = api.tasks.create(body=TASK)
    assert len(made["id"]) == 24 and len(made["shortId"]) == 8 and made["state"] == 0
    assert made["recipients"][0]["name"] == "Ada Lovelace"
    assert api.tasks.get(id=made["id"]) == made
    assert api.tasks.get(shortId=made["shortId"])["id"] == made["id"]
    moved = api.tasks.update(id=made["id"], body={"destination": {"address": {
        "number": "3", "street": "Rue Sainte-Catherine", "city": "Bordeaux",
        "postalCode": "33000"}}})
    assert moved["destination"]["address"]["street"] == "Rue Sainte-Catherine"
    assert api.tasks.deleteOne(id=made["id"]) == 200
    with pytest.raises(HttpError) as gone:  # a deleted task is gone, as on Onfleet
        api.tasks.get(id=made["id"])
    assert gone.value.status == 1402
    with pytest.raises(ValidationError) as bad:  # 1000-1012: pyonfleet's ValidationError
        api.tasks.create(body={**TASK, "metadata": []})
    assert bad.value.status == 1000 and "order_id" in bad.value.cause


def test_a_wrong_api_key_is_refused_in_onfleets_shape(served):
    api = Onfleet(api_key="not-our-key")
    with pytest.raises(PermissionError) as refused:  # 1100-1112: pyonfleet's PermissionError
        api.tasks.create(body=TASK)
    assert refused.value.status == 1102 and refused.value.request
    assert "no longer active" in refused.value.cause
