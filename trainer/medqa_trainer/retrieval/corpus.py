"""The passages a retrieval index is built from: answered QA pairs with their MedQuAD structure.

Three inputs give the same `Passage` records:
- a MedQuAD folder (the 12 `<n>_<name>_QA` collections of XML documents), read the way the extension reads it
  (ids `<collection>/<document file stem>/<pid>`, the XML indentation folded);
- an export folder of the extension (`manifest.json` + `train/validation/test.jsonl`), whose file names give
  each pair its split;
- one chat JSONL file (contract #1, optional `focus`, `cuis`, `url`, `collection`, `split` fields).

A split file of the extension (format `medqa-split`) can then keep only some splits: that is what makes an index
over the training split safe for evaluation on the test split.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SPLIT_NAMES = ("train", "validation", "test")


class CorpusError(ValueError):
    """Input that cannot be indexed; the message names the file and what to do."""


@dataclass(frozen=True)
class Passage:
    id: str
    question: str
    answer: str
    qtype: str
    collection: str
    source: str
    focus: str | None = None
    cuis: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None
    split: str | None = None

    def as_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["cuis"] = list(self.cuis)
        return record

    @staticmethod
    def from_json(record: dict[str, Any]) -> Passage:
        return Passage(**{**record, "cuis": tuple(record.get("cuis") or ())})


_LINE_BREAK_RUN = re.compile(r"[ \t]*\n[ \t\n]*")


def tidy(raw: str) -> str:
    """Fold the XML pretty-printing: one line break per break, at most one blank line in a row."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _LINE_BREAK_RUN.sub(lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", text).strip()


def _text(element: ET.Element | None) -> str:
    return tidy("".join(element.itertext())) if element is not None else ""


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1].lower()


def _first(root: ET.Element, names: tuple[str, ...]) -> ET.Element | None:
    return next((e for e in root.iter() if _local(e) in names), None)


def read_medquad(root: Path) -> Iterator[Passage]:
    """The collections' three layouts (`<Document>`/`<QAPair>`, one CDC `<DiseaseFile>`, and the lower-case
    `<doc docid corpus url>`/`<pair>` of four NINDS files) are read alike: element names without case."""
    collections = sorted(p for p in root.iterdir() if p.is_dir() and re.match(r"^\d+_", p.name))
    if not collections:
        raise CorpusError(f"{root}: no MedQuAD collections (folders like 1_CancerGov_QA) in this folder")
    for collection in collections:
        for path in sorted(collection.rglob("*.xml")):
            try:
                document = ET.parse(path).getroot()
            except ET.ParseError as error:
                raise CorpusError(f"{path}: not well-formed XML ({error})") from error
            focus = _text(_first(document, ("focus", "doctitle-focus"))) or None
            cuis = tuple(t for t in (_text(c) for c in document.iter() if _local(c) == "cui") if t)
            source = document.get("source") or document.get("corpus") or collection.name
            for pair in (e for e in document.iter() if _local(e) in ("qapair", "pair")):
                question_element = _first(pair, ("question",))
                answer = _text(_first(pair, ("answer",)))
                if question_element is None or not answer:
                    continue
                yield Passage(
                    id=f"{collection.name}/{path.stem}/{pair.get('pid', '')}",
                    question=_text(question_element),
                    answer=answer,
                    qtype=question_element.get("qtype") or "unknown",
                    collection=collection.name,
                    source=source,
                    focus=focus,
                    cuis=cuis,
                    url=document.get("url") or None,
                )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def passage_from_chat(row: object, where: str, split: str | None) -> Passage | None:
    """A contract-#1 line as a passage; None for unanswered lines. Raises CorpusError for malformed ones."""
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    messages = row.get("messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
    ):
        raise CorpusError(f"{where}: expected a 'messages' list of {{role, content}} objects")
    users = [m["content"] for m in messages if m.get("role") == "user"]
    answers = [m["content"] for m in messages if m.get("role") == "assistant"]
    if not users:
        raise CorpusError(f"{where}: no user turn (the question)")
    if not answers or not answers[-1].strip():
        return None
    pair_id = _string(row.get("id"))
    if pair_id is None:
        raise CorpusError(f"{where}: missing 'id'")
    cuis = row.get("cuis")
    return Passage(
        id=pair_id,
        question=users[-1],
        answer=answers[-1],
        qtype=_string(row.get("qtype")) or "unknown",
        collection=_string(row.get("collection")) or pair_id.split("/", 1)[0],
        source=_string(row.get("source")) or "",
        focus=_string(row.get("focus")),
        cuis=tuple(c for c in cuis if isinstance(c, str)) if isinstance(cuis, list) else (),
        url=_string(row.get("url")),
        split=_string(row.get("split")) or split,
    )


