"""ServingMonitoring: the cluster's CloudWatch alarms, optional SNS topic and dashboard."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import ServingMonitoringArgs
from ..documents.alarms import (
    PERIOD_SECONDS,
    AlarmSpec,
    Query,
    Ref,
    alarm_name,
    alarm_specs,
    dashboard_body,
)
from ..documents.iam import alarm_topic_key_policy, policy_json
from .parts.inputs import validated


class ServingMonitoring(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    log_group: aws.cloudwatch.LogGroup
    topic: aws.sns.Topic | None
    topic_key: aws.kms.Key | None
    dashboard: aws.cloudwatch.Dashboard | None

    def __init__(
        self,
        name: str,
        args: ServingMonitoringArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a cluster's alarms, its metrics log group, the optional SNS topic and the
        dashboard.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: A ``ServingMonitoringArgs``, or its dict form.
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(ServingMonitoringArgs, name, args, "ServingMonitoring")
        super().__init__("graviton-llm:monitoring:ServingMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        refs = {
            Ref.ASG_NAME: args.auto_scaling_group_name,
            Ref.TARGET_GROUP: args.target_group_arn_suffix,
            Ref.LOAD_BALANCER: args.load_balancer_arn_suffix,
        }

        # The agent's metrics arrive as embedded-metric-format logs in this group; created here so
        # it has a retention (the agent would create it to keep logs forever).
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-metrics",
            name=args.metrics_log_group,
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.topic = None
        self.topic_key = None
        actions: list[Any] = []
        if args.alarm_topic:
            # Encrypted at rest with a key CloudWatch may use (iam.alarm_topic_key_policy).
            account = aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
            self.topic_key = aws.kms.Key(
                f"{name}-alarms-key",
                description=f"graviton-llm {name}: encrypts the alarm topic",
                enable_key_rotation=True,
                policy=account.apply(lambda acct: policy_json(alarm_topic_key_policy(acct))),
                tags=args.tags,
                opts=child,
            )
            self.topic = aws.sns.Topic(
                f"{name}-alarms", kms_master_key_id=self.topic_key.arn, tags=args.tags, opts=child
            )
            actions = [self.topic.arn]
            for i, email in enumerate(args.alarm_emails):
                aws.sns.TopicSubscription(
                    f"{name}-email-{i}",
                    topic=self.topic.arn,
                    protocol="email",
                    endpoint=email,
                    opts=child,
                )

        self.alarms = {
            spec.key: aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=alarm_name(args.alarm_name_prefix, spec.key),
                alarm_description=spec.description,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.evaluation_periods,
                treat_missing_data=spec.treat_missing_data,
                metric_queries=[_query_args(q, refs) for q in spec.queries],
                alarm_actions=actions,
                ok_actions=actions,
                tags=args.tags,
                opts=child,
            )
            for spec in _specs(args)
        }

        self.dashboard = None
        if args.dashboard:
            body = pulumi.Output.all(*refs.values()).apply(
                lambda values: json.dumps(
                    dashboard_body(
                        region=args.region,
                        asg_name=values[0],
                        target_group=values[1],
                        load_balancer=values[2],
                        neuron=args.device_memory_gib is not None,
                    )
                )
            )
            self.dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=args.alarm_name_prefix,
                dashboard_body=body,
                opts=child,
            )
        self.register_outputs({"alarm_names": [a.name for a in self.alarms.values()]})


def _query_args(query: Query, refs: dict[Ref, Any]) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    if query.expression is not None:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query.id, expression=query.expression, return_data=query.return_data
        )
    if query.metric is None:
        raise ValueError(f"alarm query {query.id} has neither an expression nor a metric")
    dimensions = {
        key: refs[value] if isinstance(value, Ref) else value
        for key, value in query.dimensions.items()
    }
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query.id,
        return_data=query.return_data,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            metric_name=query.metric,
            namespace=query.namespace,
            dimensions=dimensions,
            stat=query.stat,
            period=PERIOD_SECONDS,
        ),
    )


def _specs(args: ServingMonitoringArgs) -> list[AlarmSpec]:
    return alarm_specs(
        error_rate_percent=args.error_rate_percent,
        evaluation_minutes=args.evaluation_minutes,
        latency_seconds=args.latency_seconds,
        device_memory_percent=args.device_memory_percent,
        device_memory_gib=args.device_memory_gib,
    )
