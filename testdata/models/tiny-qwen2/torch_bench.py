"""PyTorch side of the speed comparison for config (a) (this directory's
config.json): a plain-PyTorch Qwen2 decoder (same math as transformers'
eager Qwen2: RMSNorm, GQA via repeat, rotate-half RoPE, SwiGLU, tied head),
float32, batch 8 x 128, timing a training step (forward + backward + AdamW)
and a scoring forward (per-token log-probs). Run beside
`go test -bench . ./policy/` on the same machine:

    /usr/bin/python3 testdata/models/tiny-qwen2/torch_bench.py [threads]

With a model directory as second argument it loads model.safetensors
written by the Go code and prints the logits of ids 1..8 instead, for a
cross-check against `acecoder logits`."""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = d // self.h
        ff = c["intermediate_size"]
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.self_attn = nn.Module()
        self.self_attn.q_proj = nn.Linear(d, self.h * self.hd)
        self.self_attn.k_proj = nn.Linear(d, self.kv * self.hd)
        self.self_attn.v_proj = nn.Linear(d, self.kv * self.hd)
        self.self_attn.o_proj = nn.Linear(self.h * self.hd, d, bias=False)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(d, ff, bias=False)
        self.mlp.up_proj = nn.Linear(d, ff, bias=False)
        self.mlp.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x, cos, sin, bias):
        b, s, _ = x.shape
        a = self.self_attn
        h = self.input_layernorm(x)
        q = a.q_proj(h).view(b, s, self.h, self.hd).transpose(1, 2)
        k = a.k_proj(h).view(b, s, self.kv, self.hd).transpose(1, 2)
        v = a.v_proj(h).view(b, s, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        g = self.h // self.kv
        k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
        w = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(self.hd) + bias, -1)
        x = x + a.o_proj((w @ v).transpose(1, 2).reshape(b, s, -1))
        h = self.post_attention_layernorm(x)
        m = self.mlp
        return x + m.down_proj(nn.functional.silu(m.gate_proj(h)) * m.up_proj(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.model.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.model.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, ids, pos, mask):
        hd = self.c["hidden_size"] // self.c["num_attention_heads"]
        inv = 1.0 / (self.c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        f = pos.float()[..., None] * inv
        emb = torch.cat((f, f), -1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        s = ids.shape[1]
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        allowed = causal[None] & mask.bool()[:, None, :]
        bias = torch.where(allowed, 0.0, torch.finfo(torch.float32).min)[:, None]
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, bias)
        return self.model.norm(x) @ self.model.embed_tokens.weight.T


def load_safetensors(model, path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        b, e = info["data_offsets"]
        state[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).view(info["shape"])
    model.load_state_dict(state, strict=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    c = json.load(open(os.path.join(HERE, "config.json")))
    torch.manual_seed(1)
    model = Model(c)
    if len(sys.argv) > 2:
        load_safetensors(model, os.path.join(sys.argv[2], "model.safetensors"))
        ids = torch.arange(1, 9)[None]
        with torch.no_grad():
            print(json.dumps({"logits": model(ids, torch.arange(8)[None], torch.ones(1, 8)).tolist()[0]}))
        return
    bsz, seq = 8, 128
    ids = torch.randint(0, c["vocab_size"], (bsz, seq))
    pos = torch.arange(seq)[None].expand(bsz, seq)
    mask = torch.ones(bsz, seq)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

    def train():
        logits = model(ids, pos, mask)
        loss = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, c["vocab_size"]), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def score():
        with torch.no_grad():
            lp = torch.log_softmax(model(ids, pos, mask)[:, :-1], -1)
            return lp.gather(-1, ids[:, 1:, None])

    for name, fn in (("train", train), ("score", score)):
        fn()
        iters, start, cpu = 10, time.time(), time.process_time()
        for _ in range(iters):
            fn()
        wall, cpu = (time.time() - start) / iters, (time.process_time() - cpu) / iters
        print("torch %s (%d threads): %.1f ms/step, %.1f cpu-ms/step, %.0f tok/s" % (
            name, threads, wall * 1000, cpu * 1000, bsz * seq / wall))


if __name__ == "__main__":
    main()
