"""Sizing: from a model, a traffic and latency targets to instance type, TP degree, max_num_seqs,
node count and $/1M output tokens, predicted by facts/performance; the predicted performance of a
deployed cluster (for `cost` and `plan`); a written stack config for the best option; and the
prediction checked against a `bench` result. Beside the layers, on facts, args and pricing.

Names are imported on first use (PEP 562): `plan` reads the predicted performance of a stack
without loading the search, the calibration or the documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .calibrate import (
        Calibration,
        calibrate,
        calibration_document,
        read_bench,
        read_bench_file,
    )
    from .calibration_store import saved_calibration, scales_for
    from .deployment import (
        DEFAULT_INPUT_LEN,
        DEFAULT_OUTPUT_LEN,
        DeploymentPerformance,
        LoadedPrediction,
        deployment_performance,
        loaded_prediction,
        point_prediction,
        stack_performance,
        tensor_parallel_size_or_default,
    )
    from .document import sizing_document, to_json
    from .search import Option, Rejection, SizingRequest, SizingResult, size
    from .stack import Placement, write_stack
    from .workload import ModelChoice, Targets, Traffic, checked_max_model_len, choose_model

# `calibrate` names both a submodule and its function: imported here, so the package attribute
# is the function whatever imports the submodule later (importing a submodule sets it).
from .calibrate import calibrate as calibrate

_WHERE: dict[str, str] = {
    "Calibration": ".calibrate",
    "DEFAULT_INPUT_LEN": ".deployment",
    "DEFAULT_OUTPUT_LEN": ".deployment",
    "DeploymentPerformance": ".deployment",
    "LoadedPrediction": ".deployment",
    "ModelChoice": ".workload",
    "Option": ".search",
    "Placement": ".stack",
    "Rejection": ".search",
    "SizingRequest": ".search",
    "SizingResult": ".search",
    "Targets": ".workload",
    "Traffic": ".workload",
    "calibration_document": ".calibrate",
    "checked_max_model_len": ".workload",
    "choose_model": ".workload",
    "deployment_performance": ".deployment",
    "loaded_prediction": ".deployment",
    "point_prediction": ".deployment",
    "read_bench": ".calibrate",
    "read_bench_file": ".calibrate",
    "saved_calibration": ".calibration_store",
    "scales_for": ".calibration_store",
    "size": ".search",
    "sizing_document": ".document",
    "stack_performance": ".deployment",
    "tensor_parallel_size_or_default": ".deployment",
    "to_json": ".document",
    "write_stack": ".stack",
}


__getattr__ = lazy_attributes(__name__, _WHERE, globals())


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
    "saved_calibration",
    "scales_for",
    "size",
    "sizing_document",
    "stack_performance",
    "tensor_parallel_size_or_default",
    "to_json",
    "write_stack",
]
