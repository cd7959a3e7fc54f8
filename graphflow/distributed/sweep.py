"""``graphflow ner sweep CONFIG``: a hyper-parameter search of the window NER model, each trial
a Ray task.

CONFIG is JSON or TOML (by its suffix)::

    search = "grid"          # "grid": every combination of the lists in [space];
                             # "random": `trials` samples (seeded by `seed`)
    trials = 8               # random search only
    seed = 0
    data = "path/to/conll"   # optional: train.txt + dev.txt (default: the bundled demo corpus)
    embeddings = "glove.txt" # optional

    [fixed]                  # WindowNERConfig fields every trial shares
    epochs = 5

    [space]                  # the searched fields: a list of values, or (random search)
    learning_rate = [0.001, 0.003]           # {low = ..., high = ..., log = true} to sample
    hidden = [100, 300]                      # (integers when low and high are)

Stages of ``run_sweep``:
  1. parse and check the config (unknown keys and fields are errors before anything runs);
  2. put the corpus into Ray's object store once; submit every trial (one CPU each, as many
     at a time as the cluster has CPUs);
  3. as each trial ends: a finished one sends back its exported model directory (files as
     bytes, so nothing depends on a shared filesystem), written to ``OUT/trials/<n>/``; a
     failed one (an exception, or its worker died) is recorded with its error; either way
     ``OUT/results.json`` is rewritten at once, so finished trials are never lost;
  4. the results table (``OUT/results.tsv`` and printed) and the best trial by dev F1
     copied to ``OUT/best/`` (a model directory for ``graphflow ner eval|predict``).
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.data import Sentence, demo_corpus_dir, read_conll
from graphflow.distributed import cluster
from graphflow.models.ner_trainer import NERTrainer
from graphflow.models.window_ner import WindowNERConfig

TOP_LEVEL_KEYS = {"search", "trials", "seed", "data", "embeddings", "fixed", "space"}
CONFIG_FIELDS = set(WindowNERConfig.__dataclass_fields__) - {"extra"}


@dataclass
class SweepSpec:
    """A parsed sweep config (module docstring)."""

    space: dict[str, Any]
    fixed: dict[str, Any] = field(default_factory=dict)
    search: str = "grid"
    trials: int = 0
    seed: int = 0
    data: str | None = None
    embeddings: str | None = None

    def __post_init__(self) -> None:
        if self.search not in ("grid", "random"):
            raise ValueError(f"sweep: search must be 'grid' or 'random', got {self.search!r}")
        if not self.space:
            raise ValueError("sweep: [space] names no field to search")
        for where, names in (("space", self.space), ("fixed", self.fixed)):
            unknown = sorted(set(names) - CONFIG_FIELDS)
            if unknown:
                raise ValueError(f"sweep: unknown WindowNERConfig field(s) in [{where}]: "
                                 f"{unknown}; known: {', '.join(sorted(CONFIG_FIELDS))}")
        both = sorted(set(self.space) & set(self.fixed))
        if both:
            raise ValueError(f"sweep: {both} are both in [space] and [fixed]")
        for name, values in self.space.items():
            if isinstance(values, dict):
                if self.search == "grid":
                    raise ValueError(f"sweep: grid search needs a list of values for "
                                     f"'{name}', got {values}")
                if set(values) - {"low", "high", "log"} or not {"low", "high"} <= set(values):
                    raise ValueError(f"sweep: a sampled range for '{name}' needs low and "
                                     f"high (and optionally log), got {values}")
            elif not isinstance(values, list) or not values:
                raise ValueError(f"sweep: '{name}' in [space] must be a non-empty list of "
                                 f"values (or a {{low, high}} range), got {values!r}")
        if self.search == "random" and self.trials < 1:
            raise ValueError("sweep: random search needs trials >= 1")

    def trial_params(self) -> list[dict[str, Any]]:
        """The searched values of every trial, in trial order."""
        names = sorted(self.space)
        if self.search == "grid":
            return [dict(zip(names, combo))
                    for combo in itertools.product(*(self.space[n] for n in names))]
        rng = np.random.default_rng(self.seed)
        return [{n: _sample(self.space[n], rng) for n in names} for _ in range(self.trials)]


def load_spec(path: str | Path) -> SweepSpec:
    """Read a JSON (``.json``) or TOML (any other suffix) sweep config."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"sweep config '{p}' does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"sweep config '{p}' is not valid "
                         f"{'JSON' if p.suffix == '.json' else 'TOML'}: {e}") from e
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise ValueError(f"sweep config '{p}': unknown key(s) {unknown}; known: "
                         f"{', '.join(sorted(TOP_LEVEL_KEYS))}")
    return SweepSpec(**raw)


