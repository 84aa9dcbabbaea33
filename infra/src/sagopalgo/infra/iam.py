"""IAM documents: who may assume a role, and what a role may do (one statement per need)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi

__all__ = ["assume_role", "policy", "statement"]


def assume_role(service: str) -> str:
    """A trust policy letting one AWS service (``ecs-tasks``, ``lambda``, ``scheduler``) assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": f"{service}.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]] | pulumi.Output[list[str]],
    **extra: Any,
) -> dict[str, Any]:
    listed = resources if isinstance(resources, pulumi.Output) else list(resources)
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": listed, **extra}


def policy(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A policy document; resources may still be outputs (ARNs of resources being created)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})
