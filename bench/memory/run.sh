#!/usr/bin/env bash
# Peak RSS and step time of one train-policy rollout + update and one
# train-rm step of the Qwen2.5-0.5B shape, full fine-tuning and LoRA (rank
# 16), with and without gradient checkpointing, beside `acecoder plan`'s
# estimate for the same run. Needs bin/ from `make build`; takes about 15
# minutes on 2 cores and up to 18 GiB of memory.
#   usage: bench/memory/run.sh [variant ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")"
bin=../../bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
model=../../testdata/models/qwen2-0.5b-shape/config.json
lora=(--model-lora-rank 16 --model-lora-alpha 32)
gck=(--model-gradient-checkpointing)

# peak CMD...: runs CMD and prints its peak RSS in MiB (the largest of the
# process and its children, from getrusage).
peak() {
  /usr/bin/python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if r.returncode != 0:
    sys.exit("failed: " + " ".join(sys.argv[1:]) + "\n" + r.stderr[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$@"
}

# planned KIND LABEL PLAN-FLAGS...: plan's total for the run, in MiB.
planned() {
  local label=$1; shift
  $bin/acecoder plan --model-config $model "$@" | awk -v l="$label" '
    /full fine-tuning:/ {s = "full"} /LoRA rank/ {s = "lora"}
    s == l && /total/ {print int($2 * 1024)}'
}

# step_time DIR: the (first and only) step's time from the run's metrics:
# time/step_s of train-policy, tokens / tokens per second of train-rm.
step_time() {
  /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
m = {k: v for r in rows for k, v in r.items()}
t = m.get("time/step_s") or m["perf/tokens"] / m["perf/tokens_per_s"]
print("%.1f" % t)' "$1/metrics.jsonl"
}

pol_plan=(--kind policy --micro-train-batch-size 2 --max-len 192 --rollout-rows 4 --rollout-len 192)
rm_plan=(--kind rm --micro-train-batch-size 8 --max-len 64)

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(policy-lora policy-lora-gc policy-full policy-full-gc rm-lora rm-lora-gc rm-full)
printf '| run | peak RSS, MiB | plan, MiB | plan / peak | step, s |\n|---|---|---|---|---|\n'
for v in "${variants[@]}"; do
  case $v in
    policy-lora)    cmd=($bin/train-policy --config policy.yaml "${lora[@]}"); p=$(planned lora "${pol_plan[@]}") ;;
    policy-lora-gc) cmd=($bin/train-policy --config policy.yaml "${lora[@]}" "${gck[@]}"); p=$(planned lora "${pol_plan[@]}" --gradient-checkpointing) ;;
    policy-full)    cmd=($bin/train-policy --config policy.yaml); p=$(planned full "${pol_plan[@]}") ;;
    policy-full-gc) cmd=($bin/train-policy --config policy.yaml "${gck[@]}"); p=$(planned full "${pol_plan[@]}" --gradient-checkpointing) ;;
    rm-lora)        cmd=($bin/train-rm --config rm.yaml "${lora[@]}"); p=$(planned lora "${rm_plan[@]}") ;;
    rm-lora-gc)     cmd=($bin/train-rm --config rm.yaml "${lora[@]}" "${gck[@]}"); p=$(planned lora "${rm_plan[@]}" --gradient-checkpointing) ;;
    rm-full)        cmd=($bin/train-rm --config rm.yaml); p=$(planned full "${rm_plan[@]}") ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  dir=$out/$v
  m=$(peak "${cmd[@]}" -q --out-dir "$dir")
  ratio=$(awk -v p="$p" -v m="$m" 'BEGIN { printf "%.2f", p / m }')
  printf '| %s | %d | %d | %s | %s |\n' "$v" "$m" "$p" "$ratio" "$(step_time "$dir")"
done
