"""Forward tokens/s of a random Qwen2 model built from config.json, in
PyTorch + transformers, float32, batch 8 x 512 (the same measurement as the
Go GPU check, policy/gpu_test.go). Usage: python3 torch_forward.py [cuda|cpu]"""
import os
import sys
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

device = sys.argv[1] if len(sys.argv) > 1 else "cuda"
here = os.path.dirname(os.path.abspath(__file__))
cfg = Qwen2Config.from_json_file(os.path.join(here, "config.json"))
torch.manual_seed(1)
model = Qwen2ForCausalLM(cfg).to(device=device, dtype=torch.float32).eval()
bsz, seq, iters = 8, 512, 10
ids = torch.randint(0, cfg.vocab_size, (bsz, seq), device=device)


def step():
    with torch.no_grad():
        logits = model(input_ids=ids).logits
        lp = torch.log_softmax(logits[:, :-1].float(), -1).gather(-1, ids[:, 1:, None])
    if device == "cuda":
        torch.cuda.synchronize()
    return lp


step()
start = time.time()
for _ in range(iters):
    step()
sec = (time.time() - start) / iters
print("torch %s: %.1f ms/step, %.0f tokens/s (tf32 matmul: %s)" % (
    device, sec * 1000, bsz * seq / sec, torch.backends.cuda.matmul.allow_tf32))
