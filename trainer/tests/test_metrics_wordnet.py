"""setup-wordnet: NLTK reads the Debian WordNet copy, with lexicographer names in the right order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from medqa_trainer.wordnet_setup import DEBIAN_WORDNET, LEXNAMES, WordNetUnavailable, install_wordnet

TRAINER_DIR = Path(__file__).resolve().parents[1]


def require_debian_wordnet() -> None:
    if not (DEBIAN_WORDNET / "index.sense").is_file():
        pytest.fail(f"{DEBIAN_WORDNET} is incomplete: run `apt-get install wordnet-base wordnet-sense-index`")


def test_setup_wordnet_command_gives_a_working_nltk_corpus(tmp_path: Path) -> None:
    require_debian_wordnet()
    out = tmp_path / "nltk_data"
    done = subprocess.run(
        [sys.executable, "-m", "medqa_trainer", "setup-wordnet", "--out", str(out)],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"NLTK_DATA={out}" in done.stdout
    lexnames = (out / "corpora" / "wordnet" / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45 and lexnames[3] == "03\tnoun.Tops\t1" and lexnames[44] == "44\tadj.ppl\t3"
    assert not (out / "corpora" / "wordnet" / "bin").exists()  # plain files only
    # A fresh interpreter that only knows NLTK_DATA: lexnames must line up with the lexicographer numbers
    # stored in the data files, or these synsets would get the wrong category.
    probe = (
        "from nltk.corpus import wordnet as wn; "
        "print(wn.synset('dog.n.01').lexname(), wn.synset('disease.n.01').lexname(), "
        "wn.synset('run.v.01').lexname(), wn.synset('big.a.01').lexname())"
    )
    checked = subprocess.run(
        [sys.executable, "-c", probe],
        env={"NLTK_DATA": str(out), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.split() == ["noun.animal", "noun.state", "verb.motion", "adj.all"]


def test_missing_debian_files_give_the_apt_command(tmp_path: Path) -> None:
    empty = tmp_path / "no-wordnet"
    empty.mkdir()
    with pytest.raises(WordNetUnavailable, match="apt-get install wordnet-base wordnet-sense-index"):
        install_wordnet(tmp_path / "out", empty)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "medqa_trainer",
            "setup-wordnet",
            "--out",
            str(tmp_path / "o"),
            "--source",
            str(empty),
        ],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "apt-get install wordnet-base wordnet-sense-index" in done.stderr


def test_lexname_table_is_wordnet_30() -> None:
    assert len(LEXNAMES) == 45
    assert [pos for name, pos in LEXNAMES if name.startswith("noun.")] == [1] * 26
    assert [pos for name, pos in LEXNAMES if name.startswith("verb.")] == [2] * 15