def _sample(values: Any, rng: np.random.Generator) -> Any:
    if isinstance(values, list):
        return values[int(rng.integers(len(values)))]
    low, high = values["low"], values["high"]
    if isinstance(low, int) and isinstance(high, int) and not values.get("log"):
        return int(rng.integers(low, high + 1))
    if values.get("log"):
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


# -- one trial (runs as a Ray task) ----------------------------------------------------------
def run_trial(params: dict[str, Any], fixed: dict[str, Any], train: Sequence[Sentence],
              dev: Sequence[Sentence], embeddings: str | None) -> dict[str, Any]:
    """Train one configuration; returns its scores and its exported model's files."""
    start = time.perf_counter()
    config = WindowNERConfig(**{**fixed, **params})
    trainer = NERTrainer(config, train, embeddings_path=embeddings)
    with tempfile.TemporaryDirectory(prefix="graphflow-trial-") as tmp:
        result = trainer.fit(dev, tmp, progress=False, log=lambda _: None)
        files = {str(f.relative_to(tmp)): f.read_bytes() for f in Path(tmp).rglob("*")
                 if f.is_file() and "checkpoints" not in f.relative_to(tmp).parts}
    return {"best_dev_f1": result.best_dev_f1, "best_epoch": result.best_epoch,
            "seconds": time.perf_counter() - start, "files": files}


@dataclass
class TrialRow:
    trial: int
    params: dict[str, Any]
    status: str  # "ok" or "failed"
    best_dev_f1: float | None = None
    best_epoch: int | None = None
    seconds: float | None = None
    error: str | None = None
    model_dir: str | None = None


@dataclass
class SweepResult:
    rows: list[TrialRow]
    best: TrialRow | None
    out_dir: str


def run_sweep(spec: SweepSpec, train: Sequence[Sentence], dev: Sequence[Sentence],
              out_dir: str | Path, log: Callable[[str], None] = print,
              trial: Callable[..., dict[str, Any]] = run_trial) -> SweepResult:
    """Run every trial of ``spec`` on the connected Ray cluster (module docstring)."""
    ray = cluster.require_ray()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = spec.trial_params()
    task = ray.remote(num_cpus=1)(trial)
    train_ref, dev_ref = ray.put(list(train)), ray.put(list(dev))
    running = {task.remote(p, spec.fixed, train_ref, dev_ref, spec.embeddings): i
               for i, p in enumerate(params)}
    log(f"sweep: {len(params)} trials ({spec.search} search over "
        f"{', '.join(sorted(spec.space))}) on {cluster.cluster_cpus():g} CPUs")
    rows: dict[int, TrialRow] = {}
    while running:
        [done], _ = ray.wait(list(running), num_returns=1)
        i = running.pop(done)
        row = _collect(ray, done, i, params[i], out)
        rows[i] = row
        _write_json(out, spec, rows)
        log(f"trial {i} {row.status}: " + (f"dev F1 {row.best_dev_f1:.4f}"
                                           if row.status == "ok" else str(row.error)))
    ordered = [rows[i] for i in sorted(rows)]
    ok = [r for r in ordered if r.status == "ok" and r.best_dev_f1 is not None]
    best = max(ok, key=lambda r: (r.best_dev_f1, -r.trial)) if ok else None
    if best is not None and best.model_dir:
        target = out / "best"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(best.model_dir, target)
    table = format_table(ordered, sorted(spec.space), best)
    (out / "results.tsv").write_text(_tsv(ordered, sorted(spec.space)), encoding="utf-8")
    log(table)
    return SweepResult(ordered, best, str(out))


