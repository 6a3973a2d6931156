"""Result extraction on sentences written for these tests: the result rules (the model's features and
its cross-validated baseline) and the shipped result model, each after the shipped pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperkg.extractors.evaluate_results import score_results
from paperkg.extractors.extract import doc_to_extraction, extract_text
from paperkg.extractors.metrics import lower_is_better
from paperkg.extractors.pipeline import load_pipeline
from paperkg.extractors.records import Extraction, Paper, title_id
from paperkg.extractors.results import find_results


def rule_extraction(title: str, abstract: str) -> Extraction:
    """The extraction with the result rules' results instead of the shipped model's."""
    paper = Paper(title_id(title), title, abstract)
    return doc_to_extraction(load_pipeline()(paper.text), paper, read_results=find_results)


def results(title: str, abstract: str) -> list[tuple]:
    return [(r.subject, r.benchmark, r.metric, r.value, r.unit, r.kind)
            for r in rule_extraction(title, abstract).results]


@pytest.mark.parametrize(
    "title, abstract, expected",
    [
        ("StepTune: Tuning Steps",
         "We propose StepTune. StepTune reaches 83.1% top-1 accuracy on ImageNet.",
         [("StepTune", "ImageNet", "top-1 accuracy", "83.1", "%", "absolute")]),
        ("Boxer: Detection with Boxes",
         "We introduce Boxer, a detector. Boxer achieves 46.6 box AP on COCO, +3.4 AP over the previous best.",
         [("Boxer", "COCO", "box AP", "46.6", "", "absolute"), ("Boxer", "COCO", "AP", "3.4", "", "gain")]),
        ("Fast Diffusion Distillation",
         "We distil diffusion models into one step. We achieve an FID of 5.31 on CIFAR-10 and 9.39 on CelebA.",
         [("PAPER", "CIFAR-10", "FID", "5.31", "", "absolute"), ("PAPER", "CelebA", "FID", "9.39", "", "absolute")]),
        ("Few-Shot Detection with Kernels",
         "We outperform the state of the art by 3.8%, 5.4% and 5.7% mAP on PASCAL VOC, LVIS, and COCO.",
         [("PAPER", "PASCAL VOC", "mAP", "3.8", "%", "gain"), ("PAPER", "LVIS", "mAP", "5.4", "%", "gain"),
          ("PAPER", "COCO", "mAP", "5.7", "%", "gain")]),
        ("Hybrid Vision Networks",
         "Our network also generalizes well on CIFAR-10 (99.2%) and CIFAR-100 (91.7%).",
         [("PAPER", "CIFAR-10", "", "99.2", "%", "absolute"), ("PAPER", "CIFAR-100", "", "91.7", "%", "absolute")]),
        ("Speech Models with Less Data",
         "Our recogniser gives a 12% relative reduction in WER on LibriSpeech.",
         [("PAPER", "LibriSpeech", "WER", "12", "%", "relative")]),
        ("CodeStep: Stepwise Code Generation",
         "We propose CodeStep. CodeStep improves pass@1 on HumanEval from 45.1 to 67.3.",
         [("CodeStep", "HumanEval", "pass@1", "67.3", "", "absolute")]),
        ("Binary Networks for Everyone",
         "Over 90% accuracy on MNIST and CIFAR-10 is reached by our binary networks.",
         [("PAPER", "MNIST", "accuracy", "90", "%", "absolute"), ("PAPER", "CIFAR-10", "accuracy", "90", "%", "absolute")]),
        ("Masked Segmenters",
         "Our model sets the best results on instance segmentation (54.5 AP on COCO) and semantic segmentation "
         "(60.8 mIoU on ADE20K).",
         [("PAPER", "COCO", "AP", "54.5", "", "absolute"), ("PAPER", "ADE20K", "mIoU", "60.8", "", "absolute")]),
        ("Recognising Emotions",
         "Our accuracy on CIFAR-10 and CIFAR-100 reached 88.27% (±5.62) and 72.70% (±8.01), respectively.",
         [("PAPER", "CIFAR-10", "accuracy", "88.27", "%", "absolute"),
          ("PAPER", "CIFAR-100", "accuracy", "72.70", "%", "absolute")]),
        ("Private Training of Large Networks",
         "We achieve 96.7\\% accuracy on CIFAR-10 at $\\epsilon=1$.",
         [("PAPER", "CIFAR-10", "accuracy", "96.7", "%", "absolute")]),
        ("Private Training of Wide Networks",
         "We achieve $\\textbf{81.4}$% accuracy on CIFAR-10 and 90.5$\\%$ on SVHN.",
         [("PAPER", "CIFAR-10", "accuracy", "81.4", "%", "absolute"), ("PAPER", "SVHN", "accuracy", "90.5", "%", "absolute")]),
        ("Scaling Hybrid Networks",
         "Pre-trained on ImageNet-21K, our network reaches 88.6% top-1 accuracy on ImageNet.",
         [("PAPER", "ImageNet", "top-1 accuracy", "88.6", "%", "absolute")]),
        ("Domain Adaptation with Masks",
         "Our method achieves 75.9 mIoU and 92.8% on GTA and VisDA-2017, respectively.",
         [("PAPER", "GTA", "mIoU", "75.9", "", "absolute"), ("PAPER", "VisDA-2017", "", "92.8", "%", "absolute")]),
        ("TinyCoder: Small Code Models",
         "TinyCoder-1B reaches 41.5% pass@1 on HumanEval and 45.0% on MBPP.",
         [("TinyCoder-1B", "HumanEval", "pass@1", "41.5", "%", "absolute"),
          ("TinyCoder-1B", "MBPP", "pass@1", "45.0", "%", "absolute")]),
        ("Tuning Language Models",
         "On GLUE, our method improves the average score by 2.1 points.",
         [("PAPER", "GLUE", "average score", "2.1", "points", "gain")]),
    ],
)
def test_results_extracts_stated_scores(title, abstract, expected):
    assert sorted(results(title, abstract)) == sorted(expected)


@pytest.mark.parametrize(
    "abstract, expected",
    [
        # a gain: "by" before, a gain word after the value or after the list of values, a sign
        ("We propose Boxer. Boxer improves Faster R-CNN by 2.3 AP on COCO.",
         [("Boxer", "COCO", "AP", "2.3", "", "gain")]),
        ("We propose Boxer. Boxer brings 11.9% AP50 gains on COCO.",
         [("Boxer", "COCO", "AP50", "11.9", "%", "gain")]),
        ("We propose Boxer. Boxer reaches 46.6% box AP on COCO, 1.5% higher box AP than DETR.",
         [("Boxer", "COCO", "box AP", "46.6", "%", "absolute"), ("Boxer", "COCO", "box AP", "1.5", "%", "gain")]),
        ("We propose Boxer. Boxer gives 7.16% and 12% improvement on LVIS and COCO.",
         [("Boxer", "LVIS", "", "7.16", "%", "gain"), ("Boxer", "COCO", "", "12", "%", "gain")]),
        # a range is one value, its ends joined by "-"; "from ... to" is no range, nor are years
        ("We propose XKD. XKD improves accuracy by 8% to 14% on UCF101.",
         [("XKD", "UCF101", "accuracy", "8-14", "%", "gain")]),
        ("We propose Mover. Mover improves accuracy by 5-20% on Human3.6M.",
         [("Mover", "Human3.6M", "accuracy", "5-20", "%", "gain")]),
        ("We propose Mover. Mover reaches 45.1% accuracy on Human3.6M, collected 2020-2023.",
         [("Mover", "Human3.6M", "accuracy", "45.1", "%", "absolute")]),
        # the score reached, not the gain: "from X to Y", "improves ... to Y"
        ("We propose Boxer. Boxer improves to 48.2 box AP on COCO.",
         [("Boxer", "COCO", "box AP", "48.2", "", "absolute")]),
        # the metric after a list of values is each one's, before the one the sentence named earlier
        ("We propose Boxer. Boxer reaches leading accuracy, with 83.1% and 78.3% mAP on LVIS and COCO, respectively.",
         [("Boxer", "LVIS", "mAP", "83.1", "%", "absolute"), ("Boxer", "COCO", "mAP", "78.3", "%", "absolute")]),
        # LaTeX: "$\\sim71\\%$"
        ("We propose Boxer. Boxer reaches $\\sim71\\%$ top-1 accuracy on ImageNet.",
         [("Boxer", "ImageNet", "top-1 accuracy", "71", "%", "absolute")]),
        # a gain said of the sentence's score takes its metric; lists of scores and gains pair in order
        ("We propose Boxer. Boxer reaches 25.9% mIoU on Cityscapes, which is 6.2% higher than prior work.",
         [("Boxer", "Cityscapes", "mIoU", "25.9", "%", "absolute"), ("Boxer", "Cityscapes", "mIoU", "6.2", "%", "gain")]),
        ("We propose Boxer. Boxer reaches 75.9 mIoU and 92.8% on Cityscapes and VisDA-2017, respectively, "
         "an improvement of +2.1 and +3.0 points over prior work.",
         [("Boxer", "Cityscapes", "mIoU", "75.9", "", "absolute"), ("Boxer", "VisDA-2017", "", "92.8", "%", "absolute"),
          ("Boxer", "Cityscapes", "mIoU", "2.1", "points", "gain"), ("Boxer", "VisDA-2017", "", "3.0", "points", "gain")]),
        # "in terms of" a metric named after the value
        ("We propose Boxer. Boxer outperforms prior work by 3 points on COCO-Stuff in terms of mIoU.",
         [("Boxer", "COCO-Stuff", "mIoU", "3", "points", "gain")]),
        # parts of a dataset ("test sets of", "subsets of") are settings; the dataset is the benchmark
        ("We propose Boxer. Boxer reaches 83.12% and 78.30% mAP on the LEVEL1 and LEVEL2 test sets of "
         "Waymo Open Dataset, respectively.",
         [("Boxer", "Waymo Open Dataset", "mAP", "83.12", "%", "absolute"),
          ("Boxer", "Waymo Open Dataset", "mAP", "78.30", "%", "absolute")]),
        # a reduction after a list of values is each one's relative change
        ("We propose Boxer. Boxer gives 2.1% and 4.3% WER reductions on the clean and noisy subsets of LibriSpeech.",
         [("Boxer", "LibriSpeech", "WER", "2.1", "%", "relative"), ("Boxer", "LibriSpeech", "WER", "4.3", "%", "relative")]),
        # a value that only continues the one before it has its kind; one with its own verb does not
        ("We propose Boxer. Boxer reduces FPR95 by up to 52.77% on CIFAR-10 and up to 48.53% on ImageNet.",
         [("Boxer", "CIFAR-10", "FPR95", "52.77", "%", "gain"), ("Boxer", "ImageNet", "FPR95", "48.53", "%", "gain")]),
        ("We propose Boxer. Boxer outperforms prior work by 2.1% accuracy on CIFAR-10 and reaches 85.3% accuracy on ImageNet.",
         [("Boxer", "CIFAR-10", "accuracy", "2.1", "%", "gain"), ("Boxer", "ImageNet", "accuracy", "85.3", "%", "absolute")]),
        # a gain word after a list of values with their names makes each a gain; a value with its own cue keeps its kind
        ("We propose Boxer. Boxer brings 1.9% ImageNet accuracy, 1.0% COCO mAP, and 2.6% ADE20K mIoU improvement over Swin.",
         [("Boxer", "ImageNet", "accuracy", "1.9", "%", "gain"), ("Boxer", "COCO", "mAP", "1.0", "%", "gain"),
          ("Boxer", "ADE20K", "mIoU", "2.6", "%", "gain")]),
        ("We propose Boxer. Boxer reaches 46.6 box AP on COCO, +3.4 AP over DETR.",
         [("Boxer", "COCO", "box AP", "46.6", "", "absolute"), ("Boxer", "COCO", "AP", "3.4", "", "gain")]),
        ("We propose Boxer. Boxer reaches 46.6 box AP on COCO, 1.5% higher box AP than DETR.",
         [("Boxer", "COCO", "box AP", "46.6", "", "absolute"), ("Boxer", "COCO", "box AP", "1.5", "%", "gain")]),
        # a size is no score, and a list of names runs over the sizes after them
        ("We propose Boxer. Boxer reaches FID scores of 30.83 and 2.95 on ImageNet 128 × 128 and FFHQ 256 × 256, respectively.",
         [("Boxer", "ImageNet", "FID", "30.83", "", "absolute"), ("Boxer", "FFHQ", "FID", "2.95", "", "absolute")]),
        ("We propose Boxer. Boxer reaches an FID of 3.1 on CelebA-HQ 1024×1024.", [("Boxer", "CelebA-HQ", "FID", "3.1", "", "absolute")]),
        # a task's name is no benchmark
        ("We propose Boxer. Boxer gives 7.16% and 12% improvement on Pose Estimation and Human Parsing.", []),
        # a model the paper's method produced reports the method's result
        ("We propose Boxer, a distillation method. On ImageNet, the distilled ResNet-18 achieves a top-1 error of 29.3%.",
         [("Boxer", "ImageNet", "top-1 error", "29.3", "%", "absolute")]),
        # a size before a result verb is another phrase's, not the score's
        ("We propose Boxer. Boxer has 7 billion parameters and reaches 45.3% accuracy on MMLU.",
         [("Boxer", "MMLU", "accuracy", "45.3", "%", "absolute")]),
        # a baseline's or a generic subject's score in its own clause is no result of the paper
        ("We propose Boxer. The baseline achieves 70.5% accuracy on SST-2 and our model 75.1% accuracy.",
         [("Boxer", "SST-2", "accuracy", "75.1", "%", "absolute")]),
        ("We propose Boxer. Transformers achieve 80.1% accuracy on ImageNet, but Boxer reaches 82.3% accuracy on ImageNet.",
         [("Boxer", "ImageNet", "accuracy", "82.3", "%", "absolute")]),
        # "absolute" and "relative" before a metric say the value's kind; they are no part of the metric
        ("We propose Boxer. Boxer improves over DETR by 2.3% absolute accuracy on COCO.",
         [("Boxer", "COCO", "accuracy", "2.3", "%", "gain")]),
        ("We propose Boxer. Boxer reaches a 12% relative WER improvement on LibriSpeech.",
         [("Boxer", "LibriSpeech", "WER", "12", "%", "relative")]),
        # a metric the recogniser found but the metric lexicon lacks; a name that reaches a score is no benchmark
        ("We propose Boxer. On XSum, Boxer achieves an improvement of +4.9 and +8.9 BERTScore over extractive "
         "and abstractive methods.",
         [("Boxer", "XSum", "BERTScore", "4.9", "", "gain"), ("Boxer", "XSum", "BERTScore", "8.9", "", "gain")]),
        # "a new state-of-the-art" and "more than" say the paper's own score, not a baseline's
        ("We propose Boxer. Boxer sets a new state-of-the-art of 71.9% top-1 accuracy on ImageNet.",
         [("Boxer", "ImageNet", "top-1 accuracy", "71.9", "%", "absolute")]),
        ("We propose Boxer. Boxer reaches more than 90% accuracy on GSM8K.",
         [("Boxer", "GSM8K", "accuracy", "90", "%", "absolute")]),
    ],
)
def test_results_reads_kind_metric_benchmark_and_subject(abstract, expected):
    assert sorted(results("Boxer: Detection with Boxes", abstract)) == sorted(expected)


@pytest.mark.parametrize(
    "abstract",
    [
        "Our model has 1.5B parameters and is trained on 300 images from ImageNet.",         # sizes and counts
        "It is 2.5x faster than prior work on ImageNet and needs 40% fewer FLOPs.",          # speed-ups, savings
        "Our method improves accuracy by 5% over the baseline.",                             # no benchmark
        "ImageNet contains 1,000 classes and 1.2 million images.",                           # a dataset described
        "We reduce the number of parameters by 50% on COCO.",                                # a cost, not a score
        "Compared with the 71.2% of prior work on ImageNet, ours is better.",                # the baseline's number
        "Results on ImageNet in 2021 [12] were strong.",                                      # a year and a citation
        "Our detector outperforms prior work with an average improvement of 11.0% on MAE.",  # a metric, no benchmark
        "Its top-1 accuracy drop on ImageNet stays within 2% after quantization.",           # a drop
        "Gains range from 1.8% to 3.3% in recall on COCO.",                                  # a range
        "We extend diffusion models to the rotation group of MNIST (3).",                     # no score in parentheses
        "A recent study hypothesized that over 80% accuracy on GSM8K needs 34B parameters.",   # others' claim
        "Training on hard supervision can lead to a 30% accuracy gap on MATH.",                # a gap
    ],
)
def test_results_skips_numbers_that_are_no_result(abstract):
    assert results("A Study of Numbers", abstract) == []


def test_results_keep_setting_evidence_and_offsets():
    title, abstract = "Boxer: Detection with Boxes", "We introduce Boxer. Boxer reaches 46.6 box AP on COCO test-dev."
    extraction = rule_extraction(title, abstract)
    [result] = extraction.results
    text = extraction.paper.text
    assert result.setting == "test-dev"
    assert text[result.start : result.end] == result.evidence == "Boxer reaches 46.6 box AP on COCO test-dev."
    assert 0 < result.confidence <= 1


@pytest.mark.parametrize(
    "abstract, settings",
    [
        ("Prompter reaches 71.2% accuracy on MMLU in the zero-shot setting.", ["zero-shot"]),
        # a setting of another clause is not the value's
        ("In the 5-shot setting Prompter is weak, while it reaches 71.2% accuracy on MMLU.", [None]),
        ("Prompter reaches 71.2% accuracy on MMLU; the baseline needs the 5-shot setting.", [None]),
        # the n-th part of the dataset for the n-th value
        ("Prompter reaches 2.1% and 4.3% WER on the clean and noisy subsets of LibriSpeech.", ["clean", "noisy"]),
        # under an attack; with a fraction of the labels
        ("Prompter reaches 54.7% accuracy on CIFAR-10 under the PGD-20 attack.", ["under the PGD-20 attack"]),
        ("With only 1% labeled data, Prompter reaches 71.2% top-1 accuracy on ImageNet.", ["1% labeled data"]),
        ("Prompter reaches 71.2% top-1 accuracy on ImageNet with only 1% labeled data.", ["1% labeled data"]),
        # a setting after another score is that score's
        ("Prompter keeps 83.7% accuracy on clean CIFAR-10 and reaches 54.7% accuracy under FGSM attacks.",
         ["under FGSM attacks", None]),
        # the size after the benchmark's mention the value is on
        ("Prompter reaches an FID of 2.97 on ImageNet 128×128, 4.59 on ImageNet 256 × 256 and 7.72 on ImageNet 512x512.",
         ["128x128", "256x256", "512x512"]),
    ],
)
def test_results_setting_from_the_values_clause(abstract, settings):
    found = rule_extraction("Prompter: Prompting Models", "We propose Prompter. " + abstract).results
    assert [r.setting for r in sorted(found, key=lambda r: float(r.value))] == settings


@pytest.mark.parametrize(
    "title, abstract, tasks",
    [
        # the task named after the value, up to the sentence's next value
        ("UniViT: One Model for Vision",
         "UniViT reaches 58.1 AP on COCO object detection and 49.2 AP on COCO instance segmentation.",
         {"58.1": "object detection", "49.2": "instance segmentation"}),
        # a task named before the sentence's first value, and after none, is every value's
        ("UniViT: One Model for Vision",
         "For semantic segmentation, UniViT reaches 50.2 mIoU on ADE20K and 80.1 mIoU on Cityscapes.",
         {"50.2": "semantic segmentation", "80.1": "semantic segmentation"}),
        # else the one task the title names
        ("PoseNet: Human Pose Estimation in the Wild", "PoseNet reaches 75.3 AP on COCO test-dev.",
         {"75.3": "Human Pose Estimation"}),
        # the task a parenthesised score follows
        ("UniViT: One Model for Vision",
         "UniViT sets a new state of the art for panoptic segmentation (57.8 PQ on COCO) and instance "
         "segmentation (50.1 AP on COCO).",
         {"57.8": "panoptic segmentation", "50.1": "instance segmentation"}),
        # a task after an earlier value is that value's, not a later one's
        ("UniViT: One Model for Vision",
         "UniViT reaches 58.1 AP on COCO object detection and 87.0% top-1 accuracy on ImageNet.",
         {"58.1": "object detection", "87.0": None}),
    ],
)
def test_results_task_is_the_one_the_score_is_stated_for(title, abstract, tasks):
    found = rule_extraction(title, f"We propose {title.split(':')[0]}. {abstract}").results
    assert {r.value: r.task for r in found} == tasks


def test_results_round_trip_through_extraction_json():
    extraction = extract_text("StepTune: Tuning Steps", "StepTune reaches 83.1% top-1 accuracy on ImageNet.")
    again = Extraction.from_dict(json.loads(json.dumps(extraction.to_dict())))
    assert again.results == extraction.results != []


@pytest.mark.parametrize(
    "metric, lower",
    [("top-1 error", True), ("perplexity", True), ("WER", True), ("FID", True), ("test error rate", True),
     ("Mean-Square-Error", True), ("top-1 accuracy", False), ("box AP", False), ("BLEU", False), ("mIoU", False)],
)
def test_metrics_lower_is_better(metric, lower):
    assert lower_is_better(metric) is lower


@pytest.mark.parametrize(
    "gold, found, proposed, counts",
    [
        # subject and benchmark through aliases, metric by canonical key
        ({"subject": "Boxer", "benchmark": "MS-COCO", "metric": "Box AP", "value": "46.6"},
         ("Boxer", "COCO", "box AP", "46.6"), ([], []), (1, 0, 0)),
        # another value is a miss on both sides
        ({"subject": "Boxer", "benchmark": "COCO", "metric": "box AP", "value": "46.6"},
         ("Boxer", "COCO", "box AP", "46.5"), ([], []), (0, 1, 1)),
        # PAPER is no other name ...
        ({"subject": "PAPER", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("Boxer", "COCO", "", "46.6"), ([], []), (0, 1, 1)),
        # ... but what its side says the paper proposes, either way round
        ({"subject": "PAPER", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("Boxer", "COCO", "", "46.6"), (["Boxer"], []), (1, 0, 0)),
        ({"subject": "Boxer", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("PAPER", "COCO", "", "46.6"), ([], ["Boxer"]), (1, 0, 0)),
        # ... whichever side says so
        ({"subject": "Boxer", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("PAPER", "COCO", "", "46.6"), (["Boxer"], []), (1, 0, 0)),
        ({"subject": "PAPER", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("Boxer", "COCO", "", "46.6"), ([], ["Boxer"]), (1, 0, 0)),
        # a range as its two ends, however it is written
        ({"subject": "Boxer", "benchmark": "COCO", "metric": "", "value": "8% to 14"},
         ("Boxer", "COCO", "", "8-14"), ([], []), (1, 0, 0)),
        ({"subject": "Boxer", "benchmark": "COCO", "metric": "", "value": "10% ∼ 15%"},
         ("Boxer", "COCO", "", "10-14"), ([], []), (0, 1, 1)),
        # two named subjects stay two, whatever the paper proposes
        ({"subject": "Boxer-L", "benchmark": "COCO", "metric": "", "value": "46.6"},
         ("Boxer", "COCO", "", "46.6"), (["Boxer", "Boxer-L"], ["Boxer", "Boxer-L"]), (0, 1, 1)),
    ],
)
def test_evaluate_results_matches_subject_benchmark_metric_and_value(gold, found, proposed, counts):
    from paperkg.extractors.records import Entity, Paper, Relation, Result

    gold_proposed, found_proposed = proposed
    names = ["Boxer", "Boxer-L"]
    record = {"title": "Boxer", "entities": [{"name": "COCO", "type": "Dataset", "aliases": ["MS-COCO"]},
                                             *({"name": n, "type": "Method", "aliases": []} for n in names)],
              "relations": [{"head": "PAPER", "type": "PROPOSES", "tail": n} for n in gold_proposed], "results": [gold]}
    extraction = Extraction(Paper("p", "Boxer", "..."),
                            entities=[Entity("coco", "COCO", "Dataset"), *(Entity(n.lower(), n, "Method") for n in names)],
                            relations=[Relation("PAPER", "PROPOSES", n, "", 0, 0, "rule", 0.9) for n in found_proposed],
                            results=[Result(*found, "", "absolute", None, None, "", 0, 0, "rule", 0.8)])
    score = score_results([record], [extraction]).score
    assert (score.tp, score.fp, score.fn) == counts


def test_evaluate_results_gold_matches_names_the_gold_result_each_result_matches():
    from paperkg.extractors.evaluate_results import gold_matches
    from paperkg.extractors.records import Entity, Paper, Result

    record = {"title": "Boxer", "entities": [{"name": "COCO", "type": "Dataset", "aliases": ["MS-COCO"]}],
              "results": [{"subject": "Boxer", "benchmark": "COCO", "metric": "AP", "value": "41.0"},
                          {"subject": "Boxer", "benchmark": "MS-COCO", "metric": "box AP", "value": "46.6"}]}
    extraction = Extraction(Paper("p", "Boxer", "..."), entities=[Entity("coco", "COCO", "Dataset")])
    found = [Result("Boxer", "COCO", "Box AP", value, "", "absolute", None, None, "", 0, 0, "model", 0.5)
             for value in ("46.6", "41.0")]
    assert gold_matches(record, extraction, found) == [1, None]


# -- the learned result extractor's slots and decisions -------------------------------------

def _slots(title: str, abstract: str):
    from paperkg.extractors.extract import doc_to_extraction
    from paperkg.extractors.pipeline import load_pipeline
    from paperkg.extractors.records import Paper
    from paperkg.extractors.result_model import slots

    paper = Paper("p", title, abstract)
    doc = load_pipeline()(paper.text)
    return slots(doc, {e.id: e.name for e in doc_to_extraction(doc, paper).entities})


@pytest.mark.parametrize(
    "abstract, pairs, source",
    [
        # every value of the sentence with every benchmark of it, whatever the rules pair
        ("StepTune reaches 71.2% accuracy on CIFAR-100 and 9.3 FID on CelebA.",
         {("71.2", "CIFAR-100"), ("71.2", "CelebA"), ("9.3", "CIFAR-100"), ("9.3", "CelebA")}, "bench-from=sentence"),
        # a sentence that names no benchmark: the data the abstract evaluates on
        ("We evaluate StepTune on CIFAR-100 and CelebA. It reaches 71.2% accuracy.",
         {("71.2", "CIFAR-100"), ("71.2", "CelebA")}, "bench-from=context"),
        # ... and when the sentence names something else: the score may still be on that data
        ("We evaluate StepTune on CIFAR-100. With ResNet-50 as its backbone, it reaches 71.2% accuracy.",
         {("71.2", "CIFAR-100")}, "bench-from=context"),
    ],
)
def test_result_model_slots_pair_each_value_with_each_benchmark(abstract, pairs, source):
    found = _slots("StepTune: tuning in steps", abstract)
    assert pairs <= {(slot.reading.value, slot.reading.benchmark) for slot in found}
    assert all(source in slot.features for slot in found if (slot.reading.value, slot.reading.benchmark) in pairs)


@pytest.mark.parametrize(
    "abstract, orders",
    [
        # values and names listed in one order: each value's place against each name's
        ("On CIFAR-10 and CIFAR-100, StepTune improves accuracy by 3.42% and 18.48%, respectively.",
         {("3.42", "CIFAR-10"): "same", ("3.42", "CIFAR-100"): "other", ("18.48", "CIFAR-100"): "same"}),
        ("StepTune reaches 96.03% and 98.82% on the CIFAR-10 dataset and the CIFAR-100 dataset, respectively.",
         {("96.03", "CIFAR-10"): "same", ("98.82", "CIFAR-10"): "other"}),
        # lists of other lengths: no order
        ("On CIFAR-10, CIFAR-100 and SVHN, StepTune improves accuracy by 3.42% and 18.48%.",
         {("3.42", "CIFAR-10"): None}),
    ],
)
def test_result_model_slots_know_the_place_of_a_value_and_a_name_in_their_lists(abstract, orders):
    found = {(slot.reading.value, slot.reading.benchmark): slot.features for slot in _slots("StepTune: tuning in steps", abstract)}
    for pair, order in orders.items():
        assert {f for f in found[pair] if f.startswith("order=")} == (
            {f"order={order}", f"order={order}&respectively={'respectively' in abstract}"} if order else set())


def test_result_model_slots_leave_out_a_loss():
    found = _slots("StepTune: tuning in steps", "StepTune reaches 81.2% accuracy on CIFAR-100. Pruned, it keeps "
                   "ImageNet accuracy with only a 0.23% accuracy loss.")
    assert {slot.reading.value for slot in found} == {"81.2"}


def test_result_model_slots_hold_the_rules_reading_and_others():
    title, abstract = "StepTune: tuning in steps", "StepTune improves accuracy on CIFAR-100 by 2.5 points."
    [slot] = [s for s in _slots(title, abstract) if s.reading.benchmark == "CIFAR-100"]
    [rule] = rule_extraction(title, abstract).results
    assert "rule-states-it" in slot.features
    assert "rule-states-it" in slot.metrics[rule.metric] and "rule-states-it" in slot.subjects[rule.subject]
    assert (slot.reading.value, slot.reading.unit, slot.reading.kind) == (rule.value, rule.unit, rule.kind)
    # readings the rules did not choose: the paper as subject, no metric
    assert {"PAPER", "StepTune"} <= set(slot.subjects)
    assert {"", "accuracy"} <= set(slot.metrics)
    assert slot.reading.evidence == abstract and slot.reading.start < slot.reading.end


@pytest.mark.parametrize(
    "abstract, metrics",
    [
        # up to two words before a metric phrase the lexicon does not know
        ("StepTune reaches 97.7% query accuracy on CIFAR-10.", {"accuracy", "query accuracy"}),
        ("StepTune reaches an average attack success rate of 77.9% on CIFAR-10.",
         {"success rate", "attack success rate", "average attack success rate"}),
        ("StepTune reaches 89.1% 3D PCK on CIFAR-10.", {"PCK", "3D PCK"}),
        ("StepTune improves by 89.1% relative accuracy on CIFAR-10.", {"accuracy"}),
        # never a value, a name, a function or result word
        ("StepTune reaches 97.7% accuracy on CIFAR-10.", {"accuracy"}),
        ("StepTune achieves higher accuracy of 97.7% on CIFAR-10.", {"accuracy"}),
        ("StepTune reaches 41.0 on ImageNet and 97.7 CIFAR-10 accuracy.", {"accuracy"}),
        # the lexicon's shorter phrase inside a longer one
        ("StepTune reaches a mean perplexity of 3.85 on CIFAR-10.", {"mean perplexity", "perplexity"}),
        # words it does not know right after the value, or before "of" and the value
        ("StepTune improves by +8.9 AUC@5 on CIFAR-10.", {"AUC@5"}),
        ("StepTune reaches a median tidiness of 0.04 on CIFAR-10.", {"tidiness", "median tidiness"}),
        ("StepTune keeps the layout drift at 0.04 on CIFAR-10.", {"drift", "layout drift"}),
    ],
)
def test_result_model_slots_read_metrics_with_words_the_lexicon_does_not_know(abstract, metrics):
    [slot] = [s for s in _slots("StepTune: tuning in steps", abstract)
              if s.reading.value in ("97.7", "77.9", "89.1", "3.85", "8.9", "0.04") and s.reading.benchmark == "CIFAR-10"]
    assert set(slot.metrics) - {""} == metrics


def test_result_model_slots_mark_a_metric_reading_inside_a_longer_one():
    [slot] = [s for s in _slots("StepTune: tuning in steps", "StepTune reaches an average attack success rate of 77.9% on CIFAR-10.")
              if s.reading.benchmark == "CIFAR-10"]
    inside = {metric for metric, features in slot.metrics.items() if "metric-inside-longer" in features}
    assert inside == {"success rate", "attack success rate"}


@pytest.mark.parametrize(
    "title, abstract, expected",
    [
        ("LinkFormer: Linking Tokens",
         "We propose LinkFormer, a vision transformer. LinkFormer achieves 84.7% top-1 accuracy on ImageNet-1K.",
         {("OURS", "ImageNet-1K", "top-1 accuracy", "84.7", "absolute")}),
        # the paper's own score and its gain over a named detector
        ("Sparse Detectors",
         "We present SparDet, a sparse detector. On COCO test-dev, SparDet obtains 52.3 AP, surpassing DINO by 1.4 AP.",
         {("OURS", "COCO", "AP", "52.3", "absolute"), ("OURS", "COCO", "AP", "1.4", "gain")}),
        # from 45.1 to 67.3: the score reached
        ("CodeStep: Stepwise Code Generation",
         "We introduce CodeStep. CodeStep improves pass@1 on HumanEval from 45.1% to 67.3%.",
         {("OURS", "HumanEval", "pass@1", "67.3", "absolute")}),
        ("Whisper Tuning for Low-Resource ASR",
         "We fine-tune Whisper with adapters. Our approach yields a 12% relative reduction in WER on LibriSpeech.",
         {("OURS", "LibriSpeech", "WER", "12", "relative")}),
        ("Math Tuning",
         "We propose MathTune. MathTune-7B attains 58.2% accuracy on MATH and 88.1% on GSM8K, outperforming Llama-2-70B.",
         {("OURS", "MATH", "accuracy", "58.2", "absolute"), ("OURS", "GSM8K", "accuracy", "88.1", "absolute")}),
        ("Distilled Diffusion",
         "We distil a diffusion model into four steps. Our model reaches an FID of 3.21 on CIFAR-10.",
         {("OURS", "CIFAR-10", "FID", "3.21", "absolute")}),
        # values and benchmarks listed in one order, "respectively"; a range
        ("Clustering with Anchors",
         "We propose AnchorClust, a clustering method. In evaluations on CIFAR-10 and STL-10, AnchorClust achieves "
         "accuracy of 81.5% and 95.4%, respectively.",
         {("OURS", "CIFAR-10", "accuracy", "81.5", "absolute"), ("OURS", "STL-10", "accuracy", "95.4", "absolute")}),
        ("Robust Training",
         "We propose RoTrain. Our evaluation on CIFAR-10 and CIFAR-100 shows that RoTrain improves accuracy by up to "
         "3.42% and 18.48% respectively.",
         {("OURS", "CIFAR-10", "accuracy", "3.42", "gain"), ("OURS", "CIFAR-100", "accuracy", "18.48", "gain")}),
        ("Tuning Video Models", "We propose VidTune. VidTune improves accuracy by 8% to 14% on UCF101 and HMDB51.",
         {("OURS", "UCF101", "accuracy", "8-14", "gain"), ("OURS", "HMDB51", "accuracy", "8-14", "gain")}),
        # no results: speed and memory, others' scores in the background, a dataset's size
        ("Efficient Attention",
         "We propose FlashMix, an attention kernel. FlashMix is 2.5x faster than FlashAttention and uses 40% less memory.",
         set()),
        ("Benchmarks of Reasoning",
         "Large language models such as GPT-4 reach 92% on GSM8K. We study why smaller models fail.", set()),
        ("A Dataset of Charts", "We release ChartSet, a dataset of 120,000 charts collected from 2,000 papers.", set()),
    ],
)
def test_result_model_reads_the_results_of_sentences_it_never_saw(title, abstract, expected):
    """OURS: the paper's own approach, as PAPER or by the name of what the paper proposes (either
    is right, as the result score counts it)."""
    extraction = extract_text(title, abstract)
    found = extraction.results
    ours = {"PAPER"} | {r.tail for r in extraction.relations if r.head == "PAPER" and r.type == "PROPOSES"}
    assert {("OURS" if r.subject in ours else r.subject, r.benchmark, r.metric, r.value, r.kind) for r in found} == expected
    assert all(r.extractor == "model" and 0 < r.confidence <= 1 for r in found)


def test_result_model_decides_each_slot_against_the_threshold_and_ranks_its_readings_apart():
    import numpy as np

    from paperkg.extractors.records import Result
    from paperkg.extractors.result_model import ResultModel, ResultSlot

    features = {"near": 0, "far": 1, "metric=after": 2, "subject=main": 3}
    # columns: result, metric, subject, gain, relative change (biased towards neither)
    weights = np.array([[2.0, 0, 0, 0, 0], [-2.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0], [0, 0, 1.0, 0, 0]])
    model = ResultModel(features, weights, np.array([0, 0, 0, -1.0, -1.0]), np.array([[1.0, 0.0]] * 5), np.array([0.5] * 5))

    def slot(value, where):
        reading = Result("PAPER", "COCO", "", value, "", "absolute", None, None, "s", 0, 1, "model", 0.0)
        return ResultSlot(reading, {where},
                          {"": set(), "AP": {"metric=after"}}, {"PAPER": set(), "Boxer": {"subject=main"}})

    kept = model.decide([slot("41.0", "near"), slot("2.5", "far")])
    # the slot's 0.881 times its best metric's and subject's 0.731 each
    assert [(r.subject, r.metric, r.value, r.kind, r.confidence) for r in kept] == [("Boxer", "AP", "41.0", "absolute", 0.471)]


@pytest.mark.parametrize("rules_kind, kind", [("gain", "gain"), ("relative", "relative"), ("absolute", "absolute")])
def test_result_model_keeps_the_gain_or_change_the_rules_read(rules_kind, kind):
    """Where the rules read "+3.2%", "by 2 points", "a 12% reduction", the model's own kind (here
    absolute: its gain and change scores are low) does not overrule them."""
    import numpy as np

    from paperkg.extractors.records import Result
    from paperkg.extractors.result_model import ResultModel, ResultSlot

    model = ResultModel({"near": 0}, np.array([[2.0, 0, 0, 0, 0]]), np.array([0, 0, 0, -1.0, -1.0]),
                        np.array([[1.0, 0.0]] * 5), np.array([0.5] * 5))
    reading = Result("PAPER", "COCO", "AP", "2.5", "", rules_kind, None, None, "s", 0, 1, "model", 0.0)
    [kept] = model.decide([ResultSlot(reading, {"near"}, {"AP": set()}, {"PAPER": set()})])
    assert kept.kind == kind


def test_result_model_weights_round_trip_through_json_and_refuse_other_labels():
    import numpy as np

    from paperkg.extractors.result_model import ResultModel

    model = ResultModel({"unit=%": 0, "rule-states-it": 1}, np.array([[0.5, 0.1, 0.2, 0, 0], [2.0, 0.3, 0.4, 0, 0]]),
                        np.zeros(5), np.array([[1.2, -0.3]] * 5), np.array([0.4] * 5))
    again = ResultModel.from_json(json.loads(json.dumps(model.to_json())))
    features = [{"unit=%", "rule-states-it"}, {"unit=%"}, set()]
    assert np.allclose(model.probabilities(features), again.probabilities(features))
    assert model.probabilities(features)[0, 0] > model.probabilities(features)[1, 0] > model.probabilities(features)[2, 0]
    with pytest.raises(ValueError, match="RESULT"):
        ResultModel.from_json({**model.to_json(), "labels": ["USES"]})


# -- results in the graph, the Neo4j load and the exports ------------------------------------

STEPTUNE = ("StepTune: Tuning Steps",
            "We propose StepTune, a tuning method. StepTune reaches 83.1% top-1 accuracy on ImageNet (5-shot).")


def _papers_file(path, *papers):
    path.write_text("".join(json.dumps({"title": t, "abstract": a}) + "\n" for t, a in papers), encoding="utf-8")
    return path


def _result_rows(graph):
    """Each result with its paper, benchmark, subject and metric, read through the graph's relationships."""
    from paperkg.graph.query import run_query

    def linked(rel_type: str) -> dict:
        rows = run_query(graph, f"MATCH (r:Result)-[:{rel_type}]->(e:Entity) RETURN r.id AS id, e.name AS name").rows
        return {row["id"]: row["name"] for row in rows}

    subjects, metrics = linked("RESULT_OF"), linked("MEASURED_IN")
    rows = run_query(graph, "MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:RESULT_ON]->(b:Entity) "
                            "RETURN r.id AS id, p.title AS paper, b.name AS benchmark, r.value AS value, "
                            "r.score AS score, r.setting AS setting, r.lower_is_better AS lower ORDER BY value").rows
    ids = [row.pop("id") for row in rows]
    return [{**row, "subject": subjects.get(key), "metric": metrics.get(key)} for key, row in zip(ids, rows)]


