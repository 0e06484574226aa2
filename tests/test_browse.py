"""``chronique browse``: the static site of a release, checked in its HTML and in a real headless Chromium.

The browser tests need Chromium, its driver and selenium; without them they skip and say so
(CI installs them in ``.ci/run``). The README screenshot is made by the same code as the
screenshot test::

    .venv/bin/python tests/test_browse.py docs
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PROJECT, SEED_ID, make_repo, snapshot, seed_only_repo

from chronique.browse import render_text, write_site
from chronique.browse.site import MARKER
from chronique.errors import UsageError
from chronique.pipeline import build
from chronique.schema import FINE_TYPES

HOSTILE_ID = "hostile01"
HOSTILE_TEXT = "Un texte <script>alert(1)</script> & <img src=x onerror=alert(2)> suit.\n\nDeuxième paragraphe « fin »."
HOSTILE_TITLE = "<b>Titre</b> <script>alert('titre')</script>"
PLAIN_ID = "0123456789abcdef"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1000",
                  # no smooth scrolling: a page still moving after a selection would carry the next click elsewhere
                  "--force-prefers-reduced-motion")


# --- fixtures: the seed release, a release with a hostile article, their sites ---------------------


def load_documents(release: Path, cache: Path) -> list[dict]:
    from datasets import load_dataset

    data = load_dataset(str(release), "documents", cache_dir=str(cache))
    return [{**row, "split": split} for split in data for row in data[split]]


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory) -> tuple[Path, dict]:
    """The site of the seed release built from this checkout, and the seed's ``documents`` row."""
    root = tmp_path_factory.mktemp("seed")
    release = build(seed_only_repo(root), releases=root / "releases", update_registry=False).path
    result = write_site(release, root / "site", cache_dir=str(root / "hf-cache"))
    (row,) = [r for r in load_documents(release, root / "hf-cache") if r["doc_id"] == SEED_ID]
    return result.out, row


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A release of the seed, an unannotated article and an unannotated one full of HTML, and its site."""
    root = tmp_path_factory.mktemp("hostile")
    record = {"id": HOSTILE_ID, "date": "2021-03-04", "title": HOSTILE_TITLE, "text": HOSTILE_TEXT,
              "license": "CC-BY-4.0", "source": "test fixture", "origin": "composed"}
    repo = make_repo(root / "repo", {f"001_{PLAIN_ID}.txt": "date 2021-01 Un autre texte sur Paris.",
                                     "hostile.jsonl": json.dumps(record) + "\n"})
    release = build(repo, releases=root / "releases", statuses=("gold", "unannotated"), update_registry=False).path
    result = write_site(release, root / "site", cache_dir=str(root / "hf-cache"))
    return result.out, load_documents(release, root / "hf-cache")


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The site of the committed current release (every document of the corpus), and its rows."""
    from chronique.version import __version__

    root = tmp_path_factory.mktemp("corpus")
    release = PROJECT / "releases" / __version__
    result = write_site(release, root / "site", repo=PROJECT, cache_dir=str(root / "hf-cache"))
    return result.out, load_documents(release, root / "hf-cache")


