"""Renders templates/*.jinja and the shared Qwen tokenizer_config.json
template over cases.json with Python Jinja2, set up as Hugging Face
transformers sets it up for apply_chat_template (sandboxed environment,
trim_blocks, lstrip_blocks, loopcontrols, tojson = json.dumps with
ensure_ascii=False), and writes expected.json ("template/case" -> text, or
"ERROR: message" when the template raises).

Run from the repository root: /usr/bin/python3 testdata/tokenizer/chat/render_reference.py
"""
import json
import os

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "..", "shared", "data")


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def main():
    env = environment()
    templates = {}
    for name in sorted(os.listdir(os.path.join(HERE, "templates"))):
        with open(os.path.join(HERE, "templates", name)) as f:
            templates[name[: -len(".jinja")]] = (f.read(), {"bos_token": "<s>", "eos_token": "</s>"})
    with open(os.path.join(SHARED, "tokenizers", "qwen2", "tokenizer_config.json")) as f:
        cfg = json.load(f)
    templates["qwen_config"] = (cfg["chat_template"], {"eos_token": cfg["eos_token"], "pad_token": cfg["pad_token"]})
    with open(os.path.join(HERE, "cases.json")) as f:
        cases = json.load(f)
    out = {}
    for tname, (src, specials) in templates.items():
        compiled = env.from_string(src)
        for case in cases:
            kwargs = {k: v for k, v in case.items() if k not in ("messages", "tools", "add_generation_prompt")}
            try:
                text = compiled.render(messages=case["messages"], tools=case.get("tools"), documents=None,
                                       add_generation_prompt=case.get("add_generation_prompt", False),
                                       **specials, **kwargs)
            except Exception as e:  # raise_exception or a type error inside the template
                text = "ERROR: " + str(e)
            out[tname + "/" + case["name"]] = text
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
