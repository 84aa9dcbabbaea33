"""The committed stack files are valid configurations, and the config refuses what cannot work."""

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from sagopalgo.infra.config import StackConfig, load_config
from sagopalgo.infra.testing import ROOT, config

INFRA = ROOT / "infra"


def _load(stack_file: Path, stack: str) -> StackConfig:
    """What ``pulumi up`` would read: every ``key: value`` of the stack file as Pulumi config."""
    values: dict[str, Any] = yaml.safe_load(stack_file.read_text())["config"]
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    pulumi.runtime.set_all_config(as_strings)
    try:
        return load_config(INFRA, stack)
    finally:
        pulumi.runtime.set_all_config({})


def test_the_dev_stack_is_a_rehearsal() -> None:
    dev = _load(INFRA / "Pulumi.dev.yaml", "dev")
    assert dev.production is False
    assert dev.region == "ap-northeast-2"
    assert dev.context_dir == ROOT
    assert dev.toss_secret_key is None


def test_the_prod_stack_is_production_sized() -> None:
    prod = _load(INFRA / "Pulumi.prod.yaml", "prod")
    assert prod.production is True
    assert prod.api.min_tasks >= 2
    assert prod.sse.min_tasks >= 2
    assert prod.database.backup_days >= 7
    assert prod.search.instance_count >= 2
    assert prod.auction.hard_cap == "18:30"


def test_stack_files_hold_no_plain_secret() -> None:
    for stack_file in INFRA.glob("Pulumi.*.yaml"):
        values = yaml.safe_load(stack_file.read_text()).get("config", {})
        for key, value in values.items():
            if "secret" in key.lower():
                assert isinstance(value, dict), (stack_file, key)
                assert "secure" in value, (stack_file, key)


def test_toss_keys_come_as_a_pair() -> None:
    with pytest.raises(ValueError, match="tossClientKey"):
        config(toss_client_key="test_ck_1234")


def test_two_zones_are_two_different_zones() -> None:
    with pytest.raises(ValueError, match="availabilityZones"):
        config(availability_zones=("ap-northeast-2a", "ap-northeast-2a"))
