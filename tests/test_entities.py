import pytest
import spacy

from paperkg.extractors.entities import is_name_like


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})


@pytest.mark.parametrize(
    "word, title_cased, expected",
    [
        ("Step-DPO", False, True),
        ("Step-DPO", True, True),
        ("BoostStep", True, True),
        ("Qwen2-72B", True, True),
        ("LR+GD", False, True),
        ("Orca-Math", False, True),     # a capitalised compound in running text is coined
        ("Fine-Tuning", True, False),   # ... but not in a title, where every word is capitalised
        ("Flow-Guided", True, False),
        ("state-of-the-art", False, False),
        ("top-1", False, False),
        ("v1.5", False, False),
        ("7B", False, False),
        ("LLMs", False, False),
        ("CoTs", False, False),         # an acronym's plural is a class of things, not one name
        ("Tele-LLMs", False, True),     # ... but a coined compound in the plural names a series
        ("O1", False, False),
        ("H800", False, False),
        ("KL-regularized", False, False),  # a modifier: "KL-regularized objective"
        ("PDE-constrained", False, False),
    ],
)
def test_entities_name_shape(nlp, word, title_cased, expected):
    assert is_name_like(word, title_cased=title_cased) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A Title\n\nWe propose Norm Growth Limiter and Power Scheduler for training.", ["Norm Growth Limiter", "Power Scheduler"]),
        ("A Title\n\nLarge models help. The Treasure Hunt task is new.", ["Treasure Hunt"]),  # not "Large" at a start
        ("Deep Learning For All\n\nwe use it.", []),  # the title is title-cased anyway
    ],
)
def test_entities_capitalised_phrases(nlp, text, expected):
    from paperkg.extractors.entities import capitalised_phrases
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(text))
    assert [s.text for s in capitalised_phrases(doc)] == expected


@pytest.mark.parametrize(
    "text, spans, expected",
    [
        # (start, end, label, source) per span; the unsure neighbour takes the sure one's type
        ("results on GSM8K and GeoQuiz", [(2, 3, "Benchmark", "gazetteer"), (4, 5, "Method", "shape")],
         ["Benchmark", "Benchmark"]),
        ("beats Llama-2 , Zephyr-Pro and RedFox", [(1, 2, "Model", "gazetteer"), (3, 4, "Method", "shape"),
                                                   (5, 6, "Method", "shape")], ["Model", "Model", "Model"]),
        ("uses DPO while GeoQuiz", [(1, 2, "Method", "gazetteer"), (3, 4, "Model", "shape")], ["Method", "Model"]),
    ],
)
def test_entities_listed_names_share_a_type(nlp, text, spans, expected):
    from spacy.tokens import Span

    from paperkg.extractors.doctext import DocText
    from paperkg.extractors.entities import type_by_coordination

    doc = nlp(text)
    given = [Span(doc, s, e, label=label, span_id=source) for s, e, label, source in spans]
    assert [s.label_ for s in type_by_coordination(given, DocText(doc))] == expected


