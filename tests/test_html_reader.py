"""The HTML reader: the text is the article's paragraphs and inter-titles only.

The title goes to ``title``; the section label, the meta line, navigation, cookie banner, asides, footer
and every hidden or unrendered element go nowhere.
"""

from pathlib import Path

import pytest

from chronique.errors import FindingLog
from chronique.text.normalize import normalize_text
from chronique.store.raw_files import RawFile
from chronique.store.readers import read_html, read_raw

CORPUS_PAGE = Path(__file__).resolve().parents[2] / "shared/corpus/raw/004_751e548c6cb59549.html"

FIRST = "Le président français a reçu son homologue allemand à l'Élysée, mardi, pour un dîner de travail."
SECOND = "Les deux dirigeants ont évoqué la relance du moteur franco-allemand et le budget européen."


def page(article: str, *, head: str = "", date: str | None = "2020-11-16T08:30:00+01:00") -> str:
    """A full page around ``article`` (the markup of the body), with the usual head and page furniture."""
    published = f'<meta property="article:published_time" content="{date}">' if date else ""
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Macron reçoit Scholz | La Gazette du Littoral</title>{published}{head}
<script>var tracking = "SCRIPT-TEXT";</script><style>p {{ color: red }}</style></head>
<body><header class="site-header"><a href="/">La Gazette du Littoral</a>
<nav><ul><li><a href="/monde">Monde</a></li><li><a href="/france">France</a></li></ul></nav></header>
<div class="cookie-banner">Ce site utilise des cookies. <button>Accepter</button></div>
<main>{article}
<aside class="related"><h3>À lire aussi</h3><ul><li><a href="/archives">Nos archives</a></li></ul></aside></main>
<footer><p>© 2020 La Gazette du Littoral — Mentions légales</p></footer></body></html>"""


ARTICLE = f"""<article><p class="rubrique">diplomatie</p><h1>Macron reçoit <em>Scholz</em></h1>
<p class="meta">Publié le <time datetime="2020-11-16">16 novembre 2020</time> · Lecture 2 min</p>
<p>{FIRST}</p>
<h2>Un <em>moteur</em> à relancer</h2>
<p>{SECOND}</p>
</article>"""


def read_one(tmp_path: Path, html: str, name: str = "001_00112233aabbccdd.html"):
    """Write ``html`` to ``tmp_path/raw/name`` and read it with the real reader dispatch."""
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_text(html, encoding="utf-8")
    log = FindingLog()
    articles = list(read_raw([RawFile.local(raw / name, tmp_path)], log=log))
    return articles, log


def paragraphs(article) -> list[str]:
    return normalize_text(article.body).split("\n\n")


def test_title_and_metadata_are_extracted(tmp_path):
    [article], log = read_one(tmp_path, page(ARTICLE))
    assert not log.findings
    assert article.title == "Macron reçoit Scholz"
    assert (article.doc_id, article.date, article.reader) == ("00112233aabbccdd", "2020-11-16", "html")
    assert article.source is None and article.url is None  # a title suffix is not taken as the source


def test_text_is_the_paragraphs_and_inter_titles_only(tmp_path):
    [article], _ = read_one(tmp_path, page(ARTICLE))
    assert paragraphs(article) == [FIRST, "Un moteur à relancer", SECOND]
    for furniture in ("diplomatie", "Macron reçoit", "Publié le", "Lecture", "Monde", "cookies",
                      "À lire aussi", "Nos archives", "©", "SCRIPT-TEXT", "color"):
        assert furniture not in article.body


def test_furniture_classes_and_elements_inside_the_article_are_dropped(tmp_path):
    article_html = f"""<article><header><p class="kicker">Exclusif</p><h1>Titre</h1>
<p class="byline">Par Jeanne Martin</p></header><nav class="breadcrumb"><a href="/">Accueil</a></nav>
<p>{FIRST}</p><figure><img src="a.jpg"><figcaption>Légende de la photo</figcaption></figure>
<aside><p>Encadré publicitaire</p></aside><div class="share tools"><p>Partager sur Facebook</p></div>
<ul class="tags"><li>Europe</li></ul><p>{SECOND}</p><footer><p>Mis à jour le 17</p></footer></article>"""
    [article], _ = read_one(tmp_path, page(article_html))
    assert paragraphs(article) == [FIRST, SECOND]
    assert article.title == "Titre"


def test_inline_text_and_list_items_are_gathered(tmp_path):
    article_html = f"""<article><h1>T</h1><p>Le <a href="/x">sommet</a> du <time datetime="2020-11-16">16
