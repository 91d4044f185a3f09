"""Retrieval over the curated QA pairs: the index (bm25s), retrieve, and retrieval-augmented prompts."""