@pytest.mark.parametrize(
    "text, start, end, expected",
    [
        ("We use Vision models here .", 2, 4, False),          # a kind of thing, not a name
        ("We use Sparse Mixture Adapters here .", 2, 5, True),  # capitals in running text name it
        ("We use imitation learning here .", 2, 4, True),       # a technique phrase
        ("We use efficient training here .", 2, 4, False),      # a description
        ("We use SOTA models here .", 2, 4, False),             # generic word, generic head
        ("We study LLM training here .", 2, 4, False),          # a generic class, qualified
        ("We use few-shot prompting here .", 2, 4, True),       # a lowercase generic word can make a name
        ("We take a Bayesian perspective here .", 3, 5, False), # a proper adjective is no name
        ("We use Bayesian optimization here .", 2, 4, True),    # ... but the technique phrase is
    ],
)
def test_entities_recogniser_spans_must_name_one_thing(nlp, text, start, end, expected):
    from paperkg.extractors.entities import is_specific
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(text))
    assert is_specific(doc[start:end], generic_keys={"sota", "llm", "fewshot"}) is expected


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("We propose a single-pass adaptive tokenizer , Zorblat , which halts early .", "Zorblat", "Model"),
        ("We build Quorra ( QRA ) , an algorithm that prunes heads .", "QRA", "Method"),
        ("It helps on reasoning benchmarks , such as FooQA and BarQA .", "FooQA", "Benchmark"),
        ("We release a new corpus , Webbly , of forum posts .", "Webbly", "Dataset"),
        ("On this dataset , Zorblat wins .", "Zorblat", None),  # no article: the dataset is not Zorblat
        ("Zorblat , a new model , of 7B .", "Zorblat", "Model"),
        ("Zorblat , a fast and cheap way to train .", "Zorblat", None),
        ("It passes exams like the SAT and GRE .", "SAT", "Benchmark"),
        ("Scores rise on multimodal tasks like GeoQuiz .", "GeoQuiz", "Benchmark"),  # a coined name listed as a task
        ("We deploy an LLM named Zorblat for law .", "Zorblat", "Model"),
        ("We design a framework called Zorblat .", "Zorblat", "Method"),
        ("We build a datastore named Zorblat for retrieval .", "Zorblat", "Dataset"),
        ("We propose a training framework for LLMs called Zorblat .", "Zorblat", "Method"),
        ("This study introduces ZB-RNN , a variational RNN for video .", "ZB-RNN", "Model"),
    ],
)
def test_entities_class_noun_in_apposition_types_a_name(nlp, text, name, expected):
    from paperkg.extractors.entities import apposition_type

    doc = nlp(text)
    start = [t.text for t in doc].index(name)
    assert apposition_type(doc[start : start + 1]) == expected


@pytest.mark.parametrize(
    "source, label, expected",
    [
        ("learned", "Task", "Task"),  # a guideline type the recogniser learned: its label is the type
        ("learned", "Method", "Method"),
        ("ner", "Task", None),  # SciREX's label is a guess, taken only when the context says nothing
        ("gazetteer", "Task", "Task"),
    ],
)
def test_entities_learned_label_is_the_type(nlp, source, label, expected):
    from spacy.tokens import Span

    from paperkg.extractors.entities import type_from_evidence

    doc = nlp("We apply Zorblat before the test set results .")
    assert type_from_evidence(Span(doc, 2, 3, label=label), source, label) == expected


def test_entities_mentions_of_one_name_share_the_type_the_text_gives(nlp):
    from paperkg.extractors.pipeline import load_pipeline

    doc = load_pipeline()("A Title\n\nWe present Procedure Transformer (ProcX), a model for step localization. "
                          "ProcX is fast. We compare ProcX to others.")
    assert {(e.text, e.label_) for e in doc.ents if "ProcX" in e.text} == {("ProcX", "Model")}


@pytest.mark.parametrize(
    "abstract, name, expected",
    [
        ("We present Zorb-Lite and Zorb-Plus, two sizes.", "Zorb-Lite", "Model"),   # release words
        ("We fine-tune Mistral-Medic on notes.", "Mistral-Medic", "Model"),         # a known family's variant
        ("We compare with Spectro-GCN on graphs.", "Spectro-GCN", "Model"),          # an architecture's name
        ("We report accuracy on Kinetics and Charadez while training less.", "Charadez", "Dataset"),  # listed with known data
        # an acronym's expansion that is a known name keeps the known type
        ("We study few-shot continual learning (FSCL) on images.", "few-shot continual learning", "Task"),
        ("Training took a day on an NVIDIA H800 GPU.", "NVIDIA H800 GPU", None),    # hardware is no entity
        ("Code: \\url{https://github.com/ZorbLab/Learn-From-Zorbs}.", "Learn-From-Zorbs", None),  # a web address
    ],
)
def test_entities_pipeline_types_new_names(abstract, name, expected):
    from paperkg.extractors.pipeline import load_pipeline

    doc = load_pipeline()(f"A Title\n\n{abstract}")
    assert {e.text: e.label_ for e in doc.ents}.get(name) == expected


