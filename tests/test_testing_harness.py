"""The public mock harness reports what teams need to test their own stacks."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from graviton_llm.testing import resolve, run_program


def test_harness_reports_type_name_inputs_parent_and_options():
    class Wrapper(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("team:index:Wrapper", name, None, None)
            self.bucket = aws.s3.Bucket(
                f"{name}-bucket",
                tags={"a": "b"},
                opts=pulumi.ResourceOptions(
                    parent=self, protect=True, ignore_changes=["tags"], retain_on_delete=True
                ),
            )

    result = run_program(lambda: Wrapper("w"))
    bucket = result.one("aws:s3/bucket:Bucket")
    assert bucket.name == "w-bucket" and bucket.inputs["tags"] == {"a": "b"}
    assert bucket.parent_name == "w"
    assert bucket.protect and bucket.retain_on_delete
    assert bucket.ignore_changes == ["tags"]
    assert result.children_of(result.one("team:index:Wrapper")) == [bucket]


def test_harness_reads_stack_config_and_exports():
    def program():
        config = pulumi.Config("team")
        pulumi.export("greeting", f"hello {config.require('name')}")
        pulumi.export("object", config.require_object("settings")["size"])

    result = run_program(program, config={"team:name": "ml", "team:settings": {"size": 3}})
    assert result.stack_outputs == {"greeting": "hello ml", "object": 3}


def test_harness_resolves_outputs_and_runs_are_independent():
    first = run_program(lambda: aws.s3.Bucket("one"))
    second = run_program(lambda: aws.s3.Bucket("two"))
    assert [r.name for r in first.resources] == ["one"]
    assert [r.name for r in second.resources] == ["two"]
    assert resolve(pulumi.Output.from_input("x").apply(lambda v: v + "y")) == "xy"