def test_results_graph_links_result_to_paper_subject_benchmark_and_metric(tmp_path):
    from paperkg.graph.build import build
    from paperkg.graph.store import read_graph

    report = build([_papers_file(tmp_path / "papers.jsonl", STEPTUNE)], tmp_path / "kg.json")
    assert report.stats.results == 1
    assert _result_rows(read_graph(tmp_path / "kg.json")) == [
        {"paper": STEPTUNE[0], "subject": "StepTune", "benchmark": "ImageNet", "metric": "top-1 accuracy",
         "value": "83.1", "score": 83.1, "setting": "5-shot", "lower": False}]


def test_results_graph_rebuild_replaces_what_a_paper_reported(tmp_path):
    from paperkg.graph.build import build
    from paperkg.graph.store import read_graph

    papers, graph_file = _papers_file(tmp_path / "papers.jsonl", STEPTUNE), tmp_path / "kg.json"
    build([papers], graph_file)
    build([papers], graph_file)  # the same input again: one copy of everything
    assert len(_result_rows(read_graph(graph_file))) == 1
    corrected = (STEPTUNE[0], STEPTUNE[1].replace("83.1%", "84.0%"))
    build([_papers_file(tmp_path / "corrected.jsonl", corrected)], graph_file)
    graph = read_graph(graph_file)
    assert [row["value"] for row in _result_rows(graph)] == ["84.0"]
    assert sum(1 for _, d in graph.nodes(data=True) if d["label"] == "Result") == 1


