"""`setup-wordnet`: make NLTK's WordNet reader (needed by METEOR) work without downloading anything.

NLTK normally downloads WordNet from its own server, which is not reachable here. Debian ships the same
WordNet 3.0 database (`wordnet-base` + `wordnet-sense-index`, installed under /usr/share/wordnet). NLTK
reads the plain database files from `<nltk_data>/corpora/wordnet/`; the one file Debian lacks is `lexnames`
(lexicographer file numbers -> names), which is written here from the fixed WordNet 3.0 list (lexnames(5WN)).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

DEBIAN_WORDNET = Path("/usr/share/wordnet")
APT_HINT = "apt-get install wordnet-base wordnet-sense-index"

# The files NLTK's WordNetCorpusReader opens (index.sense comes from wordnet-sense-index).
REQUIRED_FILES = (
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
    "index.sense", "cntlist.rev",
)  # fmt: skip

# WordNet 3.0 lexicographer files in number order, with their part of speech (1 noun, 2 verb, 3 adj, 4 adv).
LEXNAMES: tuple[tuple[str, int], ...] = (
    ("adj.all", 3), ("adj.pert", 3), ("adv.all", 4), ("noun.Tops", 1), ("noun.act", 1), ("noun.animal", 1),
    ("noun.artifact", 1), ("noun.attribute", 1), ("noun.body", 1), ("noun.cognition", 1),
    ("noun.communication", 1), ("noun.event", 1), ("noun.feeling", 1), ("noun.food", 1), ("noun.group", 1),
    ("noun.location", 1), ("noun.motive", 1), ("noun.object", 1), ("noun.person", 1), ("noun.phenomenon", 1),
    ("noun.plant", 1), ("noun.possession", 1), ("noun.process", 1), ("noun.quantity", 1), ("noun.relation", 1),
    ("noun.shape", 1), ("noun.state", 1), ("noun.substance", 1), ("noun.time", 1), ("verb.body", 2),
    ("verb.change", 2), ("verb.cognition", 2), ("verb.communication", 2), ("verb.competition", 2),
    ("verb.consumption", 2), ("verb.contact", 2), ("verb.creation", 2), ("verb.emotion", 2), ("verb.motion", 2),
    ("verb.perception", 2), ("verb.possession", 2), ("verb.social", 2), ("verb.stative", 2), ("verb.weather", 2),
    ("adj.ppl", 3),
)  # fmt: skip


class WordNetUnavailable(RuntimeError):
    """WordNet cannot be found or built; the message says what to install or run."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, type=Path, help="nltk_data folder to create (then set NLTK_DATA to it)"
    )
    parser.add_argument("--source", type=Path, default=DEBIAN_WORDNET, help="WordNet 3.0 database folder")


def install_wordnet(nltk_data: Path, source: Path = DEBIAN_WORDNET) -> Path:
    """Copy the plain WordNet files of `source` into `<nltk_data>/corpora/wordnet/` and write `lexnames`."""
    missing = [name for name in REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        raise WordNetUnavailable(
            f"WordNet database files are missing from {source}: {', '.join(missing)}. "
            f"Install them with `{APT_HINT}` (Debian/Ubuntu), then run "
            "`python -m medqa_trainer setup-wordnet --out <dir>`."
        )
    target = nltk_data / "corpora" / "wordnet"
    target.mkdir(parents=True, exist_ok=True)
    # Plain files only: /usr/share/wordnet also holds bin/ and GUI resources NLTK does not read.
    for entry in sorted(source.iterdir()):
        if entry.is_file():
            shutil.copyfile(entry, target / entry.name)
    lines = [f"{number:02d}\t{name}\t{pos}\n" for number, (name, pos) in enumerate(LEXNAMES)]
    (target / "lexnames").write_text("".join(lines), encoding="utf-8")
    return target


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medqa-studio" / "nltk_data"


def ensure_wordnet() -> str:
    """Make `nltk.corpus.wordnet` loadable and return the folder it is read from.

    Uses whatever NLTK already finds (NLTK_DATA, ~/nltk_data, ...); otherwise builds a copy of the Debian
    database in the user's cache folder (a local copy, no download) and adds it to NLTK's search path.
    """
    import nltk

    try:
        return str(nltk.data.find("corpora/wordnet"))
    except LookupError:
        pass
    cache = default_cache_dir()
    if not (cache / "corpora" / "wordnet" / "lexnames").is_file():
        install_wordnet(cache)
        print(f"medqa_trainer: WordNet for METEOR copied from {DEBIAN_WORDNET} to {cache}", file=sys.stderr)
    if str(cache) not in nltk.data.path:
        nltk.data.path.append(str(cache))
    return str(nltk.data.find("corpora/wordnet"))


def run(args: argparse.Namespace) -> int:
    try:
        target = install_wordnet(args.out, args.source)
    except WordNetUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"WordNet for NLTK written to {target}")
    print(f"Point NLTK at it: export NLTK_DATA={args.out.resolve()}")
    return 0
