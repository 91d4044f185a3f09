"""Chat-template options that differ between model families.

Qwen3's template reads `enable_thinking` (off: it writes an empty think block); SmolLM2's ChatML template has no
such switch. Passing the flag only where the template reads it keeps the rendered text exactly what the model's
own template produces, and keeps training and generation on the same call.
"""

from __future__ import annotations

from typing import Any


def uses_thinking_switch(tokenizer: Any) -> bool:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates
        template = " ".join(str(t) for t in template.values())
    return isinstance(template, str) and "enable_thinking" in template


def template_options(tokenizer: Any, enable_thinking: bool = False) -> dict[str, Any]:
    return {"enable_thinking": enable_thinking} if uses_thinking_switch(tokenizer) else {}
