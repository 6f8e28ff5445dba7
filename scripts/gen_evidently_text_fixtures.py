#!/usr/bin/env python3
"""Generate the text-descriptor parity fixtures and the word data the text descriptors ship.

Writes:

  * tests/fixtures/text/evidently.json: the input texts and, for every descriptor setting,
    the value Evidently 0.7 gives each row (or the exception it raises on that row);
  * crates/modelwatch-core/src/descriptors/text/data/: the word data that ships in the
    crate, derived from Debian packages (see docs/text.md for the licences):
      - english_words.txt: Debian `wamerican` (/usr/share/dict/american-english, SCOWL),
        only the entries a lemma can ever equal (lower-case ASCII letters and digits);
      - wordnet_nouns.txt: the noun lemmas of WordNet 3.0 (Debian `wordnet-base`,
        /usr/share/wordnet/index.noun) of lower-case ASCII letters, digits and `_`;
      - wordnet_noun_exceptions.txt: WordNet's irregular noun forms (noun.exc), same filter;
      - vader_lexicon.txt: the lexicon of the `vaderSentiment` package (MIT).

Evidently computes `OOVWordsPercentage`, `TriggerWordsPresent` and `Sentiment` with NLTK data
that NLTK downloads at run time (`words`, `wordnet`, `vader_lexicon`). That download is not
reachable here, so this script gives NLTK the same data from the packages above, laid out as
NLTK expects: WordNet 3.0 from Debian (the version NLTK's `wordnet` package holds), the
`vaderSentiment` lexicon as NLTK's `vader_lexicon`, and `wamerican` in place of NLTK's
`words` list (NLTK's own list differs: docs/text.md). Evidently's and NLTK's code then run
unchanged on that data.

Texts: paragraphs and sentences of the licence texts in /usr/share/common-licenses, the
fortunes of Debian's `fortunes-min`, and hostile text (emoji, combining marks, right-to-left
scripts, empty strings, only punctuation, nulls, JSON, a 1 MB field). A long field is stored
as {"repeat": s, "times": n} and is s repeated n times.

Run from the repository root (needs Debian's wamerican, wordnet-base and fortunes-min, and a
Python with evidently 0.7.23 and vaderSentiment):

    apt-get install wamerican wordnet-base fortunes-min
    python3 -m venv /tmp/venv-text && /tmp/venv-text/bin/pip install evidently==0.7.23 \
        'pandas<3' vaderSentiment
    /tmp/venv-text/bin/python scripts/gen_evidently_text_fixtures.py
"""

import io
import json
import math
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import evidently
import nltk
import pandas as pd
import vaderSentiment
from evidently import Dataset
from evidently import descriptors as D

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "text"
DATA = ROOT / "crates" / "modelwatch-core" / "src" / "descriptors" / "text" / "data"
WORDNET = Path("/usr/share/wordnet")
DICT = Path("/usr/share/dict/american-english")
FORTUNES = Path("/usr/share/games/fortunes/fortunes")
LICENCES = Path("/usr/share/common-licenses")
VADER_LEXICON = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"

# What a lemma can be: OOVWordsPercentage looks up words of ASCII letters and digits;
# TriggerWordsPresent lemmatizes `\w+` words, so WordNet's multi-word lemmas (joined with `_`)
# can be hit too. Non-ASCII lemmas: WordNet 3.0 has none.
WORD = re.compile(r"^[a-z0-9]+$")
LEMMA = re.compile(r"^[a-z0-9_]+$")

# WordNet's lexicographer file names; NLTK reads them from a `lexnames` file that Debian's
# wordnet-base does not install.
LEXNAMES = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
]