def chromium_paths() -> tuple[str, str]:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [path for path in (chromium, driver) if not Path(path).exists()]
    if missing:
        reason = (f"{' and '.join(missing)} not installed, so the browser tests cannot run here; "
                  "CI runs them: .ci/run installs them with apt-get install chromium chromium-driver")
        if os.environ.get("CI_REQUIRES_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return chromium, driver


def start_chromium(chromium: str, driver: str, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # an explicit driver path: selenium never tries to download one
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e .[test]); CI installs it")
    chromium, driver = chromium_paths()
    session = start_chromium(chromium, driver, str(tmp_path_factory.mktemp("chromium-profile")))
    session.set_page_load_timeout(30)
    yield session
    session.quit()


def open_page(browser, path: Path):
    """``path`` in a new navigation (through about:blank, so that nothing of the page before is carried over),
    once it is the loaded document: the driver can return from a file:// navigation before it is."""
    browser.get("about:blank")
    return open_url(browser, path.resolve().as_uri())


def open_url(browser, uri: str):
    """``uri``, once it is the loaded document."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(uri)
    WebDriverWait(browser, 15, poll_frequency=0.05).until(lambda _: browser.execute_script(
        "return document.readyState === 'complete' && document.URL === arguments[0];", uri))
    return browser


def mention_spans(browser) -> list[dict]:
    return browser.execute_script("""
        return Array.from(document.querySelectorAll('#text .mention')).map(function (m) {
          var parent = m.parentElement.closest('#text .mention');
          return {id: m.dataset.id, type: m.dataset.type, text: m.textContent, title: m.title,
                  parent: parent ? parent.dataset.id : null, metonymic: m.classList.contains('metonymic')};
        });""")


def highlighted(browser, name: str) -> list[dict]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#text .' + arguments[0])).map(function (e) {"
        "  return {quote: e.dataset.quote, id: e.dataset.id, text: e.textContent}; });", name)


# --- the annotated text, without a browser -------------------------------------------------------


class SpanTree(HTMLParser):
    """Reads rendered text back: every ``<span>`` with its attributes and its ``[start, end)`` in the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.stack, self.spans = "", [], []

    def handle_starttag(self, name, attrs):
        self.stack.append((name, dict(attrs), len(self.text)))

    def handle_endtag(self, name):
        opened, attrs, start = self.stack.pop()
        assert opened == name, f"</{name}> closes <{opened}>"
        if name == "span":
            enclosing = [a.get("data-id") for n, a, _ in self.stack if "mention" in a.get("class", "")]
            self.spans.append({**attrs, "start": start, "end": len(self.text), "in": enclosing[-1] if enclosing else None})

    def handle_data(self, data):
        self.text += data


def read_back(html: str) -> SpanTree:
    tree = SpanTree()
    tree.feed(html.replace("\n", ""))
    tree.close()
    assert tree.stack == []
    return tree


def one_paragraph(text, mentions, evidence) -> dict:
    return {"text": text, "paragraphs": [{"start": 0, "end": len(text), "kind": "body"}], "entities": [],
            "mentions": [{"id": f"m{i}", "start": s, "end": e, "type": t, "entity_id": None, "parent_id": p,
                          "metonymic": False} for i, (s, e, t, p) in enumerate(mentions)],
            "stances": [{"id": f"s{i}", "evidence": [{"start": s, "end": e, "text": text[s:e]}]}
                        for i, (s, e) in enumerate(evidence)]}


def test_evidence_crossing_a_mention_is_split_and_mentions_nest_in_their_parent():
    text = "Le président Emmanuel Macron a parlé à Paris."
    row = one_paragraph(text, [(13, 28, "PER", None), (22, 28, "PER", "m0"), (39, 44, "GPE", None)],
                        [(3, 21), (29, 41)])
    tree = read_back(render_text(row))
    assert tree.text == text
    mentions = {s["data-id"]: s for s in tree.spans if s.get("data-id")}
    assert {k: (m["start"], m["end"], m["in"]) for k, m in mentions.items()} == {
        "m0": (13, 28, None), "m1": (22, 28, "m0"), "m2": (39, 44, None)}
    pieces = [(s["data-quote"], s["start"], s["end"]) for s in tree.spans if s.get("data-quote")]
    assert sorted(pieces) == [("29-41", 29, 39), ("29-41", 39, 41), ("3-21", 3, 13), ("3-21", 13, 21)]


@st.composite
def annotated_texts(draw):
    text = draw(st.text(alphabet="ab <&>\"'é", min_size=1, max_size=30))
    spans = st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))).map(sorted).filter(lambda s: s[0] < s[1])
    laminar = []
    for start, end in draw(st.lists(spans, max_size=8, unique_by=tuple)):
        if all(end <= s or start >= e or (s <= start and end <= e) or (start <= s and e <= end) for s, e in laminar):
            laminar.append((start, end))
    # outer spans first, so that a mention's parent is the innermost one that contains it
    laminar.sort(key=lambda span: (span[0], -span[1]))
    mentions = []
    for start, end in laminar:
        parents = [i for i, (s, e) in enumerate(laminar) if s <= start and end <= e and (s, e) != (start, end)]
        mentions.append((start, end, draw(st.sampled_from(FINE_TYPES)), f"m{parents[-1]}" if parents else None))
    evidence = draw(st.lists(spans, max_size=5))
    return text, mentions, evidence


@given(annotated_texts())
@settings(max_examples=200, deadline=None)
def test_rendering_keeps_the_text_every_mention_whole_and_every_evidence_span(case):
    text, mentions, evidence = case
    tree = read_back(render_text(one_paragraph(text, mentions, evidence)))
    assert tree.text == text
    rendered = [(s["start"], s["end"], s["data-type"], s["in"]) for s in tree.spans if s.get("data-id")]
    assert sorted(rendered, key=str) == sorted(mentions, key=str)
    for start, end in set(map(tuple, evidence)):
        pieces = sorted((s["start"], s["end"]) for s in tree.spans if s.get("data-quote") == f"{start}-{end}")
        assert pieces[0][0] == start and pieces[-1][1] == end
        assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:])), "pieces are contiguous"


# --- the site's files ----------------------------------------------------------------------------


DATA = ['<script src="assets/search.js">', '<script src="search/documents.js">', '<script src="search/entities.js">']
SCRIPTS = {"index.html": DATA + ['<script src="assets/index.js">'], "stats.html": [],
           "entities.html": DATA + ['<script src="assets/entity-index.js">'],
           "documents": ['<script src="../assets/document.js">']}


def test_every_page_loads_only_local_files_and_links_only_to_wikidata(seed_site, hostile_site):
    for site in (seed_site[0], hostile_site[0]):
        for page in site.rglob("*.html"):
            html = page.read_text(encoding="utf-8")
            for attribute, target in re.findall(r'\b(src|href)="([^"]*)"', html):
                if target.startswith("https://www.wikidata.org/wiki/Q"):
                    assert attribute == "href"
                    continue
                assert "://" not in target and not target.startswith("//"), f"{page}: {target}"
                assert (page.parent / target).resolve().is_file(), f"{page}: {target} is missing"
            assert re.findall(r"<script\b[^>]*>", html) == SCRIPTS[page.relative_to(site).parts[0]]


