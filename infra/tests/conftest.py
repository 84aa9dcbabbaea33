"""Each worker builds the dev and prod stacks once under Pulumi's mocks; tests read what was built."""

import pytest

from sagopalgo.infra.testing import BuiltStack, build_stack, config


@pytest.fixture(scope="session")
def dev() -> BuiltStack:
    return build_stack(config("dev"))


@pytest.fixture(scope="session")
def prod() -> BuiltStack:
    return build_stack(
        config(
            "prod",
            production=True,
            toss_client_key="live_ck_0123456789",
            toss_secret_key="live_sk_0123456789",
        )
    )


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> BuiltStack:
    """Both stacks: rules that hold whatever the stack."""
    built: BuiltStack = request.getfixturevalue(request.param)
    return built
