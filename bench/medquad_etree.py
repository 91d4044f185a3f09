"""Reference for bench/import.ts: load every MedQuAD XML file with xml.etree and keep the same fields we keep.

Prints one JSON line: {"seconds": loop time, "pairs": n, "answered": n}. Interpreter start-up is not counted.
"""

import json
import os
import sys
import time
import xml.etree.ElementTree as ET


def texts(root: ET.Element, tag: str) -> list[str]:
    return [(e.text or "").strip() for e in root.iter(tag) if (e.text or "").strip()]


def load(root_dir: str) -> list[dict[str, object]]:
    pairs: list[dict[str, object]] = []
    for collection in sorted(os.listdir(root_dir)):
        folder = os.path.join(root_dir, collection)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".xml"):
                continue
            doc = ET.parse(os.path.join(folder, name)).getroot()
            focus = doc.find("Focus")
            document = {
                "id": doc.get("id"),
                "source": doc.get("source"),
                "url": doc.get("url"),
                "focus": (focus.text or "").strip() if focus is not None else None,
                "cuis": texts(doc, "CUI"),
                "semanticTypes": texts(doc, "SemanticType"),
                "semanticGroup": next(iter(texts(doc, "SemanticGroup")), None),
                "synonyms": texts(doc, "Synonym"),
            }
            for qa in doc.iter("QAPair"):
                question = qa.find("Question")
                answer = qa.find("Answer")
                pid = qa.get("pid")
                pairs.append(
                    {
                        "id": f"{collection}/{name[:-4]}/{pid}",
                        "document": document,
                        "pid": pid,
                        "qid": question.get("qid") if question is not None else None,
                        "qtype": question.get("qtype") if question is not None else None,
                        "question": ((question.text or "") if question is not None else "").strip(),
                        "answer": ((answer.text or "") if answer is not None else "").strip(),
                    }
                )
    return pairs


if __name__ == "__main__":
    start = time.perf_counter()
    result = load(sys.argv[1])
    seconds = time.perf_counter() - start
    answered = sum(1 for p in result if p["answer"])
    print(json.dumps({"seconds": seconds, "pairs": len(result), "answered": answered}))
