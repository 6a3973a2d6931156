import pytest

from paperkg.extractors.normalize import canonical_key, model_family


@pytest.mark.parametrize(
    "names",
    [
        ("GSM8K", "GSM-8K", "gsm8k", "GSM 8K"),
        ("LLaMA-2", "Llama 2", "llama-2"),
        ("Gaussian mixture models", "Gaussian mixture model"),
        ("Ünïcode-Net", "Unicode Net"),
        ("grid searches", "grid search"),
        ("Gaussian processes", "Gaussian process"),
        ("search strategies", "search strategy"),
        ("GHNs", "GHN", "GHNs "),
        ("TabFMs", "TabFM"),
        ("LoRAs", "LoRA"),
    ],
)
def test_normalize_spellings_share_a_key(names):
    assert len({canonical_key(n) for n in names}) == 1


@pytest.mark.parametrize("a, b", [("GPT-4", "GPT-4o"), ("LLaMA-3", "LLaMA-3-8B"), ("MATH", "MATH-500"), ("focal loss", "focal los"),
                                  ("Atlas", "Atla"), ("Hermes", "Herme")])
def test_normalize_different_things_keep_different_keys(a, b):
    assert canonical_key(a) != canonical_key(b)


@pytest.mark.parametrize(
    "name, family",
    [
        ("LLaMA-3-8B", "LLaMA-3"),
        ("Qwen2.5-Math-7B-Instruct", "Qwen2.5-Math"),
        ("Mixtral-8x7B", "Mixtral"),
        ("T5-770M", "T5"),
        ("Llama 2 70B", "Llama 2"),
        ("GPT-4", None),
        ("ResNet-50", None),
        ("7B", None),
    ],
)
def test_normalize_model_family_of_size_variants(name, family):
    assert model_family(name) == family