def test_results_neo4j_load_is_idempotent_and_drops_results_a_paper_no_longer_reports(bolt_driver, bolt_settings):
    from paperkg.graph.neo4j import load_graph, run_query_neo4j
    from paperkg.graph.store import build_graph

    db = bolt_settings.database
    graph = build_graph([extract_text(*STEPTUNE)])
    first = load_graph(graph, bolt_driver, database=db, batch_size=2)
    again = load_graph(graph, bolt_driver, database=db, batch_size=2)
    assert first.by_label["Result"] == 1 and again.nodes_created == again.relationships_created == 0
    build_graph([extract_text(STEPTUNE[0], STEPTUNE[1].replace("83.1%", "84.0%"))], graph)
    counts = load_graph(graph, bolt_driver, database=db, batch_size=2)
    rows = run_query_neo4j("MATCH (p:Paper)-[:REPORTS]->(r:Result)-[:RESULT_ON]->(b:Entity) "
                           "RETURN r.value AS value, b.name AS benchmark", {}, bolt_driver, database=db).rows
    assert rows == [{"value": "84.0", "benchmark": "ImageNet"}]
    assert counts.results_deleted == 1
    assert run_query_neo4j("MATCH (r:Result) RETURN count(r) AS n", {}, bolt_driver, database=db).rows == [{"n": 1}]


