"""The `sap-s4` dialect's EDMX documents: current on disk (contracts/edmx/), loadable by SAP's
OData client, and the same document `$metadata` serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyodata.v2.model import MetadataBuilder

from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.dialects.sap_s4 import edmx, export
from seatrial.simulators.erp.dialects.sap_s4.model import SERVICES

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "run `python -m seatrial.simulators.erp.dialects.sap_s4.export` to regenerate"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_committed_edmx_is_current(service):
    path = export.directory() / f"{service.name}.xml"
    assert path.exists(), f"contracts/edmx/{path.name} is missing: {REGENERATE}"
    assert path.read_bytes() == edmx.document(service.name), f"{path} is stale: {REGENERATE}"


def test_no_stray_edmx_documents():
    assert sorted(p.name for p in export.directory().glob("*.xml")) == sorted(
        f"{service.name}.xml" for service in SERVICES), REGENERATE


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_pyodata_loads_every_entity_set_and_function(service):
    schema = MetadataBuilder((export.directory() / f"{service.name}.xml").read_bytes()).build()
    assert {s.name for s in schema.entity_sets} == {t.entity_set for t in service.types}
    assert {f.name for f in schema.function_imports} == {f.name for f in service.functions}
    for entity in service.types:
        loaded = schema.entity_type(entity.name)
        assert [k.name for k in loaded.key_proprties] == list(entity.keys)
        assert {n.name for n in loaded.nav_proprties} == {n.name for n in entity.navs}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_metadata_serves_the_exported_document(service):
    router = dialect("erp", "sap-s4").router(None)
    reply = router.dispatch("GET", f"{service.path}/$metadata")
    assert reply.status == 200 and reply.body == edmx.document(service.name)


def test_the_export_entry_point_writes_both(tmp_path):
    run = subprocess.run([sys.executable, "-m", "seatrial.simulators.erp.dialects.sap_s4.export",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(run.stdout.splitlines()) == len(SERVICES)
    for service in SERVICES:
        assert (tmp_path / f"{service.name}.xml").read_bytes() == edmx.document(service.name)
