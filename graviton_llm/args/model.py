"""The model to serve: which one, where its weights are, and the rules that refuse a model that
does not exist or that the chosen hardware cannot serve."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..facts.models import (
    ModelInfo,
    known_model_ids,
    nonexistent_model_hint,
    resolve_model,
    weights_gib,
)
from .base import ArgsModel
from .fields import s3_uri_problems
from .identifiers import hf_model_id_problems, region_name_problems
from .problems import Problem


class ModelSpec(ArgsModel):
    """The model to serve and where its weights are."""

    id: str
    """Hugging Face model id, e.g. meta-llama/Llama-3.1-8B-Instruct. Used as the served model name;
    the weights come from weights_uri, never from a hub at boot."""
    weights_uri: str
    """s3://bucket/prefix/ holding the model directory (config.json, *.safetensors, tokenizer).
    Nodes read only this prefix."""
    weights_region: str | None = None
    """Region of the weights bucket when it is not the cluster's: S3 calls KMS in the bucket's
    region, so an SSE-KMS grant names that region (kms:ViaService)."""
    # ours: ten trillion parameters, beyond any released model
    params_billion: float | None = Field(default=None, gt=0, le=10_000)
    """Parameter count in billions. Optional for models in the known-models table; required for any
    other model, to size memory and disk."""
    dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    """Weight and KV-cache dtype passed to vLLM."""

    @property
    def info(self) -> ModelInfo | None:
        return resolve_model(self.id)

    @property
    def resolved_params_billion(self) -> float:
        if self.params_billion is not None:
            return self.params_billion
        info = self.info
        if info is None:
            raise ValueError(f"model.params_billion is required for unknown model {self.id!r}")
        return info.params_billion

    @property
    def weights_gib(self) -> float:
        return weights_gib(self.resolved_params_billion, self.dtype)


def model_problems(model: ModelSpec, accelerator: str | None) -> list[Problem]:
    problems = s3_uri_problems("model.weights_uri", model.weights_uri)
    if model.weights_region is not None:
        problems += region_name_problems("model.weights_region", model.weights_region)
    id_problems = hf_model_id_problems("model.id", model.id)
    if id_problems:
        return problems + id_problems
    info = model.info
    hint = nonexistent_model_hint(model.id)
    if hint is not None:
        problems.append(Problem("model.id", model.id, hint))
    elif info is None and model.params_billion is None:
        problems.append(
            Problem(
                "model.id",
                model.id,
                f"'{model.id}' is not in the known-models table ({', '.join(known_model_ids())}); "
                "set model.params_billion so memory and disk can be sized",
            )
        )
    if info is not None and info.vision and accelerator == "neuron":
        problems.append(
            Problem(
                "model.id",
                model.id,
                "Llama 3.2 Vision (mllama) is not supported by the vLLM Neuron plugin; serve a "
                "text model (e.g. meta-llama/Llama-3.1-8B-Instruct) on Neuron, or use a "
                "Graviton4 instance (accelerator 'cpu')",
            )
        )
    return problems
