"""PLUMBING test of the seq2seq generator path (FLAN-T5, T5, BART): no seq2seq weights ship here, so a tiny T5 with
random weights and a tokenizer trained on the transcript are built offline, saved, and loaded by the product's own
loader through `settings.seq2seq_model`.

Random weights say nothing about answer quality: the assertions are about structure. Whatever the model emits, the
answer a person reads is either grounded in its cited sentences or replaced by a verbatim quote, and
`answer_source` and the notes say which.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from rag.cite import check_grounding
from rag.pipeline import Pipeline

QUESTIONS = [
    "Which convention do countries need to adhere to in order to collaborate on cyber threats?",  # fact: the model's reply is checked
    "How many member states does the Economic Community of West African States comprise?",  # number
    "Which panelist said cybersecurity should not undermine privacy and human rights?",  # who
    "What is Chris Painter's view on negotiating a new binding cybersecurity treaty at this point?",  # view
]


@pytest.fixture(scope="module")
def tiny_t5(tmp_path_factory, seed_path):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(
        seed_path.read_text(encoding="utf-8").splitlines(),
        trainers.WordLevelTrainer(vocab_size=2000, special_tokens=["<pad>", "</s>", "<unk>"]),
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = T5Config(
        vocab_size=words.get_vocab_size(),
        d_model=32,
        d_ff=64,
        d_kv=8,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    model = T5ForConditionalGeneration(config)
    path = tmp_path_factory.mktemp("tiny-t5")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def seq2seq_pipeline(settings, embedder, tiny_t5):
    result = Pipeline(dataclasses.replace(settings, seq2seq_model=str(tiny_t5), max_new_tokens=12))
    result._embedder = embedder
    return result


def test_the_loader_builds_a_seq2seq_generator(seq2seq_pipeline):
    generator = seq2seq_pipeline.generator("seq2seq")
    assert generator.name == "seq2seq"
    assert generator.model.config.is_encoder_decoder
    passages = seq2seq_pipeline.retriever.search(QUESTIONS[0], k=2)
    assert isinstance("".join(generator.stream(QUESTIONS[0], passages)), str)


@pytest.mark.parametrize("question", QUESTIONS)
def test_random_seq2seq_answers_are_grounded_or_quoted(seq2seq_pipeline, question):
    answer = seq2seq_pipeline.ask(question, generator="seq2seq")
    record = answer.to_dict()
    assert record["generator"] == "seq2seq"
    assert not answer.abstained, answer.notes
    assert answer.citations, "an answer always cites the sentence it rests on"
    assert answer.answer_source in ("generated", "regenerated", "quote", "attribution")
    for citation in answer.citations:
        assert citation.quote in citation.passage.chunk.text
        assert f"[{citation.n}]" in answer.answer
    # Shown beside the answer: the cited sentence and, for views, lists and facts, its passage's next-best ones.
    assert answer.citations[0].quote in record["quote"]
    assert all(s in answer.citations[0].passage.chunk.text for s in re.split(r"(?<=[.?!]) ", record["quote"]) if s)
    core = answer.answer.split(": ", 1)[-1]
    if answer.answer_source in ("generated", "regenerated"):
        assert check_grounding(core, " ".join(c.quote for c in answer.citations)).supported
    if answer.answer_source == "quote" and seq2seq_pipeline.plan(question, answer.retrieved[:6]).asks_model:
        # The random model's words failed the check: the notes say so, and the quote stands in for them.
        assert any("grounding check" in note for note in answer.notes), answer.notes
        assert any("supporting sentence" in note for note in answer.notes), answer.notes


def test_copy_spans_hold_even_a_random_model_to_the_excerpts(seq2seq_pipeline):
    """With copy_spans the reply is a contiguous run of one excerpt's tokens, whatever the weights."""
    generator = seq2seq_pipeline.generator("seq2seq")
    question = QUESTIONS[0]
    passages = seq2seq_pipeline.retriever.search(question, k=2)
    excerpts = [generator.tokenizer.tokenize(" ".join(p.chunk.text.split())) for p in passages]

    def runs_of_an_excerpt(tokens: list[str]) -> bool:
        n = len(tokens)
        return any(excerpt[i : i + n] == tokens for excerpt in excerpts for i in range(len(excerpt) - n + 1))

    saved, generator.copy_spans = generator.copy_spans, True
    try:
        copied = generator.tokenizer.tokenize("".join(generator.stream(question, passages)))
    finally:
        generator.copy_spans = saved
    assert copied and runs_of_an_excerpt(copied), copied