def test_hostile_text_and_title_are_escaped_in_the_html(hostile_site):
    site, _ = hostile_site
    page = (site / "documents" / f"{HOSTILE_ID}.html").read_text(encoding="utf-8")
    assert "Un texte &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt; suit." in page
    assert "&lt;b&gt;Titre&lt;/b&gt; &lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt;" in page
    for html in (page, (site / "index.html").read_text(encoding="utf-8")):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Titre" not in html


def test_the_statistics_page_has_its_figures_and_says_single_annotator(seed_site):
    site, _ = seed_site
    stats = (site / "stats.html").read_text(encoding="utf-8")
    for name in ("mentions-per-type", "polarity-per-scope", "document-length", "sentence-length"):
        svg = (site / "figures" / f"{name}.svg").read_text(encoding="utf-8")
        assert f'src="figures/{name}.svg"' in stats and svg.rstrip().endswith("</svg>")
        assert "<metadata>" not in svg and "<dc:date>" not in svg
    assert "Single annotator" in stats and not (site / "figures" / "agreement.svg").exists()


def test_agreement_is_reported_when_the_repository_has_versions(tmp_path):
    repo = make_repo(tmp_path / "repo")
    gold = json.loads((repo / "annotations" / f"{SEED_ID}.json").read_text(encoding="utf-8"))
    folder = repo / "annotations" / "versions" / SEED_ID
    folder.mkdir(parents=True)
    for annotator in ("a1", "a2"):
        version = json.loads(json.dumps(gold))
        version["provenance"].update(status="silver", annotators=[annotator])
        if annotator == "a2":
            version["mentions"][0]["type"] = "GPE"  # one disagreement on the type of 'français'
        (folder / f"{annotator}.json").write_text(json.dumps(version, ensure_ascii=False), encoding="utf-8")
    release = build(repo, update_registry=False).path
    result = write_site(release, tmp_path / "site", cache_dir=str(tmp_path / "hf-cache"))
    stats = (result.out / "stats.html").read_text(encoding="utf-8")
    assert result.annotators == "2 annotators" and not [f for f in result.findings if f.severity == "error"]
    assert "annotation 1 × annotation 2" in stats and "2 annotators (a1, a2)" in stats and (result.out / "figures" / "agreement.svg").is_file()
    assert "Single annotator" not in stats


def seed_versions(repo: Path) -> tuple[dict, dict]:
    """Two versions of the seed: a1 is the gold; a2 retypes its first mention and leaves out a childless one."""
    gold = json.loads((repo / "annotations" / f"{SEED_ID}.json").read_text(encoding="utf-8"))
    folder = repo / "annotations" / "versions" / SEED_ID
    folder.mkdir(parents=True)
    parents = {m.get("parent_id") for m in gold["mentions"]}
    dropped = next(m for m in reversed(gold["mentions"]) if m["id"] not in parents and m["type"] == "DATE")
    for annotator in ("a1", "a2"):
        version = json.loads(json.dumps(gold))
        version["provenance"].update(status="silver", annotators=[annotator])
        if annotator == "a2":
            version["mentions"][0]["type"] = "GPE"
            version["mentions"] = [m for m in version["mentions"] if m["id"] != dropped["id"]]
        (folder / f"{annotator}.json").write_text(json.dumps(version, ensure_ascii=False), encoding="utf-8")
    return gold["mentions"][0], dropped


