"""PyTorch peer for `ssbench bench`: the same BERT, objective and batch shape, timed the same way.

Reads the JSON that `ssbench bench --json FILE` wrote (model sizes, batch, sequence length, vocabulary, MLM
prediction count, NSP on/off), builds the model in plain PyTorch (post-LN BERT as in google-research/bert
modeling.py: erf GELU, LayerNorm eps 1e-12, tied MLM decoder, pooler + NSP head; hidden dropout, no attention
dropout, like ssbench), and times a full training step (forward, backward, AdamW) and an inference forward
pass: 3 warm-up runs, then the median and p90 of the timed runs. Prints a side-by-side table with ssbench's
numbers from the same file.

Run it through `pnpm bench:peers` (bench/peers/run.sh), which sets the thread environment that STACK.md says
PyTorch needs on this machine to be timed fairly (OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY=PASSIVE).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, h, heads, inter, p):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.o = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.i = nn.Linear(h, inter)
        self.out = nn.Linear(inter, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(p)

    def forward(self, x, bias):  # x [B,S,H], bias [B,1,1,S]
        b, s, h = x.shape
        dh = h // self.heads
        split = lambda t: t.view(b, s, self.heads, dh).transpose(1, 2)  # [B,heads,S,dh]
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)  # [B,heads,S,S]
        ctx = (att @ v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.out(F.gelu(self.i(x)))))


class Bert(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        h = c["hiddenSize"]
        p = c.get("hiddenDropout", 0.1)
        self.word = nn.Embedding(vocab, h)
        self.pos = nn.Embedding(c["maxPositions"], h)
        self.typ = nn.Embedding(c.get("typeVocabSize", 2), h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList(Layer(h, c["numHeads"], c["intermediateSize"], p) for _ in range(c["numLayers"]))
        self.pool = nn.Linear(h, h)
        self.t_dense = nn.Linear(h, h)
        self.t_ln = nn.LayerNorm(h, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab))
        self.nsp = nn.Linear(h, 2)
        self.cls = nn.Linear(h, 2)

    def encode(self, ids, types, mask):
        s = ids.shape[1]
        x = self.word(ids) + self.pos(torch.arange(s)) + self.typ(types)
        x = self.drop(self.ln(x))
        bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return x, torch.tanh(self.pool(x[:, 0]))

    def pretrain_loss(self, ids, types, mask, positions, labels, weights, nsp_labels):
        seq, pooled = self.encode(ids, types, mask)
        picked = seq.reshape(-1, seq.shape[-1])[positions]  # [B*P, H]
        t = self.t_ln(F.gelu(self.t_dense(picked)))
        logits = t @ self.word.weight.t() + self.mlm_bias  # [B*P, V]
        nll = F.cross_entropy(logits, labels, reduction="none")
        loss = (nll * weights).sum() / weights.sum().clamp_min(1e-6)
        if nsp_labels is not None:
            loss = loss + F.cross_entropy(self.nsp(pooled), nsp_labels)
        return loss


def timed(fn, warmup, runs):
    times = []
    for _ in range(warmup + runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    timed_runs = sorted(times[warmup:])
    p90 = timed_runs[min(len(timed_runs) - 1, math.ceil(0.9 * len(timed_runs)) - 1)]
    return statistics.median(timed_runs), p90


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", help="JSON written by `ssbench bench --json`")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    spec = json.load(open(a.spec))
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c, vocab, bsz, seq = spec["modelConfig"], spec["vocabSize"], spec["batchSize"], spec["seqLen"]
    preds = spec["predictionsPerBatch"]
    model = Bert(c, vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, eps=1e-6)
    ids = torch.randint(5, vocab, (bsz, seq))
    types = torch.zeros(bsz, seq, dtype=torch.long)
    mask = torch.ones(bsz, seq)
    positions = torch.randint(0, bsz * seq, (preds,))
    labels = torch.randint(5, vocab, (preds,))
    weights = torch.ones(preds)
    nsp = torch.randint(0, 2, (bsz,)) if spec.get("nsp") else None

    def train_step():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = model.pretrain_loss(ids, types, mask, positions, labels, weights, nsp)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    def infer():
        model.eval()
        with torch.no_grad():
            _, pooled = model.encode(ids, types, mask)
            model.cls(pooled)

    train_med, train_p90 = timed(train_step, 3, a.steps)
    infer_med, infer_p90 = timed(infer, 3, a.steps)
    print(f"torch {torch.__version__} ({a.threads} thread(s)): train step {train_med:.1f} ms (p90 {train_p90:.1f}), inference {infer_med:.2f} ms (p90 {infer_p90:.2f})")
    print()
    print(f"| backend | train step ms | ratio to torch | inference ms | ratio to torch |")
    print(f"| --- | --- | --- | --- | --- |")
    print(f"| torch {torch.__version__} | {train_med:.1f} | 1.00 | {infer_med:.2f} | 1.00 |")
    for r in spec["rows"]:
        if not r.get("available"):
            print(f"| {r['backend']} | unavailable | | | |")
            continue
        t, i = r["trainStepMs"]["median"], r["inferenceMs"]["median"]
        print(f"| {r['backend']} | {t:.1f} | {t / train_med:.2f} | {i:.2f} | {i / infer_med:.2f} |")
    print()
    print("ratio = ssbench time / torch time (below 1: ssbench is faster)")


if __name__ == "__main__":
    main()
