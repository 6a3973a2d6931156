"""Build the shipped extraction pipeline as an installable spaCy model package, ``en_paperkg_ml``.

    python scripts/package_model.py --output dist/
    pip install dist/en_paperkg_ml-0.1.0-py3-none-any.whl
    python -c "import spacy; print(spacy.load('en_paperkg_ml')('We evaluate on GSM8K.').ents)"

The package holds the pipeline's data (tokenizer, recogniser, gazetteer entries); the code of its
components comes from paperkg, which spaCy finds through paperkg's entry points, so ``spacy.load``
needs no ``import`` of paperkg. It runs ``spacy package`` (which needs the ``build`` package) and
prints the wheel's path as its last line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from spacy.cli.package import package

from paperkg.extractors.errors import PaperkgError
from paperkg.extractors.pipeline import make_pipeline

#: spaCy prefixes the language: the package is ``en_paperkg_ml``.
MODEL_NAME = "paperkg_ml"


def build_model_package(output: Path, model_version: str) -> Path:
    """Write the pipeline to a temporary folder, package it as a wheel into ``output``; the wheel's path."""
    nlp = make_pipeline()
    nlp.meta.update(name=MODEL_NAME, version=model_version, license="MIT",
                    description="paperkg's extraction pipeline: models, methods, datasets, benchmarks, tasks "
                                "and metrics in ML paper abstracts, and the relations stated between them")
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as pipeline_dir:
        nlp.to_disk(pipeline_dir)
        package(Path(pipeline_dir), output, create_sdist=False, create_wheel=True, force=True, silent=True)
    name = f"{nlp.lang}_{MODEL_NAME}-{model_version}"
    wheels = sorted((output / name / "dist").glob(f"{name}-*.whl"))
    if not wheels:
        raise PaperkgError(f"{output / name}: spacy package built no wheel (is the 'build' package installed?)")
    return wheels[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("dist"), help="folder for the package (default: dist/)")
    parser.add_argument("--version", default=version("paperkg"), help="the package's version (default: paperkg's)")
    args = parser.parse_args()
    try:
        print(build_model_package(args.output, args.version))
    except PaperkgError as err:
        print(f"package_model: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