def test_a_curation_page_marks_a_type_disagreement_and_a_missing_mention(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from chronique.curation.adjudicate import adjudicate
    from chronique.errors import FindingLog

    repo = make_repo(tmp_path / "repo")
    retyped, dropped = seed_versions(repo)
    adjudicate(repo, SEED_ID, log=FindingLog())  # writes conflicts.tsv (its resolutions are left to the curator)
    release = build(repo, update_registry=False).path
    site = write_site(release, tmp_path / "site", cache_dir=str(tmp_path / "hf-cache")).out
    page = (site / "documents" / f"{SEED_ID}.html").read_text(encoding="utf-8")
    assert f'href="../curation/{SEED_ID}.html"' in page  # the gold document leads to its versions
    open_page(browser, site / "curation" / f"{SEED_ID}.html")
    marked = browser.execute_script("""
        return Array.from(document.querySelectorAll('.version')).map(function (column) {
          var found = {};
          column.querySelectorAll('.mention.disputed').forEach(function (m) { found[m.dataset.id] = m.dataset.disagreement; });
          return [column.querySelector('h2').textContent, found]; });""")
    assert marked == [["a1", {retyped["id"]: "type", dropped["id"]: "missing"}], ["a2", {retyped["id"]: "type"}]]
    rows = {row.find_element(By.CSS_SELECTOR, ".kind").text: row for row in
            browser.find_elements(By.CSS_SELECTOR, "table.disagreements tbody tr")}
    assert sorted(rows) == ["missing", "type"]
    lines = (repo / "annotations" / "versions" / SEED_ID / "conflicts.tsv").read_text(encoding="utf-8").splitlines()
    for kind, row in rows.items():
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        link = row.find_element(By.CSS_SELECTOR, 'a[href^="#line-"]')
        number = int(link.get_attribute("href").rsplit("-", 1)[1])
        assert lines[number - 1].split("\t")[0] == cells[0]  # the conflict's own line of the file
        assert browser.find_element(By.ID, f"line-{number}").text.split()[1] == cells[0]
        gold_link = row.find_element(By.CSS_SELECTOR, 'a[href*="../documents/"]').get_attribute("href")
        mention = retyped if kind == "type" else dropped
        assert gold_link.endswith(f"/documents/{SEED_ID}.html#mention-{mention['id']}")
    assert "GPE" in rows["type"].text  # a2's type, beside a1's


def test_the_site_is_deterministic_and_replaces_only_its_own_folder(seed_site, tmp_path):
    site, _ = seed_site
    release = next(site.parent.glob("releases/*"))
    again = write_site(release, tmp_path / "again", cache_dir=str(tmp_path / "hf-cache")).out
    assert snapshot(again) == snapshot(site)
    (again / "stale.html").write_text("old", encoding="utf-8")
    write_site(release, again, cache_dir=str(tmp_path / "hf-cache"))
    assert not (again / "stale.html").exists() and (again / MARKER).is_file()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not a site written by chronique browse"):
        write_site(release, foreign, cache_dir=str(tmp_path / "hf-cache"))
    assert snapshot(foreign) == {"notes.txt": b"mine"}


def test_the_nine_type_colours_stay_apart_for_colour_blind_readers_and_behind_text(seed_site):
    from chronique.browse.palette import (MIN_DISTANCE, SIMULATIONS, TEXT_COLOUR, TYPE_COLOURS, closest_pair, contrast,
                                          distance, seen_as)

    assert set(TYPE_COLOURS) == set(FINE_TYPES) and len(set(TYPE_COLOURS.values())) == 9
    for simulation in SIMULATIONS:
        gap, first, second = closest_pair(simulation)
        assert gap >= MIN_DISTANCE, f"{first} and {second} are {gap:.1f} apart under {simulation}"
    assert all(contrast(TEXT_COLOUR, colour) >= 4.5 for colour in TYPE_COLOURS.values())
    # the simulation is not the identity: red and green fall together under deuteranopia
    assert distance(seen_as("#FF0000", "deuteranopia"), seen_as("#00FF00", "deuteranopia")) < 0.2 * distance(
        seen_as("#FF0000", "normal"), seen_as("#00FF00", "normal"))
    # the former palette's three blues and violet: LOC and FAC fell together under protanopia
    former = {"GPE": "#9fe8f5", "LOC": "#a9c8ff", "FAC": "#cfc6ff"}
    assert closest_pair("protanopia", former)[0] < MIN_DISTANCE / 4
    css = (seed_site[0] / "assets" / "browse.css").read_text(encoding="utf-8")
    assert all(f"--{name}: {colour};" in css for name, colour in TYPE_COLOURS.items())


def test_an_untitled_document_is_headed_by_its_first_words_and_its_id_is_shown_once(hostile_site):
    site, _ = hostile_site
    page = (site / "documents" / f"{PLAIN_ID}.html").read_text(encoding="utf-8")
    assert "<h1 lang=\"fr\">Un autre texte sur Paris.</h1>" in page
    assert re.search(r"<title>Un autre texte sur Paris\. ·", page)
    main = page[page.index("<main>"):]
    assert main.count(f">{PLAIN_ID}<") == 1  # in the facts under the heading


def test_the_statistics_page_plots_coarse_types_and_few_lengths_as_dots(seed_site):
    site, row = seed_site
    stats = (site / "stats.html").read_text(encoding="utf-8")
    assert 'src="figures/mentions-per-coarse-type.svg"' in stats and "Mentions per coarse type" in stats
    from chronique.browse import plots

    one = plots.length_histogram_svg({"train": [412]}, title="t", unit="tokens")
    many = plots.length_histogram_svg({"train": list(range(100, 400, 10))}, title="t", unit="tokens")
    assert one.count(b'<g id="PathCollection') == 1 and b"PathCollection" not in many  # a dot, not one bar


# --- in Chromium --------------------------------------------------------------------------------


def test_the_seed_page_shows_every_gold_mention_with_its_type(browser, seed_site):
    site, row = seed_site
    open_page(browser, site / "documents" / f"{SEED_ID}.html")
    shown = {m["id"]: m for m in mention_spans(browser)}
    assert len(mention_spans(browser)) == len(row["mentions"]) == len(shown)
    entities = {e["id"]: e for e in row["entities"]}
    for mention in row["mentions"]:
        span = shown[mention["id"]]
        assert (span["type"], span["text"], span["parent"], span["metonymic"]) == (
            mention["type"], mention["text"], mention["parent_id"], mention["metonymic"])
        entity = entities[mention["entity_id"]]
        assert mention["type"] in span["title"] and entity["name"] in span["title"]
        assert entity["qid"] is None or entity["qid"] in span["title"]
    assert any(m["parent_id"] for m in row["mentions"]) and any(m["metonymic"] for m in row["mentions"])


def test_hovering_a_mention_shows_its_entity_and_wikidata_id(browser, seed_site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    site, row = seed_site
    open_page(browser, site / "documents" / f"{SEED_ID}.html")
    entity = next(e for e in row["entities"] if e["qid"])
    mention = next(m for m in row["mentions"] if m["entity_id"] == entity["id"])
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, f'#text [data-id="{mention["id"]}"]')).perform()
    panel = browser.find_element(By.ID, "mention-info")
    assert entity["name"] in panel.text and mention["type"] in panel.text
    link = panel.find_element(By.CSS_SELECTOR, "a.qid")
    assert link.text == entity["qid"] and link.get_attribute("href").endswith(f"/wiki/{entity['qid']}")


