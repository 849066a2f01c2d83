"""tf-cnn: the TensorFlow CNN benchmark (tf_cnn_benchmarks) as a ``kubeflow.org/v1`` TFJob.

Replaces ksonnet's ``io.ksonnet.pkg.tf-cnn`` (kubeflow v0.1.0 ``tf-cnn-benchmarks``): ``num_workers``
workers and ``num_ps`` parameter servers, no chief (worker 0 is the chief), all running
``python tf_cnn_benchmarks.py`` with ksonnet's flags in ``/opt/tf-benchmarks/scripts/tf_cnn_benchmarks``.
Without GPUs the benchmark still gets ``--num_gpus=1`` (tf_cnn_benchmarks sizes its device list by it;
``--device=cpu`` keeps every op on the CPU), as ksonnet did. With ``num_gpus`` > 0 the workers run
``image_gpu`` with that many ``nvidia.com/gpu``, and every replica gets ``--local_parameter_device=gpu
--device=gpu --data_format=NCHW`` spelled out (ksonnet passed only ``--num_gpus`` and relied on the
benchmark's defaults, which are these values). ``num_ps`` and ``num_workers`` are at least 1, as
ksonnet required.

The job itself is built by tf-job's code (:func:`kfgen.prototypes.tf_job.tfjob`), so every replica has CPU and
memory requests and limits: ``resources.<PS|Worker>`` as tf-job's, what it leaves unset from tf-job's defaults
(requests 1 CPU / 1Gi, limits 2 CPUs / 4Gi). ksonnet rendered none.

Images: the defaults are the builds ksonnet used, from Docker Hub (``docker.io/kubeflow/...``; the
``gcr.io/kubeflow`` copies are gone). No newer published image ships tf_cnn_benchmarks at this path;
they contain a launcher that turns the operator's ``TF_CONFIG`` into the benchmark's cluster flags.
They are TensorFlow 1.x era builds: override ``image`` / ``image_gpu`` with your own build of
github.com/tensorflow/benchmarks for current GPUs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes.base import Params, Prototype, RenderContext
from kfgen.prototypes.params import DEFAULT_MAP, IMAGE, INT32_MAX, Resources, described
from kfgen.prototypes.tf_job import DEFAULT_RESOURCES_TEXT, TfJobParams, tfjob

WORKING_DIR = "/opt/tf-benchmarks/scripts/tf_cnn_benchmarks"
DEFAULT_IMAGE = "docker.io/kubeflow/tf-benchmarks-cpu:v20171202-bdab599-dirty-284af3"
DEFAULT_IMAGE_GPU = "docker.io/kubeflow/tf-benchmarks-gpu:v20171202-bdab599-dirty-284af3"
MODEL = described(r"^[a-z0-9][a-z0-9_.]*$", "a model name tf_cnn_benchmarks knows, such as resnet50 "
                  "(lower-case letters, digits, '_' and '.')", short="a model name")


class TfCnnParams(Params):
    """Parameters of tf-cnn (ksonnet's io.ksonnet.pkg.tf-cnn)."""

    batch_size: int = Field(32, ge=1, le=INT32_MAX, description="Batch size per device (--batch_size).")
    model: str = Field(
        "resnet50", pattern=MODEL,
        description="Model to benchmark (--model), a name tf_cnn_benchmarks knows: e.g. resnet50, resnet101, "
                    "resnet152, inception3, inception4, vgg16, vgg19, alexnet, googlenet, overfeat, lenet, "
                    "trivial, mobilenet, nasnet.")
    num_gpus: int = Field(
        0, ge=0, le=INT32_MAX,
        description="GPUs per worker; > 0 switches workers to image_gpu, --device=gpu and NCHW.")
    image: str = Field(
        DEFAULT_IMAGE, pattern=IMAGE, description="Image of PS replicas, and of workers without GPUs.")
    image_gpu: str = Field(DEFAULT_IMAGE_GPU, pattern=IMAGE, description="Image of workers when num_gpus > 0.")
    num_ps: int = Field(
        1, ge=1, le=INT32_MAX,
        description="Parameter-server replicas (--variable_update=parameter_server needs at least one).")
    num_workers: int = Field(1, ge=1, le=INT32_MAX, description="Worker replicas (worker 0 is the chief).")
    resources: dict[Literal["PS", "Worker"], Resources] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Resources of the PS and Worker containers, as tf-job's: unset CPU and memory come from the "
                    f"defaults ({DEFAULT_RESOURCES_TEXT}), each value on its own, yours kept. Worker GPUs come from "
                    "num_gpus.")

    @model_validator(mode="after")
    def _worker_gpus(self) -> TfCnnParams:
        worker = self.resources.get("Worker")
        if worker is not None and GPU_RESOURCE in worker.limits:
            raise ValueError(f"Worker {GPU_RESOURCE}: set Worker GPUs with num_gpus")
        return self


def benchmark_args(p: TfCnnParams) -> list[str]:
    gpu = p.num_gpus > 0
    return [
        "python", "tf_cnn_benchmarks.py",
        f"--batch_size={p.batch_size}",
        f"--model={p.model}",
        "--variable_update=parameter_server",
        "--flush_stdout=true",
        f"--num_gpus={p.num_gpus if gpu else 1}",
        f"--local_parameter_device={'gpu' if gpu else 'cpu'}",
        f"--device={'gpu' if gpu else 'cpu'}",
        f"--data_format={'NCHW' if gpu else 'NHWC'}",
    ]


def job_params(p: TfCnnParams) -> TfJobParams:
    """The tf-job parameters this benchmark amounts to."""
    return TfJobParams(image=p.image, image_gpu=p.image_gpu if p.num_gpus else None,
                       args=benchmark_args(p), workingDir=WORKING_DIR,
                       num_masters=0, num_ps=p.num_ps, num_workers=p.num_workers, num_gpus=p.num_gpus,
                       resources=p.resources)


def render(ctx: RenderContext, params: TfCnnParams) -> list[dict]:
    return [tfjob(ctx, job_params(params))]


PROTOTYPE = Prototype(
    name="tf-cnn",
    summary="The TensorFlow CNN benchmark (tf_cnn_benchmarks) as a TFJob: workers and parameter servers.",
    params=TfCnnParams,
    render=render,
    ksonnet="io.ksonnet.pkg.tf-cnn",
)
