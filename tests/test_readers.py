"""Readers: the seed's text format, JSON Lines, HTML, and every kind of bad input."""

import json
from pathlib import Path

import pytest

from chronique.errors import FindingLog
from chronique.store.raw_files import RawSource
from chronique.store.readers import MAX_RAW_BYTES, READERS, read_source

from conftest import PROJECT, SEED_ID, SEED_NAME, external


def read(path: Path, root: Path):
    log = FindingLog()
    articles = list(read_source(RawSource.of_repository(root), log))
    return articles, log


def write_raw(tmp_path: Path, name: str, content: str | bytes) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    path = raw / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_registry_is_keyed_by_extension():
    assert {".txt", ".jsonl", ".html"} <= set(READERS)


def test_seed_is_read_with_its_id_and_date(tmp_path):
    write_raw(tmp_path, SEED_NAME, (PROJECT / "raw" / SEED_NAME).read_bytes())
    [article], log = read(tmp_path / "raw", tmp_path)
    assert not log.findings
    assert (article.doc_id, article.date, article.reader) == (SEED_ID, "2020-11", "txt")
    assert article.body.startswith("Le président français Emmanuel Macron")
    assert article.path == f"raw/{SEED_NAME}"


@pytest.mark.parametrize("content", ["date 2020-11-16\nTexte.", "\n\n  date 2020-11 Texte.", "date 2021-02-28 Texte."])
def test_header_variants(tmp_path, content):
    write_raw(tmp_path, "article.txt", content)
    [article], log = read(tmp_path / "raw", tmp_path)
    assert not log.findings and article.body.strip() == "Texte."


def test_file_without_numbered_name_gets_a_content_id(tmp_path):
    write_raw(tmp_path, "article.txt", "date 2020-11 Texte.")
    [article], _ = read(tmp_path / "raw", tmp_path)
    assert len(article.doc_id) == 16 and all(c in "0123456789abcdef" for c in article.doc_id)
    write_raw(tmp_path, "article.txt", "date 2020-11 Autre texte.")
    [other], _ = read(tmp_path / "raw", tmp_path)
    assert other.doc_id != article.doc_id