novembre</time> a <strong>duré</strong> deux heures.<br>Suite.</p>
<ul><li>Premier point</li><li><p>Second point</p></li></ul>
<blockquote>Une citation.</blockquote><blockquote><p>Citation en paragraphe.</p></blockquote><p>{FIRST}</p></article>"""
    [article], _ = read_one(tmp_path, page(article_html))
    assert paragraphs(article) == ["Le sommet du 16 novembre a duré deux heures. Suite.", "Premier point",
                                   "Second point", "Une citation.", "Citation en paragraphe.", FIRST]


@pytest.mark.parametrize("hidden", [
    "<template><p>SECRET</p></template>",
    "<noscript><p>SECRET</p></noscript>",
    "<p hidden>SECRET</p>",
    '<p style="color: red; display: none">SECRET</p>',
    '<div style="visibility:hidden"><p>SECRET</p></div>',
    '<p aria-hidden="true">SECRET</p>',
    '<p>Visible <span hidden>SECRET</span>suite.</p>',
], ids=["template", "noscript", "hidden-attribute", "display-none", "visibility-hidden", "aria-hidden", "inline"])
def test_hidden_and_unrendered_text_is_excluded(tmp_path, hidden):
    article_html = f"<article><h1>Titre</h1><p>{FIRST}</p>{hidden}<p>{SECOND}</p></article>"
    [article], log = read_one(tmp_path, page(article_html))
    assert not log.findings
    assert "SECRET" not in article.body
    assert paragraphs(article)[0] == FIRST and paragraphs(article)[-1] == SECOND


def test_main_is_used_when_there_is_no_article(tmp_path):
    html = page(f'<p class="rubrique">monde</p><h1>Dans main</h1><p>{FIRST}</p><p>{SECOND}</p>')
    [article], _ = read_one(tmp_path, html)
    assert paragraphs(article)[:2] == [FIRST, SECOND] and article.title == "Dans main"


def test_page_without_article_or_main_falls_back_to_trafilatura(tmp_path):
    html = f"""<html><head><title>Un sommet | La Gazette</title>
<meta property="article:published_time" content="2020-11-16"></head>
<body><div class="content"><div>{FIRST} {FIRST}</div><div>{SECOND} {SECOND}</div>
<div hidden>SECRET {SECOND} {SECOND}</div></div></body></html>"""
    [article], log = read_one(tmp_path, html)
    assert not log.findings
    assert "Le président français a reçu" in article.body and "SECRET" not in article.body
    assert article.date == "2020-11-16"


def test_missing_date_is_refused(tmp_path):
    articles, log = read_one(tmp_path, page(ARTICLE.replace('<time datetime="2020-11-16">', "<time>"), date=None))
    assert articles == [] and [f.check_id for f in log.findings] == ["L1.raw.date"]


def test_date_falls_back_to_meta_name_then_time(tmp_path):
    [article], _ = read_one(tmp_path, page(ARTICLE, date=None, head='<meta name="date" content="2020-11-15">'))
    assert article.date == "2020-11-15"
    [article], _ = read_one(tmp_path, page(ARTICLE, date=None), name="002_00112233aabbccde.html")
    assert article.date == "2020-11-16"


def test_open_graph_metadata_wins(tmp_path):
    head = ('<meta property="og:site_name" content="Gazette"><meta property="og:url" content="https://ex.fr/a">'
            '<meta property="og:title" content="Titre OG">')
    [article], _ = read_one(tmp_path, page(ARTICLE.replace("<h1>Macron reçoit <em>Scholz</em></h1>", ""), head=head))
    assert (article.title, article.source, article.url) == ("Titre OG", "Gazette", "https://ex.fr/a")
    [article], _ = read_one(tmp_path, page(ARTICLE, head='<link rel="canonical" href="https://ex.fr/c">'),
                            name="002_00112233aabbccde.html")
    assert article.url == "https://ex.fr/c"


def test_page_without_text_is_empty(tmp_path):
    articles, log = read_one(tmp_path, page('<article><h1>Titre seul</h1><p class="meta">Publié le</p></article>'))
    assert articles == [] and [f.check_id for f in log.findings] == ["L1.raw.empty"]


def test_unparsable_page_is_a_located_finding(tmp_path):
    articles, log = read_one(tmp_path, "<!-- rien -->")
    assert articles == [] and [(f.check_id, f.path, f.line) for f in log.findings] == [
        ("L1.raw.html", "raw/001_00112233aabbccdd.html", 1)]


def test_xml_declaration_is_accepted(tmp_path):
    [article], log = read_one(tmp_path, '<?xml version="1.0" encoding="utf-8"?>\n' + page(ARTICLE))
    assert not log.findings and paragraphs(article)[0] == FIRST


def test_real_corpus_page():
    if not CORPUS_PAGE.exists():
        pytest.skip(f"{CORPUS_PAGE} is absent: ../shared/corpus is only beside a CI or developer checkout")
    log = FindingLog()
    [article] = read_html(RawFile.local(CORPUS_PAGE, CORPUS_PAGE.parents[1]), log=log)
    assert not log.findings
    text = normalize_text(article.body)
    assert text.startswith("Rarement l’Assemblée nationale")
    assert article.title == "Législatives : une majorité écrasante, élue par une minorité d’électeurs"
    assert article.title not in text and "élections\n" not in text and "Publié le" not in text
    assert "Un raz-de-marée en trompe-l’œil" in text.split("\n\n")
    assert (article.date, article.source) == ("2017-06-19", None)
