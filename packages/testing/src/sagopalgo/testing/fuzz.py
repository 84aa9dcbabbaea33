"""Fuzz an OpenAPI document with schemathesis's engine (what ``schemathesis run`` drives) and tally.

Each phase the engine has runs: the schema's examples, the coverage phase (boundary and invalid
values per parameter), fuzzing, and the stateful phase, which chains calls along the links it infers
from the document (an id one operation returns feeds the next one's path). The checks are the
schema's own plus ``problem_document`` (API.md's error shape). Shared by ``tests/fuzz`` (in process,
bounded) and ``bench/fuzz.py`` (real services, long).
"""

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema

__all__ = ["CHECKS", "EXAMPLES", "Finding", "Tally", "fuzz_config", "problem_document", "run"]

PROBLEM = "application/problem+json"


def problem_document(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any
) -> bool | None:
    """Every 4xx is an RFC 9457 problem document with the stable ``code`` clients branch on.

    Schemathesis's convention: ``True`` means the check does not apply, ``None`` that it passed.
    """
    if not 400 <= response.status_code < 500:
        return True
    media = response.headers.get("content-type", [""])[0]
    assert media.startswith(PROBLEM), f"{response.status_code} answered with {media!r}, not {PROBLEM}"
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == response.status_code, body
    assert isinstance(body.get("code"), str), f"no code in {body}"
    assert body["code"], f"an empty code in {body}"
    return None


schemathesis.check(problem_document)


EXAMPLES = 10
"""Examples per operation in the suite's runs (the fuzzing phase; coverage adds its own cases):
bounded so the fuzz tests stay within a couple of minutes on a 2-core CI box; ``bench/fuzz.py``
asks for more."""

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "problem_document",
)


def fuzz_config(
    *, headers: dict[str, str], max_examples: int, seed: int | None = None, streams: bool = False
) -> schemathesis.Config:
    """What ``schemathesis.toml`` would say: the checks, every phase, and how many examples.

    ``streams``: read an event stream until it has been quiet for half a second. Schemathesis
    (4.32) cuts a stream at its ``max-stream-events``-th event by counting each CRLF as a blank
    line, which drops the fields after ``data`` (Litestar frames events with CRLF); reading to a
    short timeout keeps whole events.
    """
    data: dict[str, Any] = {
        # No crash cache in the work tree: a run judges the code in front of it, from its seed.
        "cache": {"enabled": False},
        "headers": headers,
        "generation": {"max-examples": max_examples},
        "phases": {name: {"enabled": True} for name in ("examples", "coverage", "fuzzing", "stateful")},
    }
    if seed is not None:
        data["seed"] = seed
    if streams:
        data["operations"] = [
            {"include-path-regex": "/events$", "request-timeout": 0.5, "max-stream-events": 1_000}
        ]
    config = schemathesis.Config.from_dict(data)
    # As ``--checks`` does: a custom check is not a key the file format knows.
    config.projects.override.checks.update(included_check_names=list(CHECKS))
    return config


@dataclass
class Finding:
    operation: str
    code: str
    title: str
    message: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.code} {self.title}\n{self.message}\n    {self.curl}"


@dataclass
class Tally:
    seed: int | None = None
    cases: int = 0
    scenarios: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    checks: dict[str, int] = field(default_factory=dict)
    """How many responses each check judged."""
    statuses: dict[int, int] = field(default_factory=dict)
    answers: dict[str, dict[int, int]] = field(default_factory=dict)
    """Statuses per operation (``METHOD /path``, that method only), to see how deep the run got."""
    phases: dict[str, int] = field(default_factory=dict)
    """Cases per phase."""

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.cases} cases in {self.scenarios} scenarios, {self.seconds:.1f} s; "
            f"{len(self.findings)} findings, {len(self.errors)} errors; statuses {statuses}"
        )

    def report(self) -> str:
        return "\n\n".join([*map(str, self.findings), *self.errors])


def run(schema: Any) -> Tally:
    tally = Tally(seed=schema.config.seed)
    seen: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            tally.scenarios += 1
            recorder = event.recorder
            tally.cases += len(recorder.cases)
            phase = str(getattr(event, "phase", "fuzz"))
            tally.phases[phase] = tally.phases.get(phase, 0) + len(recorder.cases)
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None:
                    code = interaction.response.status_code
                    tally.statuses[code] = tally.statuses.get(code, 0) + 1
                    node = recorder.cases.get(case_id)
                    if node is None or node.value.method.upper() != node.value.operation.method.upper():
                        continue  # another method on the path (the coverage phase tries them)
                    per = tally.answers.setdefault(node.value.operation.label, {})
                    per[code] = per.get(code, 0) + 1
            for checks in recorder.checks.values():
                for check in checks:
                    tally.checks[check.name] = tally.checks.get(check.name, 0) + 1
                    info = check.failure_info
                    if info is None:
                        continue
                    failure = info.failure
                    key = (failure.operation or recorder.label, failure.code, failure.title)
                    if key in seen:
                        continue
                    seen.add(key)
                    tally.findings.append(
                        Finding(key[0], failure.code, failure.title, failure.message, info.code_sample)
                    )
        elif isinstance(event, events.NonFatalError):
            tally.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            tally.seconds = event.running_time
            for failure in event.failures:
                operation = failure.operation or "-"
                tally.findings.append(Finding(operation, failure.code, failure.title, failure.message, ""))
    return tally