def test_results_csv_export_writes_result_nodes_and_links(tmp_path):
    from paperkg.graph.export import write_csv
    from paperkg.graph.store import build_graph

    written = {path.name for path in write_csv(build_graph([extract_text(*STEPTUNE)]), tmp_path / "csv")}
    assert {"Result.csv", "Paper-REPORTS-Result.csv", "Result-RESULT_ON-Dataset.csv",
            "Result-RESULT_OF-Method.csv", "Result-MEASURED_IN-Metric.csv"} <= written


def test_results_eval_cli_prints_result_precision_and_recall_when_the_gold_has_results(tmp_path):
    from click.testing import CliRunner

    from paperkg.graph.cli import cli

    examples = Path(__file__).parent / "fixtures" / "example-papers.txt"
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({
        "title": "TinyCoder: Small Code Models Trained on Verified Programs",
        "entities": [{"name": "TinyCoder-1B", "type": "Model", "aliases": []},
                     {"name": "HumanEval", "type": "Benchmark", "aliases": []}],
        "relations": [],
        "results": [{"subject": "TinyCoder-1B", "benchmark": "HumanEval", "metric": "pass@1", "value": "41.5"},
                    {"subject": "TinyCoder-1B", "benchmark": "MBPP", "metric": "pass@1", "value": "45.0"},
                    {"subject": "TinyCoder-1B", "benchmark": "HumanEval", "metric": "pass@10", "value": "60.2"}],
    }) + "\n")
    scores = json.loads(CliRunner().invoke(cli, ["eval", str(gold), str(examples), "--json"]).stdout)
    assert (scores["results"]["tp"], scores["results"]["fn"]) == (2, 1)
    table = CliRunner().invoke(cli, ["eval", str(gold), str(examples)]).stdout
    assert "results (subject, benchmark, metric, value) over 1 papers: P 1.000 R 0.667" in table


@pytest.mark.parametrize("damage, message", [
    (lambda doc: doc.update(edges=[e for e in doc["edges"] if e["type"] != "REPORTS"]),
     "is not reported by its paper on a benchmark"),
    (lambda doc: [e.update(target="title:0000000000000000") for e in doc["edges"] if e["type"] == "RESULT_ON"],
     "which is no node of the file"),
    (lambda doc: [n.pop("score") for n in doc["nodes"] if n["label"] == "Result"], "has no 'score', not a number"),
])
def test_results_graph_file_with_a_broken_result_is_one_line_naming_it(tmp_path, damage, message):
    from paperkg.extractors.errors import InputError
    from paperkg.graph.store import build_graph, generate_graph_json, read_graph

    document = json.loads(generate_graph_json(build_graph([extract_text(*STEPTUNE)])))
    damage(document)
    (tmp_path / "kg.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_graph(tmp_path / "kg.json")
    assert message in str(error.value) and "\n" not in str(error.value)