def test_selecting_a_stance_highlights_its_holder_target_and_evidence(browser, seed_site):
    from selenium.webdriver.common.by import By

    site, row = seed_site
    open_page(browser, site / "documents" / f"{SEED_ID}.html")
    buttons = browser.find_elements(By.CSS_SELECTOR, "button.stance")
    assert [b.get_attribute("data-stance") for b in buttons] == [s["id"] for s in row["stances"]]
    mentions_of = lambda entity: sorted(m["id"] for m in row["mentions"] if m["entity_id"] == entity)  # noqa: E731
    for button, stance in zip(buttons, row["stances"]):
        press(browser, button)
        assert button.get_attribute("aria-pressed") == "true"
        pieces = highlighted(browser, "hl-evidence")
        quotes = {f"{q['start']}-{q['end']}": q["text"] for q in stance["evidence"]}
        assert {p["quote"] for p in pieces} == set(quotes)
        for quote, text in quotes.items():
            assert "".join(p["text"] for p in pieces if p["quote"] == quote) == text
        assert sorted(m["id"] for m in highlighted(browser, "hl-holder")) == mentions_of(stance["holder"])
        target = stance["target"] if stance["target_kind"] == "entity" else None
        assert sorted(m["id"] for m in highlighted(browser, "hl-target")) == mentions_of(target)
    press(browser, buttons[-1])  # a second click clears the selection
    assert highlighted(browser, "hl-evidence") == [] and buttons[-1].get_attribute("aria-pressed") == "false"


def label_of(browser, mention_id: str) -> str:
    """What the page draws after a mention (its ``::after`` content), as the browser computes it."""
    return browser.execute_script("return getComputedStyle(document.querySelector('#text [data-id=\"' + arguments[0] + "
                                  "'\"]'), '::after').content;", mention_id)


def test_the_type_label_toggle_prints_each_type_after_its_mention(browser, seed_site):
    from selenium.webdriver.common.by import By

    site, row = seed_site
    open_page(browser, site / "documents" / f"{SEED_ID}.html")
    plain = next(m for m in row["mentions"] if not m["metonymic"])
    metonymic = next(m for m in row["mentions"] if m["metonymic"])
    toggle = browser.find_element(By.ID, "labels-toggle")
    assert not toggle.is_selected() and label_of(browser, plain["id"]) in ("none", "normal")
    press(browser, toggle)
    try:
        assert toggle.is_selected()
        assert label_of(browser, plain["id"]) == f'"{plain["type"]}"'
        assert label_of(browser, metonymic["id"]) == f'"{metonymic["type"]} ↺"'
        open_page(browser, site / "documents" / f"{SEED_ID}.html")  # the choice is kept from page to page
        assert label_of(browser, plain["id"]) == f'"{plain["type"]}"'
    finally:
        browser.execute_script("localStorage.removeItem('chronique.labels');")
    open_page(browser, site / "documents" / f"{SEED_ID}.html")
    assert label_of(browser, plain["id"]) in ("none", "normal")


def test_a_selected_stance_draws_an_arrow_from_a_holder_mention_to_a_target_mention(browser, corpus_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, rows = corpus_site
    linking = lambda s: s["target_kind"] == "entity" and s["holder"] != "AUTHOR"  # noqa: E731
    row = next(r for r in rows if any(map(linking, r["stances"])) and any(s["target_kind"] == "topic" for s in r["stances"]))
    open_page(browser, site / "documents" / f"{row['doc_id']}.html")
    linked = next(s for s in row["stances"] if linking(s))
    topic = next(s for s in row["stances"] if s["target_kind"] == "topic")
    press(browser, browser.find_element(By.ID, f"stance-{linked['id']}"))
    ends = browser.execute_script("""
        var path = document.querySelector('#text svg.stance-link > path'), base = document.getElementById('text').getBoundingClientRect();
        var d = path.getAttribute('d').split(/[ ,]+/).filter(Boolean);
        function box(m) { var r = m.getClientRects()[0]; return [r.left - base.left, r.right - base.left, r.top - base.top]; }
        return {start: [Number(d[1]), Number(d[2])], end: [Number(d[d.length - 2]), Number(d[d.length - 1])],
                holders: Array.from(document.querySelectorAll('#text .hl-holder')).map(box),
                targets: Array.from(document.querySelectorAll('#text .hl-target')).map(box)};""")
    on = lambda point, boxes: any(left <= point[0] <= right and abs(point[1] - top) <= 3 for left, right, top in boxes)  # noqa: E731
    assert on(ends["start"], ends["holders"]) and on(ends["end"], ends["targets"])
    press(browser, browser.find_element(By.ID, f"stance-{topic['id']}"))  # a topic has no mention to point at
    assert browser.find_elements(By.CSS_SELECTOR, "#text svg.stance-link") == []
    # the entity index links to #stance-<id>: the document opens with that stance selected, its arrow drawn
    open_url(browser, (site / "documents" / f"{row['doc_id']}.html").resolve().as_uri() + f"#stance-{linked['id']}")
    button = browser.find_element(By.ID, f"stance-{linked['id']}")
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda _: button.get_attribute("aria-pressed") == "true")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#text svg.stance-link > path")) == 1


