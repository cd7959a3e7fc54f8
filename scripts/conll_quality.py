"""The CoNLL-2003 quality run of the window NER classifier (issue 4, item 7) — not a unit test.

Trains two models through the CLI, exactly as a user would:

    graphflow ner train --data DATA --embeddings GLOVE --out OUT/glove50   # GloVe 6B 50-d
    graphflow ner train --data DATA --out OUT/random                       # no pretrained vectors

Each run selects its model on dev (the best-dev epoch is the one exported). Only then is each
exported model evaluated on the test set, once:

    graphflow ner eval OUT/glove50 --data DATA/test.txt
    graphflow ner eval OUT/random  --data DATA/test.txt

The script prints every command, the training wall time, the machine load (``uptime``) before
and after each run, and a final table (dev F1 of the selected epoch, test F1, wall time) with
the targets: test F1 >= 0.85 with GloVe, >= 0.80 without, training <= 10 minutes each.

Usage (from the repository root):

    .venv/bin/python scripts/conll_quality.py [--data ../shared/data/conll2003]
        [--embeddings ../shared/data/glove-6b-50d/glove.6B.50d.conll2003.txt]
        [--out out/conll_quality] [--only glove|random] [-- extra train flags]

Extra flags after ``--`` are passed to both ``graphflow ner train`` commands (e.g. ``--seed 1``).
Exits 1 if a target is missed, 2 if the data is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_F1 = {"glove50": 0.85, "random": 0.80}
TIME_BUDGET_S = 600.0


def _default(relative: str) -> str:
    from graphflow.data.paths import find_data_dir

    root = find_data_dir()
    return str(root / relative) if root is not None else f"../shared/data/{relative}"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def load_of(text: str) -> str:
    match = re.search(r"load averages?:\s*(.*)$", text)
    return match.group(1) if match else text


def run(cmd: list[str], log_path: Path) -> tuple[str, float]:
    """Run ``cmd`` (stream its output to the terminal and ``log_path``); return output, secs."""
    print(f"$ {shlex.join(cmd)}", flush=True)
    start = time.perf_counter()
    lines = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=ROOT) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print("  " + line, end="", flush=True)
            lines.append(line)
        code = proc.wait()
    seconds = time.perf_counter() - start
    output = "".join(lines)
    log_path.write_text(f"$ {shlex.join(cmd)}\n{output}")
    if code != 0:
        raise SystemExit(f"command failed with exit code {code}: {shlex.join(cmd)}")
    return output, seconds


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=_default("conll2003"))
    parser.add_argument("--embeddings",
                        default=_default("glove-6b-50d/glove.6B.50d.conll2003.txt"))
    parser.add_argument("--out", default=str(ROOT / "out" / "conll_quality"))
    parser.add_argument("--only", choices=sorted(TARGET_F1), default=None)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)

    data = Path(args.data)
    missing = [p for p in (data / "train.txt", data / "dev.txt", data / "test.txt",
                           Path(args.embeddings)) if not p.exists()]
    if missing:
        print("CoNLL-2003 data not found: " + ", ".join(map(str, missing))
              + " (see graphflow/data/paths.py)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gf = [args.python, "-m", "graphflow", "ner"]
    runs = {"glove50": ["--embeddings", args.embeddings], "random": []}
    if args.only:
        runs = {args.only: runs[args.only]}

    rows = []
    for name, emb in runs.items():  # 1. train and select on dev
        model_dir = out / name
        before = uptime()
        print(f"\n== {name}: training ({before})", flush=True)
        _, seconds = run([*gf, "train", "--data", str(data), *emb, "--out", str(model_dir),
                          "--no-progress", *extra], out / f"{name}.train.log")
        after = uptime()
        meta = json.loads((model_dir / "config.json").read_text())
        rows.append({"name": name, "dir": model_dir, "train_s": seconds,
                     "load": f"{load_of(before)} -> {load_of(after)}",
                     "dev_f1": meta["best_dev_f1"], "best_epoch": meta["best_epoch"],
                     "config": meta["config"]})
    for row in rows:  # 2. test, once per selected model
        print(f"\n== {row['name']}: test set (once)", flush=True)
        output, _ = run([*gf, "eval", str(row["dir"]), "--data", str(data / "test.txt")],
                        out / f"{row['name']}.test.log")
        row["test_f1"] = float(re.search(r"^F1 ([0-9.]+)", output, re.MULTILINE).group(1))

    print("\n| model | dev F1 (epoch) | test F1 | target | train wall time | load (1/5/15 min) |")
    print("| --- | --- | --- | --- | --- | --- |")
    ok = True
    for row in rows:
        target = TARGET_F1[row["name"]]
        met = row["test_f1"] >= target and row["train_s"] <= TIME_BUDGET_S
        ok &= met
        print(f"| {row['name']} | {row['dev_f1']:.4f} ({row['best_epoch']}) | "
              f"{row['test_f1']:.4f} | >= {target:.2f} {'met' if met else 'MISSED'} | "
              f"{row['train_s']:.0f} s | {row['load']} |")
    cfg = rows[0]["config"]
    print("\nconfig: " + ", ".join(f"{k}={v}" for k, v in cfg.items() if k != "extra"))
    (out / "summary.json").write_text(json.dumps(
        [{k: (str(v) if isinstance(v, Path) else v) for k, v in r.items()} for r in rows],
        indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