def _collect(ray: Any, ref: Any, i: int, params: dict[str, Any], out: Path) -> TrialRow:
    try:
        got = ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        text = f"{type(cause).__name__}: {cause}" if cause is not None else str(e)
        return TrialRow(i, params, "failed", error=text.splitlines()[0] if text else "")
    except ray.exceptions.RayError as e:  # the worker process died, the node was lost, ...
        return TrialRow(i, params, "failed",
                        error=f"{type(e).__name__}: {str(e).splitlines()[0]}")
    model_dir = out / "trials" / str(i)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    for rel, data in got["files"].items():
        path = model_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return TrialRow(i, params, "ok", got["best_dev_f1"], got["best_epoch"], got["seconds"],
                    model_dir=str(model_dir))


def _write_json(out: Path, spec: SweepSpec, rows: dict[int, TrialRow]) -> None:
    data = {"spec": asdict(spec), "trials": [asdict(rows[i]) for i in sorted(rows)]}
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out / "results.json")


def format_table(rows: Sequence[TrialRow], names: Sequence[str],
                 best: TrialRow | None) -> str:
    """The results as an aligned text table, best trial marked with ``*``."""
    header = ["trial", *names, "dev F1", "epoch", "seconds", "status"]
    body = []
    for r in rows:
        body.append([f"{r.trial}{'*' if best is r else ''}",
                     *(_fmt(r.params[n]) for n in names),
                     "-" if r.best_dev_f1 is None else f"{r.best_dev_f1:.4f}",
                     "-" if r.best_epoch is None else str(r.best_epoch),
                     "-" if r.seconds is None else f"{r.seconds:.1f}",
                     r.status if r.status == "ok" else f"failed: {r.error}"])
    widths = [max(len(row[c]) for row in [header, *body]) for c in range(len(header) - 1)]
    lines = ["  ".join([*(cell.rjust(w) for cell, w in zip(row[:-1], widths)), row[-1]])
             for row in [header, *body]]
    if best is not None:
        lines.append(f"best: trial {best.trial} (dev F1 {best.best_dev_f1:.4f})")
    else:
        lines.append("best: none (every trial failed)")
    return "\n".join(lines)


def _tsv(rows: Sequence[TrialRow], names: Sequence[str]) -> str:
    lines = ["\t".join(["trial", *names, "dev_f1", "best_epoch", "seconds", "status",
                        "error"])]
    for r in rows:
        lines.append("\t".join([str(r.trial), *(_fmt(r.params[n]) for n in names),
                                "" if r.best_dev_f1 is None else f"{r.best_dev_f1:.6f}",
                                "" if r.best_epoch is None else str(r.best_epoch),
                                "" if r.seconds is None else f"{r.seconds:.2f}",
                                r.status, r.error or ""]))
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def sweep_command(config: str | Path, out_dir: str | Path, address: str | None = None,
                  data: str | None = None, log: Callable[[str], None] = print
                  ) -> SweepResult:
    """``graphflow ner sweep``: read the config and corpus, run on the cluster at ``address``
    (or a local one started for the call). A relative ``data`` path in the config is taken
    from the config file's directory."""
    spec = load_spec(config)
    if data is not None:
        data_dir = Path(data)
    elif spec.data is not None:
        data_dir = Path(config).parent / spec.data
    else:
        data_dir = demo_corpus_dir()
    for split in ("train.txt", "dev.txt"):
        if not (data_dir / split).exists():
            raise FileNotFoundError(f"'{data_dir / split}' not found: the sweep's data must "
                                    "be a directory holding train.txt and dev.txt")
    if spec.embeddings is not None:  # the trials' working directories are Ray's, not ours
        spec.embeddings = str((Path(config).parent / spec.embeddings).resolve())
    train, dev = read_conll(data_dir / "train.txt"), read_conll(data_dir / "dev.txt")
    log(f"data: {data_dir} ({len(train)} train / {len(dev)} dev sentences)")
    with cluster.ray_cluster(address):
        result = run_sweep(spec, train, dev, out_dir, log=log)
    if result.best is not None:
        log(f"best model exported to {Path(out_dir) / 'best'}")
    return result
