"""The training loop: setup -> state -> one jitted step -> loop with metrics and checkpoints.

``Trainer.default_config()`` is the root of every LM recipe, so a recipe's canonical text
names the model, the data, the optimizer, the mesh and the checkpointing. The loop reads
each step's metrics one step late: the device always has the next step queued, and no
more than two are ever in flight (many queued steps hang 8 simulated CPU devices on
jax 0.10).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec

from cfgdiff import canonical
from cfgdiff.config import REQUIRED, Configurable, Required, build
from cfgdiff.errors import CfgdiffError
from cfgdiff.runs import read_records
from cfgdiff.train import checkpoint as checkpoint_lib
from cfgdiff.train import memory
from cfgdiff.train import mesh as mesh_lib
from cfgdiff.train import validate
from cfgdiff.train.checkpoint import Checkpointer
from cfgdiff.train.data import TextDataset
from cfgdiff.train.metrics import MetricsLog, peak_flops
from cfgdiff.train.model import Decoder
from cfgdiff.train.optimizer import find_learning_rate

#: Logical axis -> mesh axes. Batches split over data and fsdp; parameters shard their
#: ``embed`` dimension over fsdp and their head / MLP / vocab dimension over model.
DEFAULT_AXIS_RULES: dict[str, Any] = {
    "batch": ("data", "fsdp"),
    "embed": "fsdp",
    "heads": "model",
    "kv_heads": "model",
    "mlp": "model",
    "vocab": "model",
    "layers": None,
    "norm": None,
}


class TrainState(NamedTuple):
    """Everything a step changes: the update count, the parameters and the optimizer state."""

    step: jax.Array
    params: Any
    opt_state: Any


class TrainingDiverged(RuntimeError):
    """The loss or gradient norm became NaN or inf; the message names the last good checkpoint."""


class ResumeError(CfgdiffError):
    """A run directory that this config cannot continue: it is further along, or its corpus changed."""


class Trainer(Configurable):
    """Trains a :class:`~cfgdiff.train.model.Decoder` on a :class:`~cfgdiff.train.data.TextDataset`."""

    class Config(Configurable.Config):
        model: Decoder.Config = Decoder.default_config()
        data: TextDataset.Config = TextDataset.default_config()
        optimizer: Required[Any] = REQUIRED  # a config that builds an optax.GradientTransformation
        max_steps: Required[int] = REQUIRED
        seed: int = 0  # parameter initialization
        mesh_shape: tuple[int, ...] = (-1, 1, 1)  # -1: the devices left over
        mesh_axis_names: tuple[str, ...] = ("data", "fsdp", "model")
        axis_rules: dict[str, Any] = DEFAULT_AXIS_RULES
        checkpoint: Checkpointer.Config = Checkpointer.default_config()
        eval_every: int = 100
        eval_batches: int = 4
        peak_flops_per_device: float | None = None  # None: looked up from the device kind

    def __init__(self, cfg: Config, *, devices: list[Any] | None = None) -> None:
        super().__init__(cfg)
        validate.check(cfg, jax.devices() if devices is None else devices, jax.process_count())
        self.cfg = cfg
        self.model: Decoder = cfg.model.instantiate()
        self.data: TextDataset = cfg.data.instantiate()
        self._compiled: tuple[Any, float] | None = None
        self.optimizer: optax.GradientTransformation = build(cfg.optimizer)
        lr = find_learning_rate(cfg.optimizer)
        self.learning_rate = build(lr) if lr is not None else 0.0
        self.mesh = mesh_lib.make_mesh(cfg.mesh_shape, cfg.mesh_axis_names, devices)
        self._shardings()

    # -- setup --------------------------------------------------------------------------
    def _shardings(self) -> None:
        rules, mesh = self.cfg.axis_rules, self.mesh
        replicated = NamedSharding(mesh, PartitionSpec())
        params = mesh_lib.tree_shardings(self.model.param_axes(), self.model.param_shapes(), rules, mesh)
        abstract_params = jax.eval_shape(self.model.init, jax.random.key(0))
        opt_state = optax.tree_map_params(
            self.optimizer,
            lambda _, sharding: sharding,
            jax.eval_shape(self.optimizer.init, abstract_params),
            params,
            transform_non_params=lambda _: replicated,
        )
        self.state_sharding = TrainState(replicated, params, opt_state)
        seq, batch = self.cfg.data.seq_len, self.cfg.data.global_batch_size
        spec = mesh_lib.partition_spec(("batch", None), (batch, seq), rules, mesh)
        self.batch_sharding = NamedSharding(mesh, spec)
        self.model.activation_sharding = NamedSharding(mesh, PartitionSpec(spec[0], None, None))
        self.replicated = replicated

    def _init_state(self, key: jax.Array) -> TrainState:
        params = self.model.init(key)
        return TrainState(jnp.zeros((), jnp.int32), params, self.optimizer.init(params))

    def abstract_state(self) -> TrainState:
        """The state's shapes, dtypes and shardings, with nothing allocated."""
        shapes = jax.eval_shape(self._init_state, jax.random.key(0))
        return jax.tree.map(lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh), shapes, self.state_sharding)

    def abstract_batch(self) -> dict[str, jax.ShapeDtypeStruct]:
        """The global batch's shapes and sharding."""
        shape = (self.cfg.data.global_batch_size, self.cfg.data.seq_len)
        spec = jax.ShapeDtypeStruct(shape, jnp.int32, sharding=self.batch_sharding)
        return {"inputs": spec, "targets": spec}

    def init_state(self) -> TrainState:
        """Fresh parameters and optimizer state, created already sharded."""
        init = jax.jit(self._init_state, out_shardings=self.state_sharding)
        return init(jax.random.key(self.cfg.seed))

    # -- the step -----------------------------------------------------------------------
    def train_step(self, state: TrainState, batch: dict[str, jax.Array]) -> tuple[TrainState, dict[str, jax.Array]]:
        """One optimizer update; pure, so it is jitted (and AOT-compiled) once."""
        loss, grads = jax.value_and_grad(self.model.loss)(state.params, batch["inputs"], batch["targets"])
        updates, opt_state = self.optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        lr = self.learning_rate(state.step) if callable(self.learning_rate) else self.learning_rate
        metrics = {
            "loss": loss,
            "grad_norm": global_norm(grads),
            "param_norm": global_norm(params),  # non-finite here means this state must not be saved
            "lr": jnp.asarray(lr, jnp.float32),
        }
        return TrainState(state.step + 1, params, opt_state), metrics

    def eval_step(self, params: Any, batch: dict[str, jax.Array]) -> jax.Array:
        """Mean loss on one batch."""
        return self.model.loss(params, batch["inputs"], batch["targets"])

    def lower_train_step(self) -> Any:
        """The train step lowered for this mesh from abstract shapes (``.compile()`` it)."""
        step = jax.jit(
            self.train_step,
            in_shardings=(self.state_sharding, self.batch_sharding),
            out_shardings=(self.state_sharding, self.replicated),
            donate_argnums=0,
        )
        return step.lower(self.abstract_state(), self.abstract_batch())

    def compile_train_step(self) -> tuple[Any, float]:
        """The compiled train step and its compile seconds, once it is known to fit in memory.

        Raises :class:`~cfgdiff.train.memory.DoesNotFit` before anything is allocated.
        """
        if self._compiled is None:
            device = self.mesh.local_devices[0]
            available = memory.device_memory(device)
            state = memory.shard_bytes(self.abstract_state())
            # Only the sharding of the state shrinks the state; activations also shrink with the batch and remat.
            memory.check_fits(state, available, "parameters and optimizer state alone", device, "more devices or a smaller model")
            t0 = time.perf_counter()
            compiled = self.lower_train_step().compile()
            compile_s = time.perf_counter() - t0
            remedies = "more devices, a smaller model or batch" + ("" if self.cfg.model.remat else ", model.remat=True")
            memory.check_fits(memory.compiled_bytes(compiled), available, "state, batch and activations (XLA's memory analysis)", device, remedies)
            self._compiled = (compiled, compile_s)
        return self._compiled

    def check_resume(self, run_dir: str, allow_corpus_change: bool = False) -> int:
        """The step ``run_dir`` resumes from (0 for a new run), once it is safe to continue there.

        Refuses, changing nothing, a run already past ``max_steps`` and (unless allowed) a
        run whose recorded corpus hash differs from this config's corpus.
        """
        start = checkpoint_lib.latest_step(os.path.join(run_dir, "checkpoints")) or 0
        if start > self.cfg.max_steps:
            raise ResumeError(f"{run_dir} is already at step {start}, past max_steps={self.cfg.max_steps}; nothing changed (--steps N with N >= {start} trains further)")
        info_path = os.path.join(run_dir, "data.json")
        if start and os.path.exists(info_path) and not allow_corpus_change:
            with open(info_path, encoding="utf-8") as f:
                old = json.load(f).get("corpus_sha256")
            new = self.data.corpus_hash()
            if old != new:
                raise ResumeError(
                    f"{run_dir} was trained on corpus sha256 {old}, and this config's corpus is sha256 {new}; "
                    f"use a new --run-dir, or --allow-corpus-change to continue on the new corpus"
                )
        return start

    def prepare(self, run_dir: str, allow_corpus_change: bool = False) -> int:
        """Everything that can fail before a run writes anything: resume checks, the corpus, memory, compile.

        Returns the step the run starts from.
        """
        start = self.check_resume(run_dir, allow_corpus_change)
        if start < self.cfg.max_steps:
            _ = self.data.tokens  # a missing or too small corpus fails now, not after the run dir is written
            self.compile_train_step()
        return start

    def tokens_per_step(self) -> int:
        """Tokens in one global batch."""
        return self.cfg.data.global_batch_size * self.cfg.data.seq_len

    def flops_per_step(self) -> float:
        """Model FLOPs of one train step (see ``Decoder.flops_per_token``)."""
        return self.model.flops_per_token(self.cfg.data.seq_len) * self.tokens_per_step()

    # -- the loop -----------------------------------------------------------------------
    def _device_batch(self, batch: dict[str, np.ndarray]) -> dict[str, jax.Array]:
        shape = (self.cfg.data.global_batch_size, self.cfg.data.seq_len)
        return {k: jax.make_array_from_process_local_data(self.batch_sharding, v, shape) for k, v in batch.items()}

    def run(self, run_dir: str, allow_corpus_change: bool = False, progress_every_s: float = 10.0) -> list[dict[str, Any]]:
        """Train to ``max_steps`` in ``run_dir``, resuming from its latest checkpoint.

        Returns the metrics of the steps run now (also appended to ``metrics.jsonl``).
        Raises :class:`ResumeError` or :class:`~cfgdiff.train.memory.DoesNotFit` before
        touching ``run_dir``, and :class:`TrainingDiverged` on a NaN or inf loss.
        """
        cfg = self.cfg
        start = self.prepare(run_dir, allow_corpus_change)
        if start >= cfg.max_steps:
            return []
        step_fn, compile_s = self.compile_train_step()
        shard = (jax.process_index(), jax.process_count())
        lead = jax.process_index() == 0
        os.makedirs(run_dir, exist_ok=True)
        checkpointer: Checkpointer = cfg.checkpoint.instantiate(directory=os.path.join(run_dir, "checkpoints"))
        metrics_path = os.path.join(run_dir, "metrics.jsonl")
        kept: list[dict[str, Any]] = []
        if lead:
            self._write_data_info(run_dir)
            kept = _truncate_metrics(metrics_path, start)
        if start:
            abstract = self.abstract_state()
            restored = checkpointer.restore(start, abstract.params, abstract.opt_state)
            state = TrainState(jax.device_put(jnp.int32(start), self.replicated), restored["params"], restored["opt_state"])
        else:
            state = self.init_state()
        eval_fn = jax.jit(self.eval_step, in_shardings=(self.state_sharding.params, self.batch_sharding))
        peak = cfg.peak_flops_per_device or peak_flops(jax.devices()[0].device_kind)
        flops_per_token = self.model.flops_per_token(cfg.data.seq_len)
        log = MetricsLog(metrics_path, cfg.max_steps, start, progress_every_s=progress_every_s) if lead else None  # process 0 reports
        records: list[dict[str, Any]] = []
        pending: dict[str, Any] | None = None
        last_time = time.perf_counter()
        # Wall time continues across resumes from the last record kept.
        wall_start = last_time - (kept[-1].get("wall_time") or 0.0 if kept else 0.0) - compile_s
        device = self.mesh.local_devices[0]

        def finish(p: dict[str, Any]) -> None:
            # Reading a step's metrics waits for that step only: the next one is already queued.
            nonlocal last_time
            values = {k: float(v) for k, v in jax.device_get(p["arrays"]).items()}
            now = time.perf_counter()
            step_time, last_time = now - last_time, now
            bad = [k for k in ("loss", "grad_norm", "param_norm") if not math.isfinite(values[k])]
            if bad:
                checkpointer.wait()
                good = checkpointer.latest_step()
                where = f"step {good} in {checkpointer.directory}" if good is not None else "none (no checkpoint was saved yet)"
                found = ", ".join(f"{k} {values[k]}" for k in bad)
                raise TrainingDiverged(f"{found} at step {p['step']}: training stopped; last good checkpoint: {where}")
            tokens_per_s = self.tokens_per_step() / step_time
            stats = device.memory_stats() or {}
            record = {"step": p["step"], **values, "step_time": step_time, "tokens_per_s": tokens_per_s,
                      "mfu": flops_per_token * tokens_per_s / (peak * jax.device_count()) if peak else None,
                      "tokens_seen": p["step"] * self.tokens_per_step(), "wall_time": now - wall_start,
                      "peak_memory": stats.get("peak_bytes_in_use")}
            if p["step"] == start + 1:
                record["compile_s"] = compile_s
            records.append(record)
            if log is not None:
                log.write(record)

        try:
            for step in range(start, cfg.max_steps):
                state, arrays = step_fn(state, self._device_batch(self.data.batch(step, shard)))
                if pending is not None:
                    finish(pending)
                done = step + 1
                pending = {"step": done, "arrays": arrays}
                if done % cfg.eval_every == 0 or done == cfg.max_steps:
                    batches = [self._device_batch(self.data.eval_batch(i, shard)) for i in range(cfg.eval_batches)]
                    pending["arrays"]["eval_loss"] = sum(eval_fn(state.params, b) for b in batches) / len(batches)
                if done % cfg.checkpoint.every_steps == 0 or done == cfg.max_steps:
                    finish(pending)  # never save a state whose step was not finite
                    pending = None
                    checkpointer.save(done, state.params, state.opt_state)
            if pending is not None:
                finish(pending)
        finally:
            checkpointer.close()
            if log is not None:
                log.close()
        return records

    def _write_data_info(self, run_dir: str) -> None:
        info = {
            "corpus_sha256": self.data.corpus_hash(),
            "corpus_bytes": int(len(self.data.tokens)),
            "python": sys.version.split()[0],
            "jax": jax.__version__,
            "devices": f"{jax.device_count()} x {jax.devices()[0].device_kind}",
            "attention": self.model.attention_impl,
        }
        canonical.write_text_atomic(os.path.join(run_dir, "data.json"), json.dumps(info, indent=1) + "\n")


def global_norm(tree: Any) -> jax.Array:
    """The L2 norm of all leaves together, in float32 (optax renamed its own between releases)."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(x.astype(jnp.float32))) for x in jax.tree.leaves(tree)))


def _truncate_metrics(path: str, last_step: int) -> list[dict[str, Any]]:
    """Drop records after ``last_step`` (a resumed run redoes those steps), and a line cut
    short by a kill; the records kept."""
    if not os.path.exists(path):
        return []
    kept = [record for record in read_records(path)[0] if record["step"] <= last_step]
    canonical.write_text_atomic(path, "".join(json.dumps(record) + "\n" for record in kept))
    return kept