def read_chat_jsonl(path: Path, split: str | None = None) -> Iterator[Passage]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{where}: not valid JSON ({error.msg})") from error
            passage = passage_from_chat(row, where, split)
            if passage is not None:
                yield passage


def read_export(folder: Path) -> Iterator[Passage]:
    for split in SPLIT_NAMES:
        path = folder / f"{split}.jsonl"
        if path.is_file():
            yield from read_chat_jsonl(path, split)


def read_data(data: Path) -> list[Passage]:
    """Passages from any of the three inputs, in id order, one per id (a repeated id is an error)."""
    if data.is_file():
        passages: Iterable[Passage] = read_chat_jsonl(data)
    elif (data / "manifest.json").is_file() and any((data / f"{s}.jsonl").is_file() for s in SPLIT_NAMES):
        passages = read_export(data)
    elif data.is_dir():
        passages = read_medquad(data)
    else:
        raise CorpusError(
            f"{data}: no such file or folder (expected a MedQuAD folder, an export or a JSONL file)"
        )
    by_id: dict[str, Passage] = {}
    for passage in passages:
        if passage.id in by_id:
            raise CorpusError(f"{data}: the id {passage.id} occurs twice; ids must be unique")
        by_id[passage.id] = passage
    if not by_id:
        raise CorpusError(f"{data}: no answered QA pairs to index")
    return [by_id[key] for key in sorted(by_id)]


def read_split_file(path: Path) -> tuple[dict[str, str], str | None]:
    """The extension's split file as {pair id: split name}, with its splitHash."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path}: cannot read the split file ({error})") from error
    if not isinstance(document, dict) or document.get("format") != "medqa-split":
        raise CorpusError(f'{path}: not a MedQA split file (expected "format": "medqa-split")')
    assignments = document.get("assignments")
    if not isinstance(assignments, list):
        raise CorpusError(f"{path}: no 'assignments' list")
    splits: dict[str, str] = {}
    for item in assignments:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("split") in SPLIT_NAMES:
            splits[item["id"]] = item["split"]
    split_hash = document.get("splitHash")
    return splits, split_hash if isinstance(split_hash, str) else None


def apply_splits(
    passages: Sequence[Passage], assignments: dict[str, str] | None, keep: Sequence[str] | None
) -> list[Passage]:
    """Give each passage its split from the split file, then keep the chosen splits.

    A pair that the split file does not assign (imported after the split was made) is kept only when no splits
    are chosen: it might be a test pair's duplicate, and nothing says otherwise.
    """
    result: list[Passage] = []
    for passage in passages:
        split = assignments.get(passage.id, passage.split) if assignments is not None else passage.split
        if keep is not None and split not in keep:
            continue
        result.append(passage if split == passage.split else Passage(**{**passage.__dict__, "split": split}))
    return result


def data_hash(passages: Sequence[Passage]) -> str:
    """sha256 over the indexed content (not the split labels): the same pairs give the same hash."""
    digest = hashlib.sha256()
    for passage in passages:
        record = passage.as_json()
        record.pop("split")
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


_PUNCTUATION = re.compile(r"[^\w]+")


def normalized_question(text: str) -> str:
    """Questions compared as the split's leak check compares them: lower-cased, no punctuation, hyphens or spaces."""
    return _PUNCTUATION.sub("", text.lower()).replace("_", "")
