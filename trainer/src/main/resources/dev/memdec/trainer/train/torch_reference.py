"""PyTorch eager reference for memdec's DJL trainer (run by Debian's /usr/bin/python3 with python3-torch).

The GPT-2 forward pass and the Memory Decoder loss (reference-spec section 6.3) written in plain torch, with
torch.optim.AdamW, LambdaLR linear decay and clip_grad_norm_ as the reference trainer uses them. The Java side
(dev.memdec.trainer.train.TorchReference) writes the weights and batches to a safetensors file and reads the
results back from another.

  torch_reference.py check IN OUT        one forward/backward per batch, an optimizer step after each; writes the
                                         first batch's logits, and each step's loss terms, raw gradients and
                                         updated weights
  torch_reference.py bench IN OUT WARMUP STEPS
                                         times WARMUP + STEPS training steps cycling over the batches; writes the
                                         timed wall and process CPU seconds and tokens

Every value in IN is float32 (token ids are exact below 2^24); the header's __metadata__ holds the shape and
the hyper-parameters. Threads: torch.set_num_threads(metadata threads), and the caller sets OMP_NUM_THREADS.
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + header_len
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(raw, dtype="<f4", count=(end - begin) // 4, offset=base + begin)
        tensors[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return meta, tensors


def write_safetensors(path, tensors, meta=None):
    header = {"__metadata__": meta or {}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


class Gpt2:
    """GPT-2: learned positions, pre-LN blocks with fused QKV, tanh GELU, final LayerNorm, head tied to wte."""

    def __init__(self, tensors, layers, heads, eps):
        self.p = {name: t.clone().requires_grad_(True) for name, t in tensors.items() if not name.startswith("batch")}
        self.layers = layers
        self.heads = heads
        self.eps = eps

    def parameters(self):
        return list(self.p.values())

    def ln(self, x, prefix):
        return F.layer_norm(x, (x.shape[-1],), self.p[prefix + ".weight"], self.p[prefix + ".bias"], self.eps)

    def linear(self, x, prefix):
        return F.linear(x, self.p[prefix + ".weight"], self.p[prefix + ".bias"])

    @staticmethod
    def gelu_tanh(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))

    def forward(self, tokens):
        b, t = tokens.shape
        d = self.p["token_embd.weight"].shape[1]
        hd = d // self.heads
        x = F.embedding(tokens, self.p["token_embd.weight"]) + self.p["position_embd.weight"][:t]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        for layer in range(self.layers):
            blk = f"blk.{layer}."
            q, k, v = self.linear(self.ln(x, blk + "attn_norm"), blk + "attn_qkv").split(d, dim=-1)
            q = q.view(b, t, self.heads, hd).transpose(1, 2)
            k = k.view(b, t, self.heads, hd).transpose(1, 2)
            v = v.view(b, t, self.heads, hd).transpose(1, 2)
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
            attention = scores.masked_fill(~causal, float("-inf")).softmax(-1)
            y = (attention @ v).transpose(1, 2).reshape(b, t, d)
            x = x + self.linear(y, blk + "attn_output")
            x = x + self.linear(self.gelu_tanh(self.linear(self.ln(x, blk + "ffn_norm"), blk + "ffn_up")), blk + "ffn_down")
        return F.linear(self.ln(x, "output_norm"), self.p["token_embd.weight"])


def batches(tensors):
    out = []
    i = 0
    while f"batch{i}.tokens" in tensors:
        get = lambda field: tensors[f"batch{i}.{field}"]
        out.append({"tokens": get("tokens").long(), "labels": get("labels").long(), "offsets": get("knn_offsets").long(),
                    "ids": get("knn_ids").long(), "probs": get("knn_probs").double()})
        i += 1
    return out


def dense_loss(logits, batch, beta):
    """The reference's kl_loss_token: densified kNN rows, renormalised; KL(p_kNN || p_mem) + CE, per-token means."""
    vocab = logits.shape[-1]
    logits_s = logits[:, :-1].reshape(-1, vocab)
    labels_s = batch["labels"][:, 1:].reshape(-1)
    mask = labels_s != -100
    logq = logits_s[mask].log_softmax(-1)
    n = logq.shape[0]
    rows = torch.repeat_interleave(torch.arange(n), batch["offsets"][1:] - batch["offsets"][:-1])
    knn = torch.zeros(n, vocab, dtype=torch.float64).index_put_((rows, batch["ids"]), batch["probs"], accumulate=True)
    p = (knn / knn.sum(-1, keepdim=True)).to(torch.float32)
    kl = (torch.xlogy(p, p) - p * logq).sum() / n
    ce = F.nll_loss(logq, labels_s[mask])
    return beta * kl + (1 - beta) * ce, kl, ce


