"""Target-tracking autoscaling of the two services."""

from __future__ import annotations

import pulumi
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationArgs as Tracking,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationArgs as Custom,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs as Metric,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatArgs as Stat,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricArgs as StatMetric,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArgs as Dimension,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs as Predefined,
)

from sagopalgo.infra.components.edge import Edge
from sagopalgo.infra.components.service import FargateService
from sagopalgo.infra.config import StackConfig

__all__ = ["scale_services"]


def scale_services(cfg: StackConfig, *, api: FargateService, sse: FargateService, edge: Edge) -> None:
    """The API follows CPU and requests per task; the SSE service follows open connections per task.

    ALB metrics have no per-target-group connection count, so the SSE policy divides the balancer's
    active connections by the SSE targets that are healthy. Each stream holds one client-side and one
    target-side connection, and a browser's API calls share its (HTTP/2) connection, so streams
    dominate the count: the target is twice the streams a task should carry.
    """
    api.track(
        "api-cpu",
        Tracking(
            target_value=cfg.api_cpu_target,
            predefined_metric_specification=Predefined(
                predefined_metric_type="ECSServiceAverageCPUUtilization"
            ),
            scale_in_cooldown=300,
            scale_out_cooldown=60,
        ),
    )
    api.track(
        "api-requests",
        Tracking(
            target_value=cfg.api_requests_per_target,
            predefined_metric_specification=Predefined(
                predefined_metric_type="ALBRequestCountPerTarget",
                resource_label=pulumi.Output.concat(
                    edge.balancer.arn_suffix, "/", edge.api_targets.arn_suffix
                ),
            ),
            scale_in_cooldown=300,
            scale_out_cooldown=60,
        ),
    )
    balancer = Dimension(name="LoadBalancer", value=edge.balancer.arn_suffix)
    sse_targets = Dimension(name="TargetGroup", value=edge.sse_targets.arn_suffix)

    def alb(metric: str, stat: str, *dimensions: Dimension) -> Stat:
        return Stat(
            metric=StatMetric(
                namespace="AWS/ApplicationELB", metric_name=metric, dimensions=list(dimensions)
            ),
            stat=stat,
        )

    sse.track(
        "sse-connections",
        Tracking(
            target_value=2 * cfg.sse_connections_per_task,
            customized_metric_specification=Custom(
                metrics=[
                    Metric(
                        id="connections",
                        metric_stat=alb("ActiveConnectionCount", "Sum", balancer),
                        return_data=False,
                    ),
                    Metric(
                        id="tasks",
                        metric_stat=alb("HealthyHostCount", "Average", balancer, sse_targets),
                        return_data=False,
                    ),
                    Metric(
                        id="per_task",
                        expression="IF(tasks > 0, connections / tasks, connections)",
                        label="ALB connections per healthy SSE task",
                        return_data=True,
                    ),
                ]
            ),
            scale_in_cooldown=600,  # scaling in drops streams (they reconnect): be slow about it
            scale_out_cooldown=60,
        ),
    )
