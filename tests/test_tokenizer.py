import pytest
import spacy

import paperkg.extractors.tokenizer  # noqa: F401  (registers the tokenizer)


@pytest.fixture(scope="module")
def tokenize():
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    return lambda text: [t.text for t in nlp(text)]


@pytest.mark.parametrize(
    "name",
    ["GPT-4o", "LLaMA-3-8B", "CIFAR-100", "Qwen2.5-Math-7B", "HC-RLHF", "Mixtral-8x7B-Instruct-v0.1",
     "GSM8K", "T5-770M", "LR+GD", "Claude-3-Opus", "pass@1"],
)
def test_tokenizer_keeps_ml_names_whole(tokenize, name):
    assert tokenize(f"We compare with {name}.") == ["We", "compare", "with", name, "."]


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("GPT-4-based agents", ["GPT-4", "-based", "agents"]),
        ("LLM-generated labels", ["LLM", "-generated", "labels"]),
        ("scores 54.6% on MATH", ["scores", "54.6", "%", "on", "MATH"]),
        ("models—such as BERT", ["models", "—", "such", "as", "BERT"]),
        ("(see Step-DPO)", ["(", "see", "Step-DPO", ")"]),
        ("Llama-based agents", ["Llama", "-based", "agents"]),
        # a word that is no name keeps its tail: cue words and phrases match it whole
        ("fine-tuned pre-trained models", ["fine-tuned", "pre-trained", "models"]),
        ("task-specific data", ["task-specific", "data"]),
    ],
)
def test_tokenizer_splits_glued_words_and_punctuation(tokenize, text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("(RL)-scale training", ["(", "RL", ")", "-scale", "training"]),
        ("a (GA)-based strategy", ["a", "(", "GA", ")", "-based", "strategy"]),
    ],
)
def test_tokenizer_splits_brackets_glued_inside_words(tokenize, text, tokens):
    assert tokenize(text) == tokens
