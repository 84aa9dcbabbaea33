"""Every resource that takes tags carries the project's and the stack's."""

import inspect

import pulumi_aws as aws

from sagopalgo.infra.testing import BuiltStack


def _takes_tags(token: str) -> bool:
    """Whether the pulumi_aws resource behind a type token has a ``tags`` argument."""
    package, middle, cls = token.split(":")
    if package != "aws":
        return False
    module = middle.split("/")[0]
    args = getattr(getattr(aws, "lambda_" if module == "lambda" else module), f"{cls}Args")
    return "tags" in inspect.signature(args.__init__).parameters


def test_every_taggable_resource_names_its_project_and_stack(stack: BuiltStack) -> None:
    taggable = [r for r in stack if _takes_tags(r.type)]
    assert len(taggable) > 40, "the check found the resources it is meant to check"
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert tags.get("project") == "sagopalgo", (resource.type, resource.name)
        assert tags.get("stack") == stack.config.stack, (resource.type, resource.name)
