"""Predicted TTFT, TPOT and throughput of a vLLM replica, from the roofline plus a few parameters
fitted to published measurements (docs/performance-model.md): equations in roofline.py, fitted
values in parameters.py, the figures in data/, the fit and its error report in fit.py and
errors.py. Pure: numpy and the standard library."""

from .families import check_families
from .load import Engine, LoadResult, closed_loop, open_loop
from .model import (
    DegreeOption,
    Prediction,
    Scales,
    check,
    engine,
    feasible_tensor_parallel_degrees,
    memory_required_bytes,
    predict,
    tensor_parallel_options,
)
from .parameters import WEIGHT_DTYPES, PerformanceInputError
from .roofline import Hardware, features, hardware, resolve_shape
from .shapes import ModelShape, model_shape

# A family declared in part is refused here, naming the part, rather than a KeyError at run time.
check_families()

__all__ = [
    "WEIGHT_DTYPES",
    "DegreeOption",
    "Engine",
    "Hardware",
    "LoadResult",
    "ModelShape",
    "PerformanceInputError",
    "Prediction",
    "Scales",
    "check",
    "closed_loop",
    "engine",
    "feasible_tensor_parallel_degrees",
    "features",
    "hardware",
    "memory_required_bytes",
    "model_shape",
    "open_loop",
    "predict",
    "resolve_shape",
    "tensor_parallel_options",
]
