"""Python's side of the tokenisation test: transformers' ids for the same texts and chat prompts as Node's.

Usage: tokenize_reference.py REQUEST.json  →  one JSON line on stdout.
REQUEST: {"tokenizer": dir, "texts": [...], "conversations": [[{"role", "content"}, ...], ...]}
Texts: tokenizer(text, add_special_tokens=False); conversations: the trainer's render_prompt (the chat template
with the generation prompt, thinking off where the template reads the switch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from transformers import AutoTokenizer

from medqa_trainer.generation import Decoding, render_prompt


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(request["tokenizer"], local_files_only=True)
    texts = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in request["texts"]]
    prompts = [render_prompt(tokenizer, messages, Decoding()) for messages in request["conversations"]]
    print(json.dumps({"texts": texts, "prompts": prompts}))


if __name__ == "__main__":
    main()
