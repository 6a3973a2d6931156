"""Imported by the forkserver of :class:`paperkg.extractors.parallel.LocalPool` before it forks any worker.

Loading the pipeline here, once, gives every local worker process a copy of it on fork (shared
memory pages until written), instead of each worker importing spaCy and loading it again.
"""

from .pipeline import load_pipeline

load_pipeline()
