"""The browser site at corpus scale: 10,000 generated documents.

The build time, the largest file and the total size are printed (``pytest -s`` or the terminal
summary shows them), never asserted: they are measurements, and benchmarks/RESULTS.md carries
them. What is asserted is that the site holds every document and that its index pages work in
Chromium at that size.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from chronique.browse.site import publish, site_files

from test_browse import browser, open_page  # noqa: F401  (the Chromium session, for this module too)

DOCUMENTS = 10_000
WORDS = ("le la les un une des de du et à en pour sur avec dans par président ministre gouvernement ville accord "
         "sommet conseil réforme vote budget élus syndicats grève manifestation").split()
ENTITIES = [("Paris", "GPE", "Q90"), ("Lyon", "GPE", "Q456"), ("Emmanuel Macron", "PER", "Q3052772"),
            ("Assemblée nationale", "ORG", None), ("Europe", "LOC", "Q46"), ("Élysée", "FAC", None),
            ("Français", "NORP", None), ("Jeux olympiques", "EVENT", None)]


def generated_row(number: int, rng: random.Random) -> dict:
    """A ``documents`` row of six paragraphs with some 25 mentions of a few entities, one a document of its own."""
    text, mentions, entities, paragraphs = "", [], {}, []
    names = ENTITIES + [(f"Commune {number}", "GPE", None)]
    for paragraph in range(6):
        start, words = len(text), [f"repère{number}"] if paragraph == 0 else []  # a word of this text alone
        for position in range(48):
            if rng.random() < 0.08:
                name, fine_type, qid = names[rng.randrange(len(names))]
                entity = entities.setdefault(name, {"id": f"e{len(entities) + 1}", "name": name, "type": fine_type, "qid": qid})
                offset = start + sum(len(w) + 1 for w in words)
                mentions.append({"id": f"m{len(mentions) + 1}", "start": offset, "end": offset + len(name), "text": name,
                                 "type": fine_type, "coarse_type": None, "entity_id": entity["id"], "parent_id": None,
                                 "metonymic": False})
                words.append(name)
            else:
                words.append(rng.choice(WORDS) + ("." if position % 12 == 11 else ""))
        text += " ".join(words)
        paragraphs.append({"start": start, "end": len(text), "kind": "body"})
        text += "\n\n"
    listed = list(entities.values())
    stances = [{"id": "s1", "holder": listed[0]["id"], "target": listed[1]["id"], "target_kind": "entity",
                "polarity": rng.choice(["FAVOR", "AGAINST", "NEUTRAL"]), "scope": "sentence", "reported": False,
                "evidence": [{"start": p["start"], "end": p["start"] + 20, "text": text[p["start"]:p["start"] + 20]}
                             for p in paragraphs[:1]]}] if len(listed) > 1 else []
    return {"doc_id": f"{number:016x}", "date": f"20{10 + number % 15}-{1 + number % 12:02d}-{1 + number % 28:02d}",
            "title": f"Article {number}" if number % 3 else None, "text": text[:-2], "paragraphs": paragraphs,
            "sentences": paragraphs, "mentions": mentions, "entities": listed, "stances": stances,
            "annotation_status": "gold", "annotators": ["generated"], "split": ("train", "validation", "test")[number % 3],
            "source": "generated", "url": None, "license": "CC-BY-4.0", "origin": "composed",
            "beat": ("politique", "international", "culture")[number % 3], "genre": ("dépêche", "analyse")[number % 2]}


@pytest.fixture(scope="module")
def large_site(tmp_path_factory) -> tuple[Path, dict[str, bytes], float]:
    rng = random.Random(2026)
    rows = [generated_row(number, rng) for number in range(DOCUMENTS)]
    started = time.perf_counter()
    files = site_files(rows, version="9.9.9")
    out = tmp_path_factory.mktemp("large") / "site"
    publish(files, out)
    return out, files, time.perf_counter() - started


def test_the_site_of_ten_thousand_documents_is_measured(large_site, capsys):
    site, files, seconds = large_site
    pages = [name for name in files if name.startswith("documents/")]
    assert len(pages) == DOCUMENTS and (site / "index.html").is_file() and (site / "entities.html").is_file()
    largest = max(files, key=lambda name: len(files[name]))
    with capsys.disabled():
        print(f"\nbrowser site of {DOCUMENTS:,} generated documents: built and written in {seconds:.1f} s; "
              f"{len(files):,} files, {sum(map(len, files.values())) / 1e6:.1f} MB in all; largest file {largest} "
              f"{len(files[largest]) / 1e6:.2f} MB; largest HTML page "
              f"{max(len(data) for name, data in files.items() if name.endswith('.html')) / 1e3:.0f} kB")


def test_the_index_pages_work_at_that_size(large_site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, _, _ = large_site
    open_page(browser, site / "index.html")
    assert browser.find_element(By.ID, "shown").text == f"{DOCUMENTS} of {DOCUMENTS} documents"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#documents tbody tr")) == 100
    browser.find_element(By.ID, "filter").send_keys("repère4321")  # in one text, found once the texts are loaded
    WebDriverWait(browser, 30).until(lambda _: browser.find_element(By.ID, "shown").text == f"1 of {DOCUMENTS} documents")
    listed = browser.execute_script("return Array.from(document.querySelectorAll('#documents tbody tr'))"
                                    ".map(function (r) { return r.cells[0].dataset.value; });")
    assert listed == [f"{4321:016x}"]
    open_page(browser, site / "entities.html")
    browser.find_element(By.ID, "filter").send_keys("Q90")
    [row] = browser.find_elements(By.CSS_SELECTOR, "#entities tbody tr")
    assert row.find_elements(By.TAG_NAME, "td")[0].text == "Paris"
