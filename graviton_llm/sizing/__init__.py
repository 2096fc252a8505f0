"""Sizing: from a model, a traffic and latency targets to instance type, TP degree, max_num_seqs,
node count and $/1M output tokens, predicted by facts/performance; the predicted performance of a
deployed cluster (for `cost` and `plan`); a written stack config for the best option; and the
prediction checked against a `bench` result. Beside the layers, on facts, args and pricing."""

from .calibrate import (
    Calibration,
    calibrate,
    calibration_document,
    read_bench,
    read_bench_file,
)
from .calibration_store import scales_for
from .deployment import (
    DEFAULT_INPUT_LEN,
    DEFAULT_OUTPUT_LEN,
    DeploymentPerformance,
    LoadedPrediction,
    deployment_performance,
    loaded_prediction,
    point_prediction,
    stack_performance,
)
from .document import sizing_document, to_json
from .search import Option, Rejection, SizingRequest, SizingResult, size
from .stack import Placement, write_stack
from .workload import ModelChoice, Targets, Traffic, checked_max_model_len, choose_model

__all__ = [
    "DEFAULT_INPUT_LEN",
    "DEFAULT_OUTPUT_LEN",
    "Calibration",
    "DeploymentPerformance",
    "LoadedPrediction",
    "ModelChoice",
    "Option",
    "Placement",
    "Rejection",
    "SizingRequest",
    "SizingResult",
    "Targets",
    "Traffic",
    "calibrate",
    "calibration_document",
    "checked_max_model_len",
    "choose_model",
    "deployment_performance",
    "loaded_prediction",
    "point_prediction",
    "read_bench",
    "read_bench_file",
    "scales_for",
    "size",
    "sizing_document",
    "stack_performance",
    "to_json",
    "write_stack",
]