@pytest.mark.parametrize(
    "abstract, expected",
    [
        ("We propose Quokka, a model for search.", {"Quokka"}),
        ("Our proposed approach, Lumen, gains 3 points.", {"Lumen"}),
        ("It is 2x faster than Tiramisu and Pluto on loops.", {"Tiramisu", "Pluto"}),
        ("It scores well on CookQA2 and Tasty while using less data.", {"Tasty"}),  # listed after a coined name
        ("We propose Bayesian optimization for tuning.", set()),   # a proper adjective, continued
        ("Results improve. Lumen is fast.", set()),                # a sentence start says nothing
    ],
)
def test_entities_context_makes_plain_words_names(nlp, abstract, expected):
    from paperkg.extractors.doctext import DocText
    from paperkg.extractors.entities import named_words
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(f"A Title\n\n{abstract}"))
    assert named_words(DocText(doc)) == expected


@pytest.mark.parametrize(
    "text, present, absent",
    [
        # a capitalised name around a known technique word is the name
        ("A Title\n\nWe introduce Sparse Pruning Heads for small models.", "Sparse Pruning Heads", "Pruning"),
        # an -ing technique word used as a verb names nothing
        ("A Title\n\nProbing the hidden states shows little. We also analyse them by probing.", "probing", "Probing"),
        # a title that sets two names against each other proposes neither as one name
        ("LoRA vs Prefix Tuning: Where Adapters Fail\n\nWe compare them.", "LoRA", "LoRA vs Prefix Tuning"),
        # a kind of model described by size and modality is no name, nor is its acronym
        ("A Title\n\nLarge vision and language models (LVLMs) see well. We probe LVLMs with GPT-4.", "GPT-4", "LVLMs"),
        ("A Title\n\nLarge vision and language models (LVLMs) see well. We probe LVLMs with GPT-4.", "GPT-4",
         "Large vision and language models"),
        ("A Title\n\nLarge pre-trained models (LPMs) see well. We probe LPMs with GPT-4.", "GPT-4", "LPMs"),
        # a suite's name and a capitalised word after it name one member of the suite
        ("A Title\n\nWe train agents on Atari Breakout and test them.", "Atari Breakout", "Atari"),
        ("A Title\n\nResults on MuJoCo Hopper are strong.", "MuJoCo Hopper", "MuJoCo"),
        ("A Title\n\nResults on the MuJoCo Benchmark are strong.", "MuJoCo", "MuJoCo Benchmark"),
        # a coined name's version or size is part of it
        ("A Title\n\nIt matches ZorbChat 3.5 on chat.", "ZorbChat 3.5", "ZorbChat"),
        # words before a known lowercase technique that make it a kind of it belong to the name ...
        ("A Title\n\nWe apply data pruning to the corpus.", "data pruning", "pruning"),
        ("A Title\n\nThe iterates of kernel gradient descent converge.", "kernel gradient descent", "gradient descent"),
        # ... descriptive words and a plural noun do not
        ("A Title\n\nWe compare it with naive distillation.", "distillation", "naive distillation"),
        ("A Title\n\nIn some cases pruning helps.", "pruning", "cases pruning"),
        ("A Title\n\nWe test on GSM8K to probe mathematical reasoning.", "mathematical reasoning", "probe mathematical reasoning"),
    ],
)
def test_entities_pipeline_extent_of_known_names(listless_pipeline, text, present, absent):
    names = {e.text for e in listless_pipeline(text).ents}
    assert present in names and absent not in names


@pytest.mark.parametrize(
    "text, name, mentions",
    [
        # a fuller name the abstract gives replaces the part of it the title shows alone
        ("Faster Training with Graph HyperNetworks\n\nGraph HyperNetworks (GHNs) predict weights.", "Graph HyperNetworks", 2),
        # said again in other case, it is the same name
        ("A Title\n\nWe study Sparse Mixture Routing (SMR). Unlike prior work, sparse mixture routing needs no labels.",
         "sparse mixture routing", 2),
        # a title's words that held no name stay a topic
        ("Why Sparse Mixture Routing Works\n\nWe study Sparse Mixture Routing (SMR) here.", "sparse mixture routing", 1),
    ],
)
def test_entities_pipeline_finds_every_mention_of_a_name_of_several_words(text, name, mentions):
    from paperkg.extractors.pipeline import load_pipeline

    assert sum(e.text.lower() == name.lower() for e in load_pipeline()(text).ents) == mentions


