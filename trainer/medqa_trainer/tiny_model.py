"""`make-tiny-model`: a small random-weight Qwen3 with the real tokenizer, saved as a local model folder.

No hub is reachable in tests and CI, so the trainer's real loading code (`from_pretrained(folder)`) is exercised
on this model instead of Qwen3-0.6B. Same architecture class and tokenizer, far fewer parameters.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

# The extension labels a folder holding this file "random weights, for tests" wherever it offers base models.
RANDOM_WEIGHTS_MARKER = "medqa-random-weights.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokenizer", required=True, type=Path, help="folder with the Qwen3 tokenizer files")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the model into")
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)


def make_tiny_model(tokenizer_dir: Path, out: Path, hidden_size: int = 64, layers: int = 2, seed: int = 0) -> Path:
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    if not (tokenizer_dir / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{tokenizer_dir} has no tokenizer.json; point --tokenizer at a Qwen3 tokenizer folder")
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    torch.manual_seed(seed)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen3ForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).is_file():
            shutil.copyfile(tokenizer_dir / name, out / name)
    marker = {"random_weights": True, "architecture": "qwen3", "hidden_size": hidden_size, "layers": layers, "seed": seed}
    (out / RANDOM_WEIGHTS_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    return out


def run(args: argparse.Namespace) -> int:
    path = make_tiny_model(args.tokenizer, args.out, args.hidden_size, args.layers, args.seed)
    print(f"tiny Qwen3 written to {path}")
    return 0