def press(browser, element) -> None:
    """A real mouse click on ``element``, made only once the element itself is what lies under the
    pointer (scrolled to the middle of the window, nothing covering it, the page no longer moving).
    For a toggle, waits until the page has taken the click; it never clicks twice."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    before = element.get_attribute("aria-pressed")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    WebDriverWait(browser, 15, poll_frequency=0.05).until(lambda _: browser.execute_script(UNDER_POINTER, element))
    ActionChains(browser).move_to_element(element).click().perform()
    if before is not None:
        WebDriverWait(browser, 15, poll_frequency=0.05).until(lambda _: element.get_attribute("aria-pressed") != before)


# true when the element's centre hit-tests to the element (or inside it) and has not moved since the last call
UNDER_POINTER = """
var element = arguments[0], box = element.getBoundingClientRect();
var x = box.left + box.width / 2, y = box.top + box.height / 2, at = document.elementFromPoint(x, y);
var seen = window.lastPositions = window.lastPositions || new WeakMap();
var here = x + "," + y, still = seen.get(element) === here;
seen.set(element, here);
return still && at !== null && (at === element || element.contains(at));
"""


def screenshot_seed_page(browser, page: Path, png: Path, *, stance: int = 2, hover: str = "m4") -> Path:
    """The README screenshot: the seed's page, one stance selected and one mention hovered, text and side bar whole."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    open_page(browser, page)
    browser.set_window_size(1400, 1000)
    for _ in range(3):  # the window's outer height is not its viewport's: measure, resize, measure again
        needed = browser.execute_script("return Math.ceil(document.querySelector('.reading')"
                                        ".getBoundingClientRect().bottom + window.scrollY) + 24")
        missing = needed - browser.execute_script("return window.innerHeight")
        if missing == 0:
            break
        browser.set_window_size(1400, browser.get_window_size()["height"] + missing)
    browser.find_elements(By.CSS_SELECTOR, "button.stance")[stance].click()
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, f'#text [data-id="{hover}"]')).perform()
    browser.execute_script("document.querySelector('aside.side').scrollTop = 0; window.scrollTo(0, 0);")
    png.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(png))
    return png


def test_the_screenshots_of_the_entity_index_and_a_curation_page_are_written(browser, corpus_site, tmp_path):
    shots = screenshot_corpus_pages(browser, corpus_site[0], tmp_path)
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and p.stat().st_size > 50_000 for p in shots)
    browser.set_window_size(1400, 1000)


