"""Generate graphflow/proto/*_pb2.py and *.pyi from protos/graphflow/*.proto.

Stages:
  1. run the pinned grpcio-tools protoc (``python -m grpc_tools.protoc``) with
     ``-I protos`` into a scratch directory, producing ``graphflow/<name>_pb2.py``;
  2. rewrite the generated cross-imports ``from graphflow import x_pb2`` to
     ``from graphflow.proto import x_pb2`` (the schema's import paths are
     ``graphflow/<name>.proto``, the package lives one level deeper);
  3. copy the results into the output directory (default ``graphflow/proto``).

The generator is pinned (see GRPCIO_TOOLS_VERSION) so the output is
reproducible; ``tests/proto/test_generated_code.py`` regenerates into a temp
directory and fails on any difference. Never use a system protoc.

Usage: python scripts/gen_protos.py [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GRPCIO_TOOLS_VERSION = "1.85.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"
DEFAULT_OUT = REPO_ROOT / "graphflow" / "proto"
_IMPORT_RE = re.compile(r"^from graphflow import (\w+_pb2)", re.MULTILINE)


def proto_files() -> list[Path]:
    """All schema files, sorted so generation order is deterministic."""
    return sorted((PROTO_ROOT / "graphflow").glob("*.proto"))


def check_generator_version() -> None:
    try:
        found = importlib.metadata.version("grpcio-tools")
    except importlib.metadata.PackageNotFoundError:
        sys.exit("grpcio-tools is not installed; run: "
                 f"pip install grpcio-tools=={GRPCIO_TOOLS_VERSION}")
    if found != GRPCIO_TOOLS_VERSION:
        sys.exit(
            f"grpcio-tools {found} is installed but the generated code is pinned to "
            f"{GRPCIO_TOOLS_VERSION}; run: pip install grpcio-tools=={GRPCIO_TOOLS_VERSION}"
        )


def generate(out_dir: Path) -> list[Path]:
    """Generate *_pb2.py and *.pyi for every schema file into ``out_dir``."""
    check_generator_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        cmd = [
            sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
            f"--python_out={scratch}", f"--pyi_out={scratch}",
            *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
        ]
        subprocess.run(cmd, check=True, cwd=PROTO_ROOT)
        written = []
        for src in sorted((Path(scratch) / "graphflow").iterdir()):
            text = _IMPORT_RE.sub(r"from graphflow.proto import \1", src.read_text())
            dst = out_dir / src.name
            dst.write_text(text)
            written.append(dst)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    for path in generate(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
