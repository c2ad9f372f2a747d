"""PyTorch references of NHFM and DIFM for `seqrisk-bench models` (never run by CI).

Usage: models.py JOB.json

The job (written by `seqrisk-bench models`) names the model, its configuration, the encoded
sessions (`sessions.safetensors`: the tensors of seqrisk's `Batch`), seqrisk's initial and
trained weights (safetensors in PyTorch's layout, named by their paths in seqrisk's modules) and
seqrisk's outputs on the first `parity_sessions` sessions. This script

1. loads the trained weights into the PyTorch model below (strictly: every tensor, every
   shape) and compares its logits and explanation weights with seqrisk's;
2. times training (Adam with L2, BCE on logits, dropout on) from the initial weights and
   inference (eval mode, to the scores as a NumPy array) at each batch size, reading the
   sessions cyclically in the order seqrisk does;

and prints {"torch", "threads", "parity": {output: max |difference|}, "points": [...]}.

The models follow seqrisk's code and the papers' equations; the Bi-LSTM is PyTorch's own
`nn.LSTM` over packed sequences (what a PyTorch user would write): seqrisk's masked LSTM on a
right-aligned history equals a plain LSTM over the real events alone, so the history is shifted
to the front and packed by length.
"""

import json
import math
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn


def hadamard_fm(x, dim):
    """1/2 [(sum_d x)^2 - sum_d x^2]: the sum of the element-wise products of all pairs along
    `dim` (NHFM Eq. 1, DIFM Eqs. 2, 6, 8)."""
    s = x.sum(dim)
    return 0.5 * (s * s - (x * x).sum(dim))


class FieldEmbedding(nn.Module):
    """Feature embeddings v_i, scaled by their values x_i."""

    def __init__(self, n, k):
        super().__init__()
        self.embedding = nn.Embedding(n, k)

    def field_vectors(self, index, value):
        return self.embedding(index) * value.unsqueeze(-1)

    def forward(self, index, value):
        return hadamard_fm(self.field_vectors(index, value), 2)


class ImportanceAware(nn.Module):
    """DIFM Eqs. (3)-(5): a = softmax(<F1 x, F2 x> / sqrt k) over real members, sum a F3 x."""

    def __init__(self, k, own_f2_f3=True):
        super().__init__()
        self.f1 = nn.Linear(k, k)
        self.f2 = nn.Linear(k, k) if own_f2_f3 else None
        self.f3 = nn.Linear(k, k) if own_f2_f3 else None

    def forward(self, x, mask):
        f2 = self.f2 or self.f1
        f3 = self.f3 or self.f1
        scores = (self.f1(x) * f2(x)).sum(2) / math.sqrt(x.shape[2])
        weights = torch.softmax(scores + (mask - 1.0) * 1e9, dim=1) * mask
        return (f3(x) * weights.unsqueeze(-1)).sum(1), weights


class Mlp(nn.Module):
    def __init__(self, d, hidden, dropout):
        super().__init__()
        self.hidden = nn.Linear(d, hidden)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, 1)

    def forward(self, s):
        return self.output(self.dropout(torch.relu(self.hidden(s)))).squeeze(1)


class Wide(nn.Module):
    """f(x) = sum of w_i x_i over every event slot and profile slot, plus w_0."""

    def __init__(self, n):
        super().__init__()
        self.weights = nn.Embedding(n, 1)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, b):
        n = b["event_index"].shape[0]
        index = torch.cat([b["event_index"].reshape(n, -1), b["profile_index"]], 1)
        value = torch.cat([b["event_value"].reshape(n, -1), b["profile_value"]], 1)
        return (self.weights(index).squeeze(2) * value).sum(1) + self.bias


