"""MedQA Studio's trainer: LoRA/QLoRA fine-tuning and evaluation, driven by the VS Code extension."""

__version__ = "0.1.0"

# Version of the JSON-lines event protocol (see schema/events.schema.json). Bump on breaking changes.
PROTOCOL_VERSION = 1
