"""Images: built by ``pulumi up`` from the Dockerfiles in ``services/`` and pushed to their own ECR."""

from sagopalgo.infra.components.registry import DOCKERFILES
from sagopalgo.infra.testing import ROOT, BuiltStack

IMAGE = "docker-build:index:Image"


def test_every_dockerfile_the_program_builds_is_in_the_repository() -> None:
    assert set(DOCKERFILES) == {"api", "sse", "scheduler"}
    for dockerfile in DOCKERFILES.values():
        assert (ROOT / dockerfile).is_file(), dockerfile


def test_each_image_is_built_from_the_workspace_and_pushed_to_its_repository(stack: BuiltStack) -> None:
    for image in stack.all(IMAGE):
        inputs = image.inputs
        assert inputs["context"]["location"] == str(ROOT), "the uv workspace is the build context"
        assert inputs["dockerfile"]["location"] == str(ROOT / DOCKERFILES[image.name])
        assert inputs["platforms"] == ["linux/amd64"], "what the task definitions and the Lambda declare"
        assert inputs["push"] is True
        [tag] = inputs["tags"]
        repository = f"123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/{image.name}-"
        assert tag.startswith(repository)
        assert tag.endswith(f":{stack.config.stack}")
        [registry] = inputs["registries"]
        assert registry["address"].startswith(repository)
    assert {i.name for i in stack.all(IMAGE)} == set(DOCKERFILES)
