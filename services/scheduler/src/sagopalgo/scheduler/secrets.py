"""The Lambda's secret settings, read from Secrets Manager.

ECS puts a task's secrets into its environment itself; Lambda has no such feature, and a value in a
function's environment is shown to anyone allowed to read its configuration. So infra/ gives the
function ``SAGOPALGO_SECRET_ARNS``, a JSON object from setting variables to secret ARNs, and the
handler fetches those values with the function's role, which may read exactly those secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import boto3
import msgspec

from sagopalgo.platform.settings import PREFIX, SettingsError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["SECRET_ARNS", "SecretsManagerFetcher", "resolve_secrets"]

SECRET_ARNS = PREFIX + "SECRET_ARNS"


def resolve_secrets(environ: Mapping[str, str], fetch: Callable[[str], str]) -> dict[str, str]:
    """The environment with every variable named in ``SECRET_ARNS`` set to its secret's value."""
    env = dict(environ)
    raw = env.pop(SECRET_ARNS, "")
    if not raw:
        return env
    try:
        arns = msgspec.json.decode(raw, type=dict[str, str])
    except msgspec.DecodeError as exc:
        raise SettingsError(f"{SECRET_ARNS} is not a JSON object of variable names to ARNs: {exc}") from None
    for name, arn in arns.items():
        if not name.startswith(PREFIX):
            raise SettingsError(f"{SECRET_ARNS} may only fill {PREFIX}* variables, not {name}")
        env[name] = fetch(arn)
    return env


class SecretsManagerFetcher:
    """``fetch(reference) -> value`` with one client per region (the region is the ARN's).

    A reference is a secret's ARN, or ECS's form for one key of a JSON secret:
    ``arn:aws:secretsmanager:region:account:secret:name:json-key:version-stage:version-id`` (the
    last three optional), so the Lambda and the ECS tasks name secrets the same way.
    """

    def __init__(self, endpoint_url: str | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._clients: dict[str, SecretsManagerClient] = {}

    def __call__(self, reference: str) -> str:
        parts = reference.split(":")
        if len(parts) < 7 or parts[:3] != ["arn", "aws", "secretsmanager"] or parts[5] != "secret":
            raise SettingsError(f"{SECRET_ARNS}: {reference!r} is not a Secrets Manager secret's ARN")
        region = parts[3]
        json_key, stage, version = [*parts[7:], "", "", ""][:3]
        client = self._clients.get(region)
        if client is None:
            client = boto3.client("secretsmanager", region_name=region, endpoint_url=self._endpoint_url)
            self._clients[region] = client
        request: dict[str, str] = {"SecretId": ":".join(parts[:7])}
        if stage:
            request["VersionStage"] = stage
        if version:
            request["VersionId"] = version
        value = client.get_secret_value(**request)["SecretString"]
        if not json_key:
            return value
        document = msgspec.json.decode(value)
        if not isinstance(document, dict) or not isinstance(document.get(json_key), str):
            raise SettingsError(f"{SECRET_ARNS}: the secret {parts[6]} has no text key {json_key!r}")
        return str(document[json_key])