def sparse_loss(logits, batch, beta):
    """The same loss gathered at the kNN ids only (what the DJL trainer computes), for timing like with like."""
    vocab = logits.shape[-1]
    labels_s = batch["labels"][:, 1:].reshape(-1)
    mask = labels_s != -100
    logq = logits[:, :-1].reshape(-1, vocab)[mask].log_softmax(-1)
    n = logq.shape[0]
    rows = torch.repeat_interleave(torch.arange(n), batch["offsets"][1:] - batch["offsets"][:-1])
    totals = torch.zeros(n, dtype=torch.float64).index_add_(0, rows, batch["probs"])
    p = batch["probs"] / totals[rows]
    neg_entropy = float(torch.xlogy(p, p).sum())
    kl = neg_entropy / n - (p.to(torch.float32) * logq[rows, batch["ids"]]).sum() / n
    ce = F.nll_loss(logq, labels_s[mask])
    return beta * kl + (1 - beta) * ce, kl, ce


def optimizer(model, meta):
    total = int(meta["total_steps"])
    opt = torch.optim.AdamW(model.parameters(), lr=float(meta["lr"]), betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, (total - step) / total))
    return opt, schedule


def forward_backward(model, batch, beta, loss_fn):
    logits = model.forward(batch["tokens"])
    loss, kl, ce = loss_fn(logits, batch, beta)
    loss.backward()
    return logits, loss, kl, ce


def clip_and_step(model, opt, schedule, clip):
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    schedule.step()
    opt.zero_grad(set_to_none=False)
    return norm


def check(meta, tensors, out_path):
    model = Gpt2(tensors, int(meta["layers"]), int(meta["heads"]), float(meta["eps"]))
    opt, schedule = optimizer(model, meta)
    beta, clip = float(meta["beta"]), float(meta["clip"])
    results = {}
    for step, batch in enumerate(batches(tensors)):
        logits, loss, kl, ce = forward_backward(model, batch, beta, dense_loss)
        if step == 0:
            results["logits"] = logits
        for name, p in model.p.items():
            results[f"step{step}.grad.{name}"] = p.grad.clone()
        norm = clip_and_step(model, opt, schedule, clip)
        results[f"step{step}.terms"] = torch.tensor([float(loss), float(kl), float(ce), float(norm)])
        for name, p in model.p.items():
            results[f"step{step}.param.{name}"] = p.clone()
    write_safetensors(out_path, results, {"torch_version": torch.__version__})


def bench(meta, tensors, out_path, warmup, steps):
    model = Gpt2(tensors, int(meta["layers"]), int(meta["heads"]), float(meta["eps"]))
    opt, schedule = optimizer(model, meta)
    beta, clip = float(meta["beta"]), float(meta["clip"])
    data = batches(tensors)
    seconds = 0.0
    cpu_seconds = 0.0
    tokens = 0
    for step in range(warmup + steps):
        batch = data[step % len(data)]
        start = time.perf_counter()
        cpu_start = time.process_time()
        forward_backward(model, batch, beta, sparse_loss)
        clip_and_step(model, opt, schedule, clip)
        if step >= warmup:
            seconds += time.perf_counter() - start
            cpu_seconds += time.process_time() - cpu_start
            tokens += batch["tokens"].numel()
    write_safetensors(out_path, {"seconds": torch.tensor([seconds]), "cpu_seconds": torch.tensor([cpu_seconds]),
                                 "tokens": torch.tensor([float(tokens)])},
                      {"torch_version": torch.__version__, "threads": str(torch.get_num_threads())})


def main(argv):
    if len(argv) < 3 or argv[0] not in ("check", "bench"):
        sys.exit("usage: torch_reference.py check IN OUT | bench IN OUT WARMUP STEPS")
    meta, tensors = read_safetensors(argv[1])
    torch.manual_seed(0)
    torch.set_num_threads(int(meta["threads"]))
    if argv[0] == "check":
        check(meta, tensors, argv[2])
    else:
        bench(meta, tensors, argv[2], int(argv[3]), int(argv[4]))


if __name__ == "__main__":
    main(sys.argv[1:])