class BiLstm(nn.Module):
    """s_RNN: the final states of a Bi-LSTM over the real history events, the two directions
    summed (NHFM Section 3.3.2). The history is right-aligned (padding first)."""

    def __init__(self, d, h):
        super().__init__()
        self.lstm = nn.LSTM(d, h, batch_first=True, bidirectional=True)

    def forward(self, x, mask):
        b, l, _ = x.shape
        lengths = mask.sum(1).long()
        # shift each row left by its padding, so the real events come first
        start = (l - lengths).unsqueeze(1)
        order = (torch.arange(l).unsqueeze(0) + start) % l
        shifted = torch.gather(x, 1, order.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        packed = nn.utils.rnn.pack_padded_sequence(
            shifted, lengths.clamp(min=1), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = self.lstm(packed)
        return (h_n[0] + h_n[1]) * (lengths > 0).unsqueeze(1).to(x.dtype)


def event_interactions(events, mask):
    """NHFM Eq. (2) and the alpha shares of s_alpha."""
    qe = events * mask.unsqueeze(-1)
    total = qe.sum(1, keepdim=True)
    s_alpha = 0.5 * (total.squeeze(1) ** 2 - (qe * qe).sum(1))
    parts = (0.5 * qe * (total - qe)).abs().sum(2)
    return s_alpha, parts / (parts.sum(1, keepdim=True) + 1e-12)


class Nhfm(nn.Module):
    def __init__(self, cfg, n):
        super().__init__()
        k, h = cfg["embedding_dim"], cfg["lstm_hidden"]
        self.event_extractor = FieldEmbedding(n, k)
        self.self_importance = ImportanceAware(k)
        self.bi_lstm = BiLstm(k, h)
        self.mlp = Mlp(3 * k + h, cfg["mlp_hidden"], cfg["dropout"])
        self.wide = Wide(n)

    def forward(self, b):
        events = self.event_extractor(b["event_index"], b["event_value"])
        history, q = events[:, :-1], b["event_mask"][:, :-1]
        s_alpha, alpha = event_interactions(history, q)
        s_self, beta = self.self_importance(history, q)
        s_rnn = self.bi_lstm(history, q)
        s = torch.cat([s_alpha, s_self, s_rnn, events[:, -1]], 1)
        return self.mlp(s) + self.wide(b), {"alpha": alpha, "beta": beta}


class Difm(nn.Module):
    def __init__(self, cfg, n):
        super().__init__()
        k = cfg["embedding_dim"]
        self.embedding = FieldEmbedding(n, k)
        self.field_importance = ImportanceAware(k)
        self.event_importance = ImportanceAware(k)
        self.mlp = Mlp(3 * k, cfg["mlp_hidden"], cfg["dropout"])
        self.wide = Wide(n)

    def forward(self, b):
        vectors = self.embedding.field_vectors(b["event_index"], b["event_value"])
        events = hadamard_fm(vectors, 2)  # Eq. (8)
        fields = hadamard_fm(vectors, 1)  # Eq. (6)
        ones = torch.ones(fields.shape[:2], dtype=fields.dtype)
        f, field_importance = self.field_importance(fields, ones)
        e_his, event_importance = self.event_importance(events[:, :-1], b["event_mask"][:, :-1])
        s = torch.cat([f, e_his, events[:, -1]], 1)
        return self.mlp(s) + self.wide(b), {
            "event_importance": event_importance,
            "field_importance": field_importance,
        }


def build(job, n):
    kind, cfg = next(iter(job["config"].items()))
    if cfg.get("variant", "Full") != "Full":
        raise SystemExit(f"the reference has the full models only, not {kind} {cfg['variant']}")
    if kind == "Nhfm":
        return Nhfm(cfg, n)
    if kind == "Difm":
        return Difm(cfg, n)
    raise SystemExit(f"no PyTorch reference for {kind}")


def load_weights(model, path):
    """seqrisk's weights into `model`, every tensor accounted for. The Bi-LSTM's tensors are
    renamed to nn.LSTM's (seqrisk's gates have one bias, the input's: bias_hh is 0)."""
    weights = load_file(path)
    state = {}
    for name, tensor in weights.items():
        for direction, suffix in (("forward", ""), ("backward", "_reverse")):
            prefix = f"bi_lstm.{direction}."
            if name.startswith(prefix):
                role = {
                    "input.weight": "weight_ih_l0",
                    "input.bias": "bias_ih_l0",
                    "hidden.weight": "weight_hh_l0",
                }[name[len(prefix):]]
                name = f"bi_lstm.lstm.{role}{suffix}"
                if role == "bias_ih_l0":
                    state[f"bi_lstm.lstm.bias_hh_l0{suffix}"] = torch.zeros_like(tensor)
        state[name] = tensor
    model.load_state_dict(state, strict=True)
    return model


def batch_at(data, index):
    return {name: t[index] for name, t in data.items()}


def cyclic(n_sessions, b, i):
    return (torch.arange(b) + i * b) % n_sessions


def parity(model, data, outputs_path, n):
    native = load_file(outputs_path)
    model.eval()
    with torch.inference_mode():
        logits, explanations = model(batch_at(data, torch.arange(n)))
    mine = {"logits": logits, **explanations}
    if set(mine) != set(native):
        raise SystemExit(f"outputs differ: PyTorch {sorted(mine)}, seqrisk {sorted(native)}")
    return {k: float((mine[k] - native[k]).abs().max()) for k in sorted(native)}


def train_speed(job, data, n_features, b, steps):
    torch.manual_seed(job["seed"])
    model = load_weights(build(job, n_features), job["initial_weights"])
    model.train()
    # seqrisk's Adam: burn's defaults (betas 0.9, 0.999, eps 1e-5) with L2 weight decay
    opt = torch.optim.Adam(
        model.parameters(), lr=job["learning_rate"], eps=1e-5, weight_decay=job["weight_decay"]
    )
    loss_fn = nn.BCEWithLogitsLoss()
    n = data["labels"].shape[0]
    for step in range(steps + 1):
        if step == 1:
            started = time.perf_counter()
        batch = batch_at(data, cyclic(n, b, step))
        opt.zero_grad()
        logits, _ = model(batch)
        loss_fn(logits, batch["labels"]).backward()
        opt.step()
    return steps * b / (time.perf_counter() - started)


def infer_speed(model, data, b, calls):
    model.eval()
    n = data["labels"].shape[0]
    samples = []
    with torch.inference_mode():
        for call in range(calls + 3):
            started = time.perf_counter()
            logits, _ = model(batch_at(data, cyclic(n, b, call)))
            torch.sigmoid(logits).numpy()
            if call >= 3:
                samples.append((time.perf_counter() - started) * 1e3)
    samples.sort()

    def at(q):
        return samples[round((len(samples) - 1) * q)]

    return at(0.5), at(0.99), b / (sum(samples) / len(samples) / 1e3)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    data = load_file(job["data"])
    mask = data["event_mask"]
    t = mask.shape[1]
    if not torch.equal(mask, (torch.arange(t) >= t - mask.sum(1, keepdim=True)).to(mask.dtype)):
        raise SystemExit("the sessions' event masks are not right-aligned")
    n_features = load_file(job["trained_weights"])["wide.weights.weight"].shape[0]
    trained = load_weights(build(job, n_features), job["trained_weights"])
    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parity": parity(trained, data, job["native_outputs"], job["parity_sessions"]),
        "points": [],
    }
    for b, train_steps, infer_calls in job["batches"]:
        print(f"PyTorch {job['model']}: batch {b}", file=sys.stderr)
        train_rate = train_speed(job, data, n_features, b, train_steps)
        p50, p99, infer_rate = infer_speed(trained, data, b, infer_calls)
        report["points"].append(
            {
                "batch": b,
                "train_sessions_per_s": train_rate,
                "infer_sessions_per_s": infer_rate,
                "infer_p50_ms": p50,
                "infer_p99_ms": p99,
            }
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
