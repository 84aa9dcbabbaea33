"""Sagopalgo on AWS: ``pulumi up`` for the selected stack (``Pulumi.<stack>.yaml``); see README."""

from pathlib import Path

from sagopalgo.infra.config import load_config
from sagopalgo.infra.stack import build

build(load_config(Path(__file__).resolve().parent)).export()
