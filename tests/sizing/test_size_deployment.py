"""A deployed cluster's predicted performance, as `cost` and `plan` use it."""

from __future__ import annotations

import pytest

from graviton_llm.facts import performance as perf
from graviton_llm.project import stack_cluster_args
from graviton_llm.sizing import (
    DEFAULT_INPUT_LEN,
    DEFAULT_OUTPUT_LEN,
    deployment_performance,
    point_prediction,
    stack_performance,
)


def test_the_prod_stack_is_predicted_at_its_max_num_seqs_and_the_assumed_lengths():
    args, _ = stack_cluster_args("prod")
    performance = stack_performance(args)
    assert (DEFAULT_INPUT_LEN, DEFAULT_OUTPUT_LEN) == (512, 128)
    assert performance.prediction == perf.predict(
        "meta-llama/Llama-3.3-70B-Instruct", "inf2.48xlarge", tensor_parallel_size=24,
        batch=16, input_len=512, output_len=128, max_num_seqs=16,
    )  # fmt: skip
    document = performance.document()
    assert document["nodes"] == 3 and document["batch"] == 16 and document["calibrated"] is True
    assert document["cluster_output_tokens_per_s"] == pytest.approx(
        3 * performance.prediction.output_tokens_per_s, abs=0.01
    )
    assert document["note"] is None and "calibrated on published measurements" in document["basis"]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"dtype": "float32"}, "no float32 figures"),
        ({"input_len": 4000, "output_len": 200}, "exceed the stack's max_model_len 4096"),
        ({"model_id": "meta-llama/Llama-3.2-11B-Vision"}, "no layer/head/width shape"),
        ({"max_num_seqs": 512}, "does not fit"),
    ],
)
def test_what_cannot_be_predicted_is_a_note_not_an_error(kwargs, problem):
    arguments = {
        "model_id": "meta-llama/Llama-3.1-8B-Instruct", "instance_type": "inf2.8xlarge",
        "tensor_parallel_size": 2, "max_num_seqs": 8, "max_model_len": 4096,
    } | kwargs  # fmt: skip
    performance = deployment_performance(**arguments)
    assert performance.prediction is None
    assert problem in (performance.problem or "")
    document = performance.document()
    assert document["ttft_ms"] is None and document["calibrated"] is None
    assert problem in document["note"]


def test_graviton_is_labelled_a_roofline_bound():
    performance = deployment_performance(
        "meta-llama/Llama-3.1-8B", "r8g.4xlarge", tensor_parallel_size=1, max_num_seqs=4,
        max_model_len=4096,
    )  # fmt: skip
    assert performance.prediction is not None and performance.prediction.calibrated is False
    assert "NOT calibrated" in performance.basis


def test_point_prediction_fills_the_default_degree():
    predicted = point_prediction(
        "meta-llama/Llama-3.3-70B", "inf2.48xlarge", tensor_parallel_size=None, batch=4,
        input_len=128, output_len=128,
    )  # fmt: skip
    assert predicted == perf.predict(
        "meta-llama/Llama-3.3-70B", "inf2.48xlarge", tensor_parallel_size=24, batch=4,
        input_len=128, output_len=128,
    )  # fmt: skip