BAD_INPUTS = {
    "latin1": ("a.txt", "date 2020-11 Le president\nfrançais".encode("latin-1"), "L1.raw.encoding", 2),
    "binary": ("a.txt", bytes(range(256)) * 4, "L1.raw.encoding", 2),
    "bom": ("a.txt", b"\xef\xbb\xbfdate 2020-11 Texte.", "L1.raw.bom", 1),
    "crlf": ("a.txt", b"date 2020-11\r\nTexte.", "L1.raw.crlf", 1),
    "nul": ("a.txt", b"date 2020-11\nTex\x00te.", "L1.raw.nul", 2),
    "empty": ("a.txt", b"", "L1.raw.empty", 1),
    "blank": ("a.txt", b"  \n\n ", "L1.raw.empty", 1),
    "no-date": ("a.txt", b"Le texte sans date.", "L1.raw.header", 1),
    "month-13": ("a.txt", b"date 2020-13 Texte.", "L1.raw.date", 1),
    "feb-30": ("a.txt", b"\ndate 2020-02-30 Texte.", "L1.raw.date", 2),
    "header-only": ("a.txt", b"date 2020-11\n", "L1.raw.empty", 1),
    "extension": ("a.docx", b"date 2020-11 Texte.", "L1.raw.extension", None),
    "jsonl-bad-json": ("a.jsonl", b'\n{"id": \n', "L1.raw.json", 2),
    "jsonl-no-date": ("a.jsonl", b'{"id": "x", "text": "ok"}\n', "L1.raw.date", 1),
    "jsonl-deep": ("a.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n", "L1.raw.json", 1),
    "jsonl-not-object": ("a.jsonl", b'["x"]\n', "L1.raw.json", 1),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_located_and_named(tmp_path, case):
    name, content, check_id, line = BAD_INPUTS[case]
    write_raw(tmp_path, name, content)
    articles, log = read(tmp_path / "raw", tmp_path)
    assert articles == []
    [finding] = log.findings
    assert (finding.check_id, finding.line, finding.path) == (check_id, line, f"raw/{name}")
    assert str(finding).startswith(f"raw/{name}")


def test_fifty_megabyte_article_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "raw" / "big.txt"
    path.parent.mkdir()
    with path.open("wb") as handle:
        handle.write(b"date 2020-11 ")
        handle.truncate(50 * 1024 * 1024)
    articles, log = read(tmp_path / "raw", tmp_path)
    assert articles == [] and [f.check_id for f in log.findings] == ["L1.raw.size"]
    assert path.stat().st_size > MAX_RAW_BYTES


def test_symlink_is_reported_and_not_followed(tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("date 2020-11 Secret.")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "link.txt").symlink_to(secret)
    articles, log = read(tmp_path / "raw", tmp_path)
    assert articles == [] and [f.check_id for f in log.findings] == ["L0.path.symlink"]


def test_jsonl_fields(tmp_path):
    record = {"id": "doc-1", "date": "2020-11-16", "text": "Un texte.", "title": "Titre", "source": "Journal",
              "url": "https://example.org/a", "license": "CC-BY-4.0", "ignored": 3}
    write_raw(tmp_path, "bulk.jsonl", "\n" + json.dumps(record) + "\n")
    [article], log = read(tmp_path / "raw", tmp_path)
    assert not log.findings
    assert (article.doc_id, article.date, article.title, article.source, article.url, article.license, article.line) == (
        "doc-1", "2020-11-16", "Titre", "Journal", "https://example.org/a", "CC-BY-4.0", 2)


def test_real_jsonl_file_reads_every_dated_record_and_reports_the_rest(tmp_path):
    source = external("raw_fr_hist_news/fr_hist_news_raw.jsonl")
    write_raw(tmp_path, "hist.jsonl", source.read_bytes())
    lines = source.read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    dated = [i for i, r in enumerate(records, start=1) if len(r.get("date", "")) >= 7 and r["date"][:4].isdigit()]
    articles, log = read(tmp_path / "raw", tmp_path)
    assert [a.line for a in articles] == dated
    assert sorted(f.line for f in log.findings) == sorted(set(range(1, len(records) + 1)) - set(dated))
    assert {f.check_id for f in log.findings} == {"L1.raw.date"}
    first = articles[0]
    assert first.doc_id == records[dated[0] - 1]["id"] and first.license == records[dated[0] - 1]["license"]
    assert len(articles) > 50


def test_html_page_keeps_title_and_date(tmp_path):
    html = """<html><head><title>Macron et Poutine</title>
    <meta property="article:published_time" content="2020-11-16T10:00:00Z"></head>
    <body><nav>Menu Accueil</nav><article><h1>Macron et Poutine</h1>
    <p>Le président français Emmanuel Macron et son homologue russe Vladimir Poutine ont abordé la situation
    dans le Haut-Karabagh lors d'un entretien téléphonique ce 16 novembre, selon le Kremlin.</p>
    <p>Les deux chefs d'Etat ont souligné la nécessité de garantir le retour des réfugiés et de rétablir
    l'infrastructure nécessaire dans la région.</p></article></body></html>"""
    write_raw(tmp_path, "001_00112233aabbccdd.html", html)
    [article], log = read(tmp_path / "raw", tmp_path)
    assert not log.findings
    assert (article.doc_id, article.date, article.title, article.reader) == ("00112233aabbccdd", "2020-11-16", "Macron et Poutine", "html")
    assert "Haut-Karabagh" in article.body and "Menu Accueil" not in article.body
    assert "\n\n" in article.body


def test_html_page_without_date_is_refused(tmp_path):
    write_raw(tmp_path, "page.html", "<html><body><article><p>" + "Un long texte sans date. " * 20 + "</p></article></body></html>")
    articles, log = read(tmp_path / "raw", tmp_path)
    assert articles == [] and [f.check_id for f in log.findings] == ["L1.raw.date"]
