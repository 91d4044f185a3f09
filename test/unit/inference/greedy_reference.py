"""Python's side of the Node engine tests: prompt ids and greedy answer ids for the same questions.

Usage: greedy_reference.py REQUEST.json  →  one JSON line on stdout.
REQUEST: {"export": dir, "questions": [...], "max_new_tokens": N, "torch": bool}
Prompt ids come from the trainer's own render_prompt (AutoTokenizer + apply_chat_template, thinking off); greedy
ids from a plain onnxruntime loop over the export's KV-cache graph and, when asked, from PyTorch's generate on the
model the export was made from (the manifest's `model`). Stop ids as the trainer's stop_ids().
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from transformers import AutoConfig, AutoTokenizer, GenerationConfig

from medqa_trainer.catalog import prepare_model_reference
from medqa_trainer.generation import Decoding, render_prompt


def stop_ids(tokenizer: Any, export: Path) -> set[int]:
    ids = {int(tokenizer.eos_token_id)}
    configured = GenerationConfig.from_pretrained(export).eos_token_id
    ids.update([configured] if isinstance(configured, int) else (configured or []))
    return ids


def onnx_greedy(session: ort.InferenceSession, config: Any, prompt: list[int], max_new: int, stop: set[int]) -> list[int]:
    layers = config.num_hidden_layers
    heads = config.num_key_value_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    past = {
        f"past_key_values.{i}.{kind}": np.zeros((1, heads, 0, head_dim), dtype=np.float32)
        for i in range(layers)
        for kind in ("key", "value")
    }
    inputs = {i.name for i in session.get_inputs()}
    ids = list(prompt)
    step_ids = np.array([prompt], dtype=np.int64)
    out: list[int] = []
    for _ in range(max_new):
        total = len(ids)
        positions = np.arange(total - step_ids.shape[1], total, dtype=np.int64)[None, :]
        feed = {"input_ids": step_ids, "attention_mask": np.ones((1, total), dtype=np.int64), "position_ids": positions}
        if "num_logits_to_keep" in inputs:  # exports made before it joined the contract lack it
            # Every position's logits (0), read at the last: the Node engine asks for the last one only (1), so
            # equal ids also check the graph's slicing.
            feed["num_logits_to_keep"] = np.array(0, dtype=np.int64)
        results = session.run(None, {**feed, **past})
        token = int(np.argmax(results[0][0, -1]))
        if token in stop:
            break
        out.append(token)
        ids.append(token)
        for i in range(layers):
            past[f"past_key_values.{i}.key"] = results[1 + 2 * i]
            past[f"past_key_values.{i}.value"] = results[2 + 2 * i]
        step_ids = np.array([[token]], dtype=np.int64)
    return out


def torch_greedy(model_dir: str, prompts: list[list[int]], max_new: int, stop: set[int], pad: int) -> list[list[int]]:
    import torch
    from transformers import AutoModelForCausalLM

    local = prepare_model_reference(model_dir)
    model = AutoModelForCausalLM.from_pretrained(local, dtype=torch.float32, local_files_only=True).eval()
    answers = []
    with torch.no_grad():
        for prompt in prompts:
            ids = torch.tensor([prompt])
            generated = model.generate(
                ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=max_new,
                eos_token_id=sorted(stop), pad_token_id=pad,
            )[0, len(prompt):].tolist()
            answers.append([t for t in generated if t not in stop])
    return answers


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    export = Path(request["export"])
    tokenizer = AutoTokenizer.from_pretrained(export, local_files_only=True)
    config = AutoConfig.from_pretrained(export, local_files_only=True)
    stop = stop_ids(tokenizer, export)
    prompts = [render_prompt(tokenizer, [{"role": "user", "content": q}], Decoding()) for q in request["questions"]]
    options = ort.SessionOptions()
    session = ort.InferenceSession(str(export / "onnx" / "model.onnx"), options, providers=["CPUExecutionProvider"])
    max_new = int(request["max_new_tokens"])
    result: dict[str, Any] = {
        "stop_ids": sorted(stop),
        "prompts": prompts,
        "onnxruntime": [onnx_greedy(session, config, p, max_new, stop) for p in prompts],
    }
    if request.get("torch"):
        model = json.loads((export / "medqa-onnx.json").read_text(encoding="utf-8"))["model"]
        model_dir = model["resolved"] if isinstance(model, dict) else model
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        result["torch"] = torch_greedy(model_dir, prompts, max_new, stop, pad)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