@pytest.mark.parametrize(
    "text, first",
    [
        # said whole again, the recogniser's capitalised name around a known one is the name
        ("Mask DINO : a framework\n\nWe present Mask DINO . Mask DINO extends DINO .", "Mask DINO"),
        # said once, the known name stands
        ("A Title\n\nWe compare with Mask DINO once . It is fast .", "DINO"),
    ],
)
def test_entities_recogniser_name_around_a_known_one_said_again_is_the_name(nlp, text, first):
    from spacy.tokens import Span

    from paperkg.extractors.entities import resolve_entities
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(text))
    known = [i for i, token in enumerate(doc) if token.text == "DINO"]
    doc.spans["gazetteer"] = [Span(doc, i, i + 1, label="Model") for i in known]
    doc.ents = [Span(doc, i - 1, i + 1, label="Model") for i in known if doc[i - 1].text == "Mask"]
    assert [s.text for s in resolve_entities(doc, ner_source="learned") if s.start <= known[0] < s.end] == [first]


@pytest.mark.parametrize(
    "text, phrase, ner_source, kept",
    [
        ("We rely on ghost sampling here . It helps .", "ghost sampling", "ner", False),  # said once: a description
        ("We rely on ghost sampling here . Ghost sampling helps .", "ghost sampling", "ner", True),  # said again
        ("We rely on Ghost Sampling here . It helps .", "Ghost Sampling", "ner", True),  # capitals name it
        # The recogniser of the guideline's types learned which lowercase phrases are names.
        ("We rely on ghost sampling here . It helps .", "ghost sampling", "learned", True),
    ],
)
def test_entities_lowercase_scirex_phrase_needs_a_second_mention(nlp, text, phrase, ner_source, kept):
    from spacy.tokens import Span

    from paperkg.extractors.entities import candidate_spans
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(text))
    start = text.split().index(phrase.split()[0])
    doc.ents = [Span(doc, start, start + 2, label="Method")]
    assert any(source == ner_source for _, source in candidate_spans(doc, ner_source=ner_source)) is kept


@pytest.mark.parametrize(
    "name, source, expected",
    [
        ("graph neural networks", "learned", (False, False)),  # the name filter judges the recogniser's descriptions
        ("Transformers", "learned", (False, True)),            # a single word must not be a generic one
        ("Object Detection", "learned", (True, False)),         # in a title every word is capitalised
        ("graph neural networks", "ner", (True, True)),        # SciREX's recogniser passes every rule
    ],
)
def test_entities_rules_vet_most_learned_names_only_in_the_title(nlp, name, source, expected):
    from paperkg.extractors.doctext import DocText
    from paperkg.extractors.entities import Vetting, rules_vetting

    doc = nlp("Fast Object Detection\n\nWe train graph neural networks and Transformers .")
    start = [t.text for t in doc].index(name.split()[0])
    assert rules_vetting(doc[start:start + len(name.split())], source, DocText.of(doc)) == Vetting(*expected)


@pytest.mark.parametrize("split", ["test-dev", "validation set", "test split"])
def test_entities_dataset_split_is_no_name(nlp, split):
    from spacy.tokens import Span

    from paperkg.extractors.entities import resolve_entities
    from paperkg.extractors.sentences import set_sentence_starts

    doc = set_sentence_starts(nlp(f"A Title\n\nOn COCO {split} , SparDet obtains 52.3 AP ."))
    start, words = [t.text for t in doc].index("COCO") + 1, len(split.split())
    doc.ents = [Span(doc, start, start + words, label="Dataset")]
    assert split not in [s.text for s in resolve_entities(doc, ner_source="learned")]
