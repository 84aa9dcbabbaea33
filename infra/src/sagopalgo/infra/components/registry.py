"""ECR repositories, and the images ``pulumi up`` builds from the Dockerfiles in ``services/``.

Each image is built from the repository root (the uv workspace and its lock) for linux/amd64 and
pushed; task definitions and the Lambda refer to it by digest, so a new build is a new revision
and an unchanged one deploys nothing. Building needs Docker with buildx where ``pulumi up`` runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from sagopalgo.infra.tagging import Tagger

__all__ = ["DOCKERFILES", "Registry", "RegistryArgs"]

DOCKERFILES = {
    "api": "services/api/Dockerfile",
    "sse": "services/sse/Dockerfile",
    "scheduler": "services/scheduler/Dockerfile",
}
"""Image name -> Dockerfile, relative to the repository root (the build context)."""

_KEEP_IMAGES = 20


@dataclass(frozen=True)
class RegistryArgs:
    context_dir: Path
    tag: str
    """The tag pushed beside the digest (the stack's name): what a person looks for in ECR."""
    tags: Tagger


class Registry(pulumi.ComponentResource):
    repositories: dict[str, aws.ecr.Repository]
    images: dict[str, pulumi.Output[str]]
    """Image name -> ``repository:tag@sha256:digest``."""

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repositories, self.images = {}, {}
        for image, dockerfile in DOCKERFILES.items():
            repository = aws.ecr.Repository(
                image,
                image_tag_mutability="MUTABLE",  # the stack's tag moves; deployments pin the digest
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                force_delete=True,
                tags=args.tags(image),
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                image,
                repository=repository.name,
                policy=json.dumps(
                    {
                        "rules": [
                            {
                                "rulePriority": 1,
                                "description": f"keep the last {_KEEP_IMAGES} images",
                                "selection": {
                                    "tagStatus": "any",
                                    "countType": "imageCountMoreThan",
                                    "countNumber": _KEEP_IMAGES,
                                },
                                "action": {"type": "expire"},
                            }
                        ]
                    }
                ),
                opts=child,
            )
            token = aws.ecr.get_authorization_token_output(registry_id=repository.registry_id)
            built = docker_build.Image(
                image,
                context=docker_build.BuildContextArgs(location=str(args.context_dir)),
                dockerfile=docker_build.DockerfileArgs(location=str(args.context_dir / dockerfile)),
                platforms=[docker_build.Platform.LINUX_AMD64],
                push=True,
                tags=[repository.repository_url.apply(lambda url: f"{url}:{args.tag}")],
                registries=[
                    docker_build.RegistryArgs(
                        address=repository.repository_url,
                        username=token.user_name,
                        password=token.password,
                    )
                ],
                cache_from=[
                    docker_build.CacheFromArgs(
                        registry=docker_build.CacheFromRegistryArgs(
                            ref=repository.repository_url.apply(lambda url: f"{url}:buildcache")
                        )
                    )
                ],
                cache_to=[
                    docker_build.CacheToArgs(
                        registry=docker_build.CacheToRegistryArgs(
                            ref=repository.repository_url.apply(lambda url: f"{url}:buildcache"),
                            image_manifest=True,
                            oci_media_types=True,
                        )
                    )
                ],
                opts=child,
            )
            self.repositories[image] = repository
            self.images[image] = built.ref
        self.register_outputs({name: ref for name, ref in self.images.items()})
