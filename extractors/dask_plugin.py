"""The Dask worker plugin of sharded extraction (imported only when ``distributed`` is used).

Registered by :class:`paperkg.extractors.parallel.DaskCluster`: each worker process loads the
pipeline once, when it starts or joins, before its first task. Registering it also
tells early when a worker lacks paperkg.
"""

from __future__ import annotations

from distributed import WorkerPlugin

from .pipeline import load_pipeline

__all__ = ["PipelinePlugin"]


class PipelinePlugin(WorkerPlugin):
    """Load paperkg's pipeline in each worker process (``load_pipeline`` keeps it for the tasks)."""

    name = "paperkg-pipeline"

    def setup(self, worker) -> None:
        load_pipeline()
