"""MedQA Studio's trainer: LoRA/QLoRA fine-tuning and evaluation, driven by the VS Code extension."""

import logging

# bitsandbytes (imported by transformers' Trainer) looks for a faster CPU kernel on the hub (the `kernels` package)
# and logs a warning in every run when it is missing; its own kernel is what runs offline, so the line only alarms.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

__version__ = "0.1.0"

# Version of the JSON-lines event protocol (see schema/events.schema.json). Bump on breaking changes.
PROTOCOL_VERSION = 1
