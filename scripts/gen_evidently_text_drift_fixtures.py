#!/usr/bin/env python3
"""Generate the text-drift parity fixtures in tests/fixtures/text_drift/ from Evidently 0.7.

Writes `tests/fixtures/text_drift/cases.json`: seeded cases of short support-ticket texts
(generated here from topic word pools, with English filler words that the vectoriser drops),
each with its reference and current texts and the results of Evidently 0.7.23's text drift
stat tests (`evidently.legacy.calculations.stattests`, run through `get_stattest`):

  * `abs_text_content_drift` (threshold 0.55) and `perc_text_content_drift` (percentile 0.95),
    each a `{"score", "drift", "threshold"}` (the score is the domain classifier's ROC AUC);
  * `random_auc_percentile`: the 95th percentile of Evidently's 1,000 random-score AUCs on
    the test half of its split (`roc_auc_random_classifier_percentile` after the
    `train_test_split` of `calculate_text_drift_score`), what `perc_...` compares with;
  * `default`: the method Evidently picks for a text column of that reference size
    (`_get_default_stattest`: `abs_...` above 1,000 reference rows, `perc_...` otherwise).

The cases: no drift; a shift of the topic mixture of several sizes; a new word (a product
name) in a share of the current texts; a synonym that replaces a word; longer current texts;
at reference sizes from 40 to 1,300 rows (both sides of Evidently's 1,000-row rule).

Run from the repository root:

    python3 scripts/gen_evidently_text_drift_fixtures.py

It re-executes itself under the pinned reference Python (see scripts/reference_env.py);
`MODELWATCH_PYTHON=/path/to/venv/bin/python` picks an existing environment.
"""

import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT, ensure_reference_python

ensure_reference_python(need_evidently=True)

import evidently
import numpy as np
import pandas as pd
import sklearn
from evidently.legacy.calculations.stattests.registry import get_stattest
from evidently.legacy.core import ColumnType
from evidently.legacy.utils.data_drift_utils import roc_auc_random_classifier_percentile
from sklearn.model_selection import train_test_split

OUT = ROOT / "tests" / "fixtures" / "text_drift" / "cases.json"


def pool(words):
    """A word pool written as one string."""
    return words.split()


TOPICS = {
    "billing": pool(
        "invoice charge refund payment card billed twice subscription plan price "
        "receipt bank transfer fee discount coupon overdue balance statement credit debit "
        "renewal cancel monthly annual tax"
    ),
    "shipping": pool(
        "parcel delivery courier late tracking address package shipped arrived "
        "damaged box warehouse driver signature doorstep delayed route customs label return "
        "pickup postcode weekend express"
    ),
    "account": pool(
        "login password reset email locked account username verification code "
        "profile settings security phone twofactor session logout access token expired link "
        "mailbox recovery privacy username"
    ),
    "product": pool(
        "screen battery charger cable broken button speaker warranty repair "
        "replacement model colour size fits quality material stitching zipper lens camera "
        "headphones keyboard mouse"
    ),
    "app": pool(
        "crash update version android iphone notification slow loading error "
        "screen sync offline backup install uninstall widget dark mode settings menu search "
        "filter cache"
    ),
}
GENERAL = "help issue problem thanks hello order week today yesterday still waiting "
GENERAL += "customer service team support question request time again asap urgent"
GENERAL = pool(GENERAL)
FILLER = "the a to and is my it for i was not this please of in on have with but be "
FILLER += "you me we can could would there that they are an at so if"
FILLER = pool(FILLER)
NAMES = list(TOPICS)


def zipf_weights(n):
    w = 1.0 / np.arange(1, n + 1)
    return w / w.sum()


def texts(
    rng, rows, mixture, words=(6, 16), new_word=None, new_share=0.0, synonym=None
):
    """`rows` tickets: a topic drawn from `mixture`, then words from the topic (Zipf), the
    general pool and filler; `new_word` inserted in a `new_share` of them; `synonym`
    (old, new) replaces a word everywhere."""
    out = []
    for _ in range(rows):
        topic = TOPICS[NAMES[rng.choice(len(NAMES), p=mixture)]]
        n = int(rng.integers(words[0], words[1] + 1))
        ws = []
        for _ in range(n):
            u = rng.random()
            if u < 0.35:
                ws.append(FILLER[rng.integers(len(FILLER))])
            elif u < 0.5:
                ws.append(GENERAL[rng.integers(len(GENERAL))])
            else:
                ws.append(topic[rng.choice(len(topic), p=zipf_weights(len(topic)))])
        if new_word and rng.random() < new_share:
            ws.insert(int(rng.integers(len(ws) + 1)), new_word)
        text = " ".join(ws)
        if synonym:
            text = " ".join(synonym[1] if w == synonym[0] else w for w in text.split())
        out.append(text[0].upper() + text[1:] + ".")
    return out


