"""The chat UI in a real browser: Playwright driving Debian's chromium against `igf-rag serve`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_TIMEOUT_MS = 300_000  # a cold causal model on a busy 2-core machine


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(ui_server)
    page.locator("#igf-question textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str) -> None:
    page.locator("#igf-question textarea").fill(question)
    page.locator("#igf-question textarea").press("Enter")


def test_streamed_answer_cites_a_speaker_and_opens_the_whole_turn(page, pipeline, test_output):
    page.get_by_label("SmolLM2").check()  # the causal generator: its reply streams token by token
    ask(page, "Where did the GFC launch a Pacific hub?")
    chat = page.locator("#igf-chat")
    chat.locator("text=▍").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # a partial answer, still being generated
    card = page.locator("#igf-sources .src-card", has_text="Christopher Painter").first
    card.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert chat.locator("a.igf-cite").count() >= 1
    assert "▍" not in chat.inner_text()
    assert "retrieval" in chat.inner_text() and "generation" in chat.inner_text()
    assert card.locator("mark").first.is_visible()  # the supporting sentence is highlighted
    assert "turn 46" in card.locator(".src-where").inner_text()

    turn = pipeline.index.turn(pipeline.index.manifest.sessions[0].session_id, 46)
    whole = card.locator(".src-turn")
    assert not whole.is_visible()
    card.locator("summary").click()
    whole.wait_for(state="visible")
    opening = turn.text.split("\n")[0][:60]
    assert opening and opening in whole.inner_text()

    page.screenshot(path=str(test_output / "ui-answer.png"), full_page=True)
    assert {urlparse(url).netloc for url in page.requests if url.startswith("http")} == {urlparse(page.url).netloc}


def test_a_two_part_question_shows_each_part_on_its_own_line_with_its_citations(page, test_output):
    ask(page, "Which organisation does Katitza Rodriguez represent, and what does she think of the cybercrime treaty?")
    page.locator("#igf-sources .src-card", has_text="Katitza Rodriguez").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    bubble = page.locator("#igf-chat .message").last
    assert bubble.locator("br").count() >= 1  # one line per part
    assert bubble.locator("a.igf-cite").count() >= 2
    assert "Electronic Frontier Foundation" in bubble.inner_text() and "Treaty" in bubble.inner_text()
    page.screenshot(path=str(test_output / "ui-two-part.png"), full_page=True)


def test_a_question_outside_the_transcript_is_marked_not_covered(page, test_output):
    ask(page, "What is the recipe for a chocolate cake?")
    page.locator("#igf-chat .igf-notcovered", has_text="Not covered by the transcript").wait_for(timeout=ANSWER_TIMEOUT_MS)
    sources = page.locator("#igf-sources")
    sources.locator(".src-banner").wait_for()
    assert sources.locator(".src-card .src-badge", has_text="not supporting").count() >= 1
    assert sources.locator(".src-n").count() == 0  # nothing is numbered as a citation
    page.screenshot(path=str(test_output / "ui-not-covered.png"), full_page=True)


def test_example_question_speaker_filter_and_earlier_sources(page):
    page.get_by_text("What share of websites pass through Cloudflare's network?").first.click()
    expect(page.locator("#igf-question textarea")).to_have_value(re.compile("^What share of websites"))
    speaker = page.get_by_label("Speaker")
    speaker.click()
    page.get_by_role("option", name="Alissa Starzak").click()
    page.locator("#igf-question textarea").press("Enter")
    page.locator("#igf-sources .src-card").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    speakers = page.locator("#igf-sources .src-speaker").all_text_contents()  # shown and folded-away cards
    assert speakers and set(speakers) == {"Alissa Starzak"}
    assert "20%" in page.locator("#igf-chat").inner_text()

    ask(page, "Who brought up the Budapest Convention?")
    title = page.locator("#igf-sources .src-title")
    expect(title).to_contain_text("Budapest Convention", timeout=ANSWER_TIMEOUT_MS)
    page.locator('#igf-chat [data-testid="bot"]').first.click()  # an earlier answer brings back its sources
    expect(title).to_contain_text("What share of websites")



def test_a_follow_up_says_how_it_was_read_and_a_new_conversation_forgets(page, test_output):
    ask(page, "What did Folake Olagunju say about resources?")
    chat = page.locator("#igf-chat")
    chat.locator(".igf-quote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # the verbatim sentence beside the answer
    ask(page, "What about the EFF speaker?")
    resolved = chat.locator(".igf-resolved", has_text="Answered as: What did the EFF speaker say about resources?")
    resolved.wait_for(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#igf-sources .src-card").first).to_contain_text("Katitza Rodriguez", timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=str(test_output / "ui-follow-up.png"), full_page=True)

    page.locator("#igf-new").click()
    expect(chat.locator(".igf-quote")).to_have_count(0)
    ask(page, "What about the EFF speaker?")  # nothing to carry over now: answered as asked
    page.locator("#igf-sources .src-card").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    expect(chat.locator(".igf-resolved")).to_have_count(0)
