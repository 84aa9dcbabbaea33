"""The auction day on EventBridge Scheduler, in Asia/Seoul, invoking the scheduler Lambda."""

import json

import pytest

from sagopalgo.infra.app_settings import SECRET_SETTINGS
from sagopalgo.infra.config import AuctionTimes
from sagopalgo.infra.schedule import day_runs
from sagopalgo.infra.testing import BuiltStack, arn, build_stack, config, resource_id

SCHEDULE = "aws:scheduler/schedule:Schedule"
FUNCTION = "aws:lambda/function:Function"


def test_the_default_day_opens_at_nine_closes_each_minute_past_six_and_expires_hourly() -> None:
    runs = [(r.transition, r.cron) for r in day_runs("09:00", "18:00", "18:30")]
    assert runs == [
        ("open", "cron(0 9 * * ? *)"),
        ("close", "cron(0-31 18 * * ? *)"),
        ("expire", "cron(45 * * * ? *)"),
    ]


def test_a_close_window_across_the_hour_is_one_schedule_per_hour() -> None:
    runs = [(r.name, r.cron) for r in day_runs("08:30", "17:50", "18:20") if r.transition == "close"]
    assert runs == [("close-0", "cron(50-59 17 * * ? *)"), ("close-1", "cron(0-21 18 * * ? *)")]
    assert [r.cron for r in day_runs("08:30", "17:45", "17:58") if r.transition == "close"] == [
        "cron(45-59 17 * * ? *)"
    ]
    assert [r.cron for r in day_runs("08:00", "23:00", "23:59") if r.transition == "close"] == [
        "cron(0-59 23 * * ? *)"
    ]


@pytest.mark.parametrize(
    ("opens", "closes", "cap"), [("18:00", "09:00", "19:00"), ("09:00", "18:30", "18:00")]
)
def test_an_impossible_day_is_refused(opens: str, closes: str, cap: str) -> None:
    with pytest.raises(ValueError, match="open before it closes"):
        day_runs(opens, closes, cap)


def test_every_schedule_runs_in_korea_time_and_invokes_the_lambda(stack: BuiltStack) -> None:
    schedules = stack.all(SCHEDULE)
    assert {s.name for s in schedules} == {"scheduler-open", "scheduler-close-0", "scheduler-expire"}
    for schedule in schedules:
        inputs = schedule.inputs
        assert inputs["scheduleExpressionTimezone"] == "Asia/Seoul"
        assert inputs["flexibleTimeWindow"] == {"mode": "OFF"}, "a close is never postponed"
        assert inputs["state"] == "ENABLED"
        assert inputs["groupName"] == f"sagopalgo-{stack.config.stack}-scheduler"
        target = inputs["target"]
        assert target["arn"] == arn(FUNCTION, "scheduler")
        assert target["roleArn"] == arn("aws:iam/role:Role", "scheduler-invoker")
        assert target["deadLetterConfig"]["arn"] == arn("aws:sqs/queue:Queue", "scheduler-dead-letters")
        assert target["retryPolicy"]["maximumRetryAttempts"] >= 1


def test_each_schedule_sends_the_handlers_event(stack: BuiltStack) -> None:
    sent = {
        s.inputs["scheduleExpression"]: json.loads(s.inputs["target"]["input"]) for s in stack.all(SCHEDULE)
    }
    assert sent == {
        "cron(0 9 * * ? *)": {"transition": "open"},
        "cron(0-31 18 * * ? *)": {"transition": "close"},
        "cron(45 * * * ? *)": {"transition": "expire"},
    }


def test_a_stack_with_another_window_schedules_that_window() -> None:
    built = build_stack(config("late", auction=AuctionTimes(opens="10:00", closes="19:00", hard_cap="19:10")))
    crons = {
        json.loads(s.inputs["target"]["input"])["transition"]: s.inputs["scheduleExpression"]
        for s in built.all(SCHEDULE)
    }
    assert crons == {
        "open": "cron(0 10 * * ? *)",
        "close": "cron(0-11 19 * * ? *)",
        "expire": "cron(45 * * * ? *)",
    }
    env = {e["name"]: e["value"] for e in built.containers("-api")["api"]["environment"]}
    assert (
        env["SAGOPALGO_AUCTION_OPENS"],
        env["SAGOPALGO_AUCTION_CLOSES"],
        env["SAGOPALGO_AUCTION_HARD_CAP"],
    ) == (
        "10:00",
        "19:00",
        "19:10",
    )


def test_the_lambda_is_the_scheduler_image_in_the_private_subnets(stack: BuiltStack) -> None:
    function = stack.one(FUNCTION).inputs
    assert function["packageType"] == "Image"
    assert function["imageUri"].startswith("123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/scheduler-")
    assert "@sha256:" in function["imageUri"]
    private = {
        resource_id("aws:ec2/subnet:Subnet", s.name)
        for s in stack.all("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "private"
    }
    assert set(function["vpcConfig"]["subnetIds"]) == private
    assert function["timeout"] >= 60


def test_failed_runs_are_retried_then_dead_lettered(stack: BuiltStack) -> None:
    invoke = stack.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert invoke["maximumRetryAttempts"] == 2
    assert invoke["destinationConfig"]["onFailure"]["destination"] == arn(
        "aws:sqs/queue:Queue", "scheduler-dead-letters"
    )
    queue = stack.one("aws:sqs/queue:Queue").inputs
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600


def test_the_lambda_reads_its_secrets_by_arn_never_from_its_environment(stack: BuiltStack) -> None:
    variables = stack.one(FUNCTION).inputs["environment"]["variables"]
    assert not SECRET_SETTINGS & set(variables)
    arns = json.loads(variables["SAGOPALGO_SECRET_ARNS"])
    expected = {"SAGOPALGO_DATABASE_URL", "SAGOPALGO_REDIS_URL", "SAGOPALGO_OPENSEARCH_URL"}
    if stack.config.toss_secret_key is not None:
        expected.add("SAGOPALGO_TOSS_SECRET_KEY")
        assert variables["SAGOPALGO_TOSS_CLIENT_KEY"] == stack.config.toss_client_key
    assert set(arns) == expected
    assert all(a.startswith("arn:aws:secretsmanager:") for a in arns.values())
    assert arns["SAGOPALGO_OPENSEARCH_URL"].endswith(":url::"), (
        "one key of the search secret, as ECS names it"
    )
    assert variables["SAGOPALGO_SEARCH"] == "opensearch", "it re-indexes the lots it opens and closes"