BASE = np.array([0.3, 0.25, 0.2, 0.15, 0.1])


def shifted(strength, topic):
    onehot = np.zeros(len(NAMES))
    onehot[NAMES.index(topic)] = 1.0
    return (1 - strength) * BASE + strength * onehot


def cases():
    """(name, reference kwargs, current kwargs, reference rows, current rows, seed)."""
    out = []
    sizes = [(40, 40), (100, 100), (250, 250), (600, 300), (1100, 400), (1300, 600)]
    for i, (nr, nc) in enumerate(sizes):
        for s in range(2):
            out.append((f"none_{nr}_{nc}_s{s}", {}, {}, nr, nc, 100 + 10 * i + s))
    for strength in [0.05, 0.15, 0.3, 0.6]:
        for nr, nc in [(100, 100), (600, 300), (1100, 400)]:
            cur = {"mixture": shifted(strength, "app")}
            out.append(
                (
                    f"mixture_{strength}_{nr}_{nc}",
                    {},
                    cur,
                    nr,
                    nc,
                    int(strength * 1000) + nr,
                )
            )
    for nr, nc in [(600, 300), (250, 250)]:
        cur = {"new_word": "zapwallet", "new_share": 0.3}
        out.append((f"new_word_0.3_{nr}_{nc}", {}, cur, nr, nc, 300 + nr))
    for share in [0.02, 0.1, 0.3, 1.0]:
        for nr, nc in [(100, 100), (1100, 400)]:
            cur = {"new_word": "zapwallet", "new_share": share}
            out.append(
                (
                    f"new_word_{share}_{nr}_{nc}",
                    {},
                    cur,
                    nr,
                    nc,
                    int(share * 100) + nr + 7,
                )
            )
    for nr, nc in [(250, 250), (1200, 300)]:
        out.append(
            (
                f"synonym_{nr}_{nc}",
                {},
                {"synonym": ("parcel", "package")},
                nr,
                nc,
                900 + nr,
            )
        )
        out.append((f"longer_{nr}_{nc}", {}, {"words": (20, 40)}, nr, nc, 950 + nr))
    # Tiny references: Evidently's bootstrap path at its smallest.
    out.append(
        ("mixture_0.6_20_20", {}, {"mixture": shifted(0.6, "billing")}, 20, 20, 7)
    )
    out.append(("none_20_20", {}, {}, 20, 20, 8))
    return out


def run(name, reference, current):
    test = get_stattest(reference, current, ColumnType.Text, name)
    r = test(reference, current, ColumnType.Text, None)
    return {
        "method": test.name,
        "score": float(r.drift_score),
        "drift": bool(r.drifted),
        "threshold": float(r.actual_threshold),
    }


def random_auc_percentile(reference, current):
    """Evidently's bootstrap percentile, on the test half of its own split."""
    domain = pd.concat(
        [
            pd.DataFrame({"text": reference, "target": 0}),
            pd.DataFrame({"text": current, "target": 1}),
        ]
    )
    _, _, _, y_test = train_test_split(
        domain["text"], domain["target"], test_size=0.5, random_state=42, shuffle=True
    )
    return float(roc_auc_random_classifier_percentile(y_test, p_value=1 - 0.95))


def main():
    warnings.filterwarnings("ignore")
    out = []
    for name, ref_kw, cur_kw, nr, nc, seed in cases():
        rng = np.random.default_rng(seed)
        ref_args = {"mixture": BASE, **ref_kw}
        cur_args = {"mixture": BASE, **cur_kw}
        reference = texts(rng, nr, **ref_args)
        current = texts(rng, nc, **cur_args)
        r, c = pd.Series(reference), pd.Series(current)
        expected = {
            "abs_text_content_drift": run("abs_text_content_drift", r, c),
            "perc_text_content_drift": run("perc_text_content_drift", r, c),
            "default": run(None, r, c),
            "random_auc_percentile": random_auc_percentile(r, c),
        }
        out.append(
            {
                "name": name,
                "reference": reference,
                "current": current,
                "expected": expected,
            }
        )
        e = expected["default"]
        print(f"{name:28} {e['method']:24} auc={e['score']:.3f} drift={e['drift']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "generator": "scripts/gen_evidently_text_drift_fixtures.py",
        "evidently": evidently.__version__,
        "scikit_learn": sklearn.__version__,
        "cases": out,
    }
    OUT.write_text(json.dumps(doc, indent=0, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