def write_crate_data():
    DATA.mkdir(parents=True, exist_ok=True)
    words = sorted(
        {w for w in DICT.read_text(encoding="utf-8").split("\n") if WORD.match(w)}
    )
    (DATA / "english_words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    nouns = []
    for line in (WORDNET / "index.noun").read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith(" "):
            continue
        lemma = line.split(" ", 1)[0]
        if LEMMA.match(lemma):
            nouns.append(lemma)
    (DATA / "wordnet_nouns.txt").write_text(
        "\n".join(sorted(set(nouns))) + "\n", encoding="utf-8"
    )
    exceptions = []
    for line in (WORDNET / "noun.exc").read_text(encoding="utf-8").split("\n"):
        terms = line.split()
        if terms and LEMMA.match(terms[0]):
            exceptions.append(" ".join(terms))
    (DATA / "wordnet_noun_exceptions.txt").write_text(
        "\n".join(exceptions) + "\n", encoding="utf-8"
    )
    shutil.copyfile(VADER_LEXICON, DATA / "vader_lexicon.txt")


def nltk_data_dir(tmp: Path) -> Path:
    """An nltk_data folder holding WordNet 3.0, the word list and the VADER lexicon."""
    wn = tmp / "corpora" / "wordnet"
    wn.mkdir(parents=True)
    for f in WORDNET.iterdir():
        if f.is_file():
            shutil.copyfile(f, wn / f.name)
    (wn / "lexnames").write_text(
        "".join(f"{i:02d}\t{name}\t{i}\n" for i, name in enumerate(LEXNAMES)),
        encoding="utf-8",
    )
    # NLTK's reader lists index.sense among its files; only sense-key look-ups read it, and
    # Debian ships it in another package, so an empty one stands in.
    (wn / "index.sense").write_text("", encoding="utf-8")
    words = tmp / "corpora" / "words"
    words.mkdir(parents=True)
    # NLTK reads its word list as ASCII; the entries with other letters can never equal a
    # lemma of ASCII letters and digits, so leaving them out changes no result.
    ascii_words = [
        w for w in DICT.read_text(encoding="utf-8").split("\n") if w.isascii()
    ]
    (words / "en").write_text("\n".join(ascii_words), encoding="ascii")
    sentiment = tmp / "sentiment"
    sentiment.mkdir()
    lexicon = VADER_LEXICON.read_text(encoding="utf-8").strip("\n")
    with zipfile.ZipFile(sentiment / "vader_lexicon.zip", "w") as z:
        z.writestr("vader_lexicon/vader_lexicon.txt", lexicon)
    return tmp


def licence_texts():
    rows = []
    for name in ["Apache-2.0", "BSD", "MPL-2.0", "GPL-3", "Artistic", "CC0-1.0"]:
        text = (LICENCES / name).read_text(encoding="utf-8")
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        rows += paragraphs[:40]
        sentences = re.split(r"(?<=[.?!])\s+", " ".join(paragraphs[:10]))
        rows += [s for s in sentences if s][:20]
    return rows


def fortunes():
    text = FORTUNES.read_text(encoding="utf-8", errors="replace")
    return [f.strip("\n") for f in text.split("\n%\n") if f.strip()][:250]


HOSTILE = [
    None,
    "",
    " ",
    "   \t\n ",
    "...",
    "!?!?",
    "?!.,;:-'\"",
    "😀😀😀 great 👍",
    "I love it ❤️ 🎉🎉",
    "Café naïve façade résumé coöperate",
    "e\u0301 a\u0300 o\u0308 combining marks n\u0303",
    "\u0915\u093f\u0924\u093e\u092c \u0939\u093f\u0902\u0926\u0940",
    "مرحبا بالعالم. هذا نص عربي؟ نعم",
    "שלום עולם. זה טקסט בעברית",
    "Mixed: hello مرحبا world שלום!",
    "日本語のテキストです。これは文です。",
    "ΣΊΣΥΦΟΣ ήταν καλός. Όχι κακός.",
    "Straße STRASSE strasse",
    "The U.S.A. is big. Mr. Smith went home? Yes. e.g. this one.",
    "Dr. Who? Mrs. Jones. A.B. C.D. test",
    "This is NOT good!!! I HATE it",
    "The food was not bad at all, but the service was terrible.",
    "kind of good, sort of bad, the shit, yeah right",
    "never so good. never this bad. at least fine. very least okay",
    "I don't like this. It isn't great. Without doubt, excellent!",
    "GREAT GREAT great :) :( <3 :D",
    "VERY good and EXTREMELY bad",
    "lol wtf omg sux",
    '{"a": 1, "b": [true, false, null]}',
    '[1, 2.5e10, -0, "x\\u00e9"]',
    "NaN",
    "-Infinity",
    '{"a": 1',
    "  42  ",
    "01",
    "{'a': 1}",
    '"\\ud800"',
    "[]  extra",
    "running runs ran cats geese mice children wolves boxes churches analyses",
    "The leaves are falling; the wolves howled and the mice ran.",
    "word1 word2 2words 123 4th",
    "tab\tseparated\nnew line\r\nwindows",
    "\u00a0non\u00a0breaking\u2003em space\u3000ideographic",
    "\u200bzero\u200bwidth\u200b",
    "under_score snake_case CamelCase",
    "hello. world? yes! no. A. b. c? d.e. f.g.h. i",
    "Visit https://example.com/page?x=1 now.",
    "price: $100, 50% off!!! call 555-1234",
    "\U0001f1fa\U0001f1f8 flags \U0001f3f3\ufe0f\u200d\U0001f308",
    "a" * 3,
    "Z",
    "wolfram alpha; mousetrap",
    "ice_creams and brothers_in_law",
    "Σίσυφος WOLVES Mice",
]


def big_rows():
    """Large fields, stored as a repeat recipe."""
    return [
        {
            "repeat": "Good day! The quick brown fox, not bad. 😀 Über naïve? ",
            "times": 18000,
        },
        {"repeat": "x", "times": 1 << 20},
        {"repeat": "I love it. ", "times": 40000},
    ]


def expand(cell):
    if isinstance(cell, dict):
        return cell["repeat"] * cell["times"]
    return cell


SETTINGS = [
    {"kind": "TextLength"},
    {"kind": "WordCount"},
    {"kind": "SentenceCount"},
    {"kind": "NonLetterCharacterPercentage"},
    {"kind": "OOVWordsPercentage"},
    {
        "kind": "OOVWordsPercentage",
        "ignore_words": ["foo", "lol", "wtf"],
        "alias": "oov_ignoring",
    },
    {"kind": "Sentiment"},
    {
        "kind": "Contains",
        "items": ["licence", "software"],
        "mode": "any",
        "case_sensitive": True,
    },
    {
        "kind": "Contains",
        "items": ["the", "and"],
        "mode": "all",
        "case_sensitive": False,
        "alias": "contains_all",
    },
    {
        "kind": "Contains",
        "items": ["GOOD", "straße"],
        "mode": "any",
        "case_sensitive": False,
        "alias": "contains_nocase",
    },
    {
        "kind": "DoesNotContain",
        "items": ["the", "you"],
        "mode": "any",
        "case_sensitive": True,
    },
    {
        "kind": "DoesNotContain",
        "items": ["the", "of"],
        "mode": "all",
        "case_sensitive": True,
        "alias": "does_not_contain_all",
    },
    {"kind": "BeginsWith", "prefix": "The", "case_sensitive": True},
    {
        "kind": "BeginsWith",
        "prefix": "the",
        "case_sensitive": False,
        "alias": "begins_nocase",
    },
    {"kind": "EndsWith", "suffix": ".", "case_sensitive": True},
    {
        "kind": "EndsWith",
        "suffix": "STRASSE",
        "case_sensitive": False,
        "alias": "ends_nocase",
    },
    {"kind": "RegExp", "reg_exp": r"[A-Z].*\."},
    {"kind": "RegExp", "reg_exp": r"\s*\d+\s*", "alias": "regexp_number"},
    {"kind": "RegExp", "reg_exp": r"^\s*$", "alias": "regexp_blank"},
    {"kind": "RegExp", "reg_exp": r"(?i)licen[cs]e|\bfree\b", "alias": "regexp_search"},
    {"kind": "IsValidJSON"},
    {
        "kind": "TriggerWordsPresence",
        "words_list": ["wolf", "mouse", "licence", "child"],
    },
    {
        "kind": "TriggerWordsPresence",
        "words_list": ["wolf", "mouse"],
        "lemmatize": False,
        "alias": "trigger_exact",
    },
    {
        "kind": "TriggerWordsPresence",
        "words_list": ["ice_cream", "Σίσυφος", "BROTHER"],
        "alias": "trigger_unicode",
    },
    {"kind": "ExactMatch", "other_column": "other"},
]


def evidently_descriptor(s):
    k = s["kind"]
    c = "text"
    if k in (
        "TextLength",
        "WordCount",
        "SentenceCount",
        "NonLetterCharacterPercentage",
        "Sentiment",
        "IsValidJSON",
    ):
        return getattr(D, k)(c, alias="out")
    if k == "OOVWordsPercentage":
        return D.OOVWordsPercentage(
            c, ignore_words=tuple(s.get("ignore_words", ())), alias="out"
        )
    if k in ("Contains", "DoesNotContain"):
        return getattr(D, k)(
            c,
            items=s["items"],
            mode=s["mode"],
            case_sensitive=s["case_sensitive"],
            alias="out",
        )
    if k == "BeginsWith":
        return D.BeginsWith(
            c, prefix=s["prefix"], case_sensitive=s["case_sensitive"], alias="out"
        )
    if k == "EndsWith":
        return D.EndsWith(
            c, suffix=s["suffix"], case_sensitive=s["case_sensitive"], alias="out"
        )
    if k == "RegExp":
        return D.RegExp(c, reg_exp=s["reg_exp"], alias="out")
    if k == "TriggerWordsPresence":
        return D.TriggerWordsPresent(
            c,
            words_list=s["words_list"],
            lemmatize=s.get("lemmatize", True),
            alias="out",
        )
    if k == "ExactMatch":
        return D.ExactMatch(columns=[c, s["other_column"]], alias="out")
    raise ValueError(k)


def plain(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


def run(frame, setting):
    ds = Dataset.from_pandas(frame.copy(), descriptors=[evidently_descriptor(setting)])
    return [plain(v) for v in ds.as_dataframe()["out"].tolist()]


def describe(frame, setting):
    """Evidently's value per row; a row on which Evidently raises records the exception."""
    try:
        return run(frame, setting)
    except Exception:  # noqa: BLE001 - a row that raises is recorded, whichever exception
        out = []
        for i in range(len(frame)):
            try:
                out.append(
                    run(frame.iloc[i : i + 1].reset_index(drop=True), setting)[0]
                )
            except Exception as e:  # noqa: BLE001
                out.append({"error": type(e).__name__})
        return out


def main():
    write_crate_data()
    tmp = Path(tempfile.mkdtemp())
    nltk.data.path.insert(0, str(nltk_data_dir(tmp)))
    texts = licence_texts() + fortunes() + HOSTILE + big_rows()
    # The second column, for ExactMatch: every third row equal, others shifted or null.
    others = []
    for i, t in enumerate(texts):
        if i % 3 == 0:
            others.append(t)
        elif i % 3 == 1:
            others.append(None)
        else:
            others.append(texts[i - 1])
    frame = pd.DataFrame(
        {"text": [expand(t) for t in texts], "other": [expand(t) for t in others]}
    )
    descriptors = []
    for s in SETTINGS:
        print("describing", s["kind"], s.get("alias", ""))
        descriptors.append(
            {"setting": {"column": "text", **s}, "values": describe(frame, s)}
        )
    FIXTURES.mkdir(parents=True, exist_ok=True)
    out = {
        "evidently_version": evidently.__version__,
        "nltk_version": nltk.__version__,
        "vader_sentiment_version": "3.3.2",
        "rows": [{"text": t, "other": o} for t, o in zip(texts, others)],
        "descriptors": descriptors,
    }
    buf = io.StringIO()
    json.dump(out, buf, ensure_ascii=False, indent=1)
    (FIXTURES / "evidently.json").write_text(buf.getvalue() + "\n", encoding="utf-8")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