def test_a_screenshot_of_the_seed_page_is_written(browser, seed_site, tmp_path):
    site, _ = seed_site
    png = screenshot_seed_page(browser, site / "documents" / f"{SEED_ID}.html", tmp_path / "seed-page.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000
    browser.set_window_size(1400, 1000)


def test_the_index_sorts_and_filters(browser, hostile_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    site, rows = hostile_site
    open_page(browser, site / "index.html")
    visible = lambda column: browser.execute_script(  # noqa: E731
        "var column = arguments[0]; return Array.from(document.querySelectorAll('#documents tbody tr:not([hidden])'))"
        ".map(function (r) { return r.cells[column].dataset.value; });", column)
    assert sorted(visible(0)) == sorted(r["doc_id"] for r in rows)
    header = browser.find_element(By.CSS_SELECTOR, 'th[data-key="mentions"] button')
    header.click()
    counts = [int(v) for v in visible(5)]
    assert counts == sorted(counts) and counts[-1] == max(len(r["mentions"]) for r in rows)
    header.click()
    assert [int(v) for v in visible(5)] == sorted(counts, reverse=True)
    Select(browser.find_element(By.ID, "status-filter")).select_by_value("unannotated")
    assert sorted(visible(0)) == sorted(r["doc_id"] for r in rows if r["annotation_status"] == "unannotated")
    Select(browser.find_element(By.ID, "status-filter")).select_by_value("")
    seed_split = next(r["split"] for r in rows if r["doc_id"] == SEED_ID)
    Select(browser.find_element(By.ID, "split-filter")).select_by_value(seed_split)
    assert sorted(visible(0)) == sorted(r["doc_id"] for r in rows if r["split"] == seed_split)
    Select(browser.find_element(By.ID, "split-filter")).select_by_value("")
    browser.find_element(By.ID, "filter").send_keys("Paris")
    # words of the text, anywhere in it: found once the page has loaded the texts of search/
    WebDriverWait(browser, 10, poll_frequency=0.05).until(
        lambda _: browser.find_element(By.ID, "shown").text == f"2 of {len(rows)} documents")
    assert sorted(visible(0)) == sorted([PLAIN_ID, SEED_ID])


def shared_entity(rows) -> tuple[str, list[tuple[str, str]]]:
    """A Wikidata id that entities of two documents or more have, and one ``(doc_id, mention id)`` per mention."""
    mentions: dict[str, list] = {}
    for row in rows:
        for entity in row["entities"]:
            if entity["qid"]:
                mentions.setdefault(entity["qid"], []).extend(
                    (row["doc_id"], m["id"]) for m in row["mentions"] if m["entity_id"] == entity["id"])
    qid = min((q for q, found in mentions.items() if len({d for d, _ in found}) >= 2), key=lambda q: (len(mentions[q]), q))
    return qid, mentions[qid]


def test_the_entity_index_lists_an_entity_of_two_documents_and_links_to_each_mention(browser, corpus_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, rows = corpus_site
    qid, mentions = shared_entity(rows)
    open_page(browser, site / "entities.html")
    browser.find_element(By.ID, "filter").send_keys(qid)
    [row] = browser.find_elements(By.CSS_SELECTOR, "#entities tbody tr")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2] == qid and int(cells[3]) == len({d for d, _ in mentions}) >= 2 and int(cells[4]) == len(mentions)
    row.find_element(By.CSS_SELECTOR, "button.opener").click()
    WebDriverWait(browser, 10).until(lambda _: browser.find_elements(By.CSS_SELECTOR, "ol.kwic li a"))
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ol.kwic li a")]
    assert sorted(link.split("/documents/")[1] for link in links) == sorted(f"{d}.html#mention-{m}" for d, m in mentions)
    first_doc, first_mention = mentions[0]
    target = next(link for link in links if link.endswith(f"{first_doc}.html#mention-{first_mention}"))
    open_url(browser, target)  # the link lands on the mention itself
    landed = browser.execute_script("return document.querySelector(':target').dataset.id")
    assert landed == first_mention


def test_an_entity_with_many_mentions_shows_them_a_hundred_at_a_time_across_kwic_files(browser, corpus_site, tmp_path,
                                                                                      monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    import chronique.browse.search_index as search_index
    from chronique.version import __version__

    _, rows = corpus_site
    monkeypatch.setattr(search_index, "KWIC_LINES", 37)  # the busiest entity's lines run over several files
    site = write_site(PROJECT / "releases" / __version__, tmp_path / "site", repo=PROJECT,
                      cache_dir=str(tmp_path / "hf-cache")).out
    assert len(list((site / "search").glob("kwic-*.js"))) > 10
    open_page(browser, site / "entities.html")
    first = browser.find_element(By.CSS_SELECTOR, "#entities tbody tr")
    total = int(first.find_elements(By.TAG_NAME, "td")[4].text)
    assert total > 100
    first.find_element(By.CSS_SELECTOR, "button.opener").click()
    lines = lambda: browser.find_elements(By.CSS_SELECTOR, "ol.kwic li:not(.more)")  # noqa: E731
    WebDriverWait(browser, 10).until(lambda _: len(lines()) == 100 and browser.find_elements(By.CSS_SELECTOR, "li.more"))
    browser.find_element(By.CSS_SELECTOR, "li.more button").click()
    WebDriverWait(browser, 10).until(lambda _: len(lines()) == total)
    links = [a.get_attribute("href").split("/documents/")[1] for a in browser.find_elements(By.CSS_SELECTOR, "ol.kwic li a")]
    qid = first.find_elements(By.TAG_NAME, "td")[2].text
    expected = [f"{row['doc_id']}.html#mention-{m['id']}" for row in rows for e in row["entities"] if e["qid"] == qid
                for m in row["mentions"] if m["entity_id"] == e["id"]]
    assert qid and sorted(links) == sorted(expected) and not browser.find_elements(By.CSS_SELECTOR, "li.more")


def test_searching_the_index_by_a_wikidata_id_finds_its_documents(browser, corpus_site):
    from selenium.webdriver.common.by import By

    site, rows = corpus_site
    qid, mentions = shared_entity(rows)
    open_page(browser, site / "index.html")
    assert browser.find_element(By.ID, "shown").text == f"{len(rows)} of {len(rows)} documents"
    browser.find_element(By.ID, "filter").send_keys(qid)
    listed = browser.execute_script("return Array.from(document.querySelectorAll('#documents tbody tr'))"
                                    ".map(function (r) { return r.cells[0].dataset.value; });")
    assert sorted(listed) == sorted({d for d, _ in mentions})
    assert browser.find_element(By.ID, "shown").text == f"{len(listed)} of {len(rows)} documents"


def test_a_wikidata_id_finds_only_itself_not_the_ids_it_begins(browser, corpus_site):
    from selenium.webdriver.common.by import By

    site, rows = corpus_site
    qids = sorted({e["qid"] for r in rows for e in r["entities"] if e["qid"]})
    short = next((q for q in qids if any(o != q and o.startswith(q) for o in qids)), None)
    assert short, "the corpus has an id that begins another (Q15 and Q159)"
    having = lambda qid: sorted(r["doc_id"] for r in rows if any(e["qid"] == qid for e in r["entities"]))  # noqa: E731
    open_page(browser, site / "index.html")
    browser.find_element(By.ID, "filter").send_keys(short)
    listed = browser.execute_script("return Array.from(document.querySelectorAll('#documents tbody tr'))"
                                    ".map(function (r) { return r.cells[0].dataset.value; });")
    assert sorted(listed) == having(short)
    open_page(browser, site / "entities.html")
    browser.find_element(By.ID, "filter").send_keys(short)
    assert [r.find_elements(By.TAG_NAME, "td")[2].text
            for r in browser.find_elements(By.CSS_SELECTOR, "#entities tbody tr")] == [short]


def test_the_index_pages_through_the_corpus_and_filters_by_beat_and_dates(browser, corpus_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    site, rows = corpus_site
    open_page(browser, site / "index.html")
    count = lambda: len(browser.find_elements(By.CSS_SELECTOR, "#documents tbody tr"))  # noqa: E731
    assert count() == min(100, len(rows)) and browser.find_element(By.CSS_SELECTOR, "#pages .where").text.startswith("page 1 of")
    browser.find_element(By.CSS_SELECTOR, '#pages [data-step="1"]').click()
    assert count() == len(rows) - 100
    beat = sorted({r["beat"] for r in rows if r["beat"]})[0]
    Select(browser.find_element(By.ID, "beat-filter")).select_by_value(beat)
    assert count() == sum(1 for r in rows if r["beat"] == beat)
    Select(browser.find_element(By.ID, "beat-filter")).select_by_value("")
    dates = sorted(r["date"] for r in rows if len(r["date"] or "") == 10)
    low, high = dates[len(dates) // 4], dates[len(dates) // 2]
    for element_id, value in (("date-from", low), ("date-to", high)):
        browser.execute_script("var e = document.getElementById(arguments[0]); e.value = arguments[1];"
                               "e.dispatchEvent(new Event('change'));", element_id, value)
    expected = sum(1 for r in rows if r["date"] and (r["date"] + "-31")[:10] >= low and (r["date"] + "-01")[:10] <= high)
    assert count() == min(100, expected) and f"{expected} of {len(rows)}" in browser.find_element(By.ID, "shown").text


def test_html_in_an_article_is_shown_as_text_and_never_runs(browser, hostile_site):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    site, _ = hostile_site
    open_page(browser, site / "documents" / f"{HOSTILE_ID}.html")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    scripts = browser.execute_script("return Array.from(document.querySelectorAll('script')).map(s => s.src)")
    assert scripts == [(site / "assets" / "document.js").resolve().as_uri()]
    text = browser.find_element(By.ID, "text")
    assert "<script>alert(1)</script> & <img src=x onerror=alert(2)> suit." in text.text
    assert text.find_elements(By.CSS_SELECTOR, "img, b, script") == []
    assert browser.find_element(By.TAG_NAME, "h1").text == HOSTILE_TITLE
    open_page(browser, site / "index.html")  # the index draws its rows from search/documents.js, as text
    titles = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#documents tbody td:nth-child(2)")]
    assert HOSTILE_TITLE in titles and browser.find_elements(By.CSS_SELECTOR, "#documents b, #documents script") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text


def screenshot_corpus_pages(browser, site: Path, folder: Path) -> list[Path]:
    """The README screenshots of the corpus site: the entity index with its first entity opened, and the
    curation page with the most disagreements."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1400, 1100)
    open_page(browser, site / "entities.html")
    browser.find_element(By.CSS_SELECTOR, "#entities button.opener").click()
    WebDriverWait(browser, 10).until(lambda _: browser.find_elements(By.CSS_SELECTOR, "ol.kwic li a"))
    shots = [folder / "entity-index.png", folder / "curation-page.png"]
    assert browser.save_screenshot(str(shots[0]))
    pages = sorted((site / "curation").glob("*.html"),
                   key=lambda p: (-p.read_text(encoding="utf-8").count('<tr id="c'), p.name))
    open_page(browser, pages[0])
    assert browser.save_screenshot(str(shots[1]))
    return shots


if __name__ == "__main__":
    # Regenerate the README screenshots: .venv/bin/python tests/test_browse.py docs
    target = Path(sys.argv[1] if len(sys.argv) > 1 else PROJECT / "docs").resolve()
    with tempfile.TemporaryDirectory() as scratch:
        built = build(seed_only_repo(Path(scratch)), releases=Path(scratch) / "releases", update_registry=False).path
        site_folder = write_site(built, Path(scratch) / "site", cache_dir=str(Path(scratch) / "hf-cache")).out
        from chronique.version import __version__

        corpus = write_site(PROJECT / "releases" / __version__, Path(scratch) / "corpus", repo=PROJECT,
                            cache_dir=str(Path(scratch) / "hf-cache")).out
        session = start_chromium(*chromium_paths(), str(Path(scratch) / "profile"))
        try:
            print(screenshot_seed_page(session, site_folder / "documents" / f"{SEED_ID}.html", target / "seed-page.png"))
            print(*screenshot_corpus_pages(session, corpus, target), sep="\n")
        finally:
            session.quit()
