"""Longer GraphDef mutation fuzzing than the suite's bounded run.

    python scripts/fuzz_graph_defs.py --cases 5000 --seed 7

Prints the outcome counts and every finding (a mutant that raised anything other than a
graphflow error); exits 1 when there is a finding.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "io"))

from test_graph_def_fuzz import _model_graph_def  # noqa: E402

from graphflow.test.graph_def_fuzz import fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000, help="number of mutants to try")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the mutations")
    args = parser.parse_args()
    graph_def, feeds, fetches = _model_graph_def()
    report = fuzz(graph_def, feeds, fetches, cases=args.cases, seed=args.seed)
    print(f"{report.cases} cases: {report.rejected} rejected with graphflow errors, "
          f"{report.ran} ran, {report.unchanged} unchanged, {len(report.findings)} findings")
    for finding in report.findings:
        print("  " + finding)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
