import pytest
import spacy

import paperkg.extractors.pipeline  # noqa: F401  (registers the components)


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    nlp.add_pipe("paperkg_sentences")
    nlp.add_pipe("paperkg_abbreviations")
    return nlp


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We study Learned Embedding Propagation (LEP) for adaptation.", [("LEP", "Learned Embedding Propagation")]),
        ("Model-based reinforcement learning (MBRL) is sample efficient.", [("MBRL", "Model-based reinforcement learning")]),
        ("We use in-context learning (ICL) and Monte Carlo Tree Search (MCTS).",
         [("ICL", "in-context learning"), ("MCTS", "Monte Carlo Tree Search")]),
        ("The PQN (Parallel Q-Network) agent is fast.", [("PQN", "Parallel Q-Network")]),
        ("Results improve (see Table 2) on average.", []),
        ("It reaches 3 points (p < 0.05) higher.", []),
        # Examples in parentheses define nothing, however their letters fall.
        ("Momentum-based GD (e.g. SGD or Adam) is common.", []),
        ("We use a GD (such as Adam) variant.", []),
    ],
)
def test_abbreviation_finds_definitions(nlp, text, expected):
    doc = nlp(text)
    assert [(doc[s:e].text, doc[ls:le].text) for s, e, ls, le in doc._.abbreviations] == expected


def test_abbreviation_docs_survive_multiprocessing(nlp):
    texts = ["Direct Preference Optimization (DPO) is simple."] * 4
    docs = list(nlp.pipe(texts, n_process=2, batch_size=2))
    assert all(len(d._.abbreviations) == 1 for d in docs)
