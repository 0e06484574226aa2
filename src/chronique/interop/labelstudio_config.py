"""Label Studio: the labelling config of our scheme, and the names of its controls.

How our scheme is drawn in Label Studio (the config is :func:`label_config`):

* a **mention** is a ``labels`` region of the ``label`` control (one of the nine fine
  types); its per-region results, which share the region id, are the ``metonymy``
  choice ``metonymic`` and the ``entity`` (our entity id, the coreference chain),
  ``entity_name`` (the entity's canonical name) and ``qid`` text areas; the exporter
  writes them on every mention of the entity, and the import takes the name and QID
  of the entity's first mention in the text. Label Studio has no nesting: a mention
  inside another one is its child, as the guidelines define nesting, and the reader
  infers ``parent`` that way;
* a **stance** is a ``STANCE`` region of the ``stance`` control on its first evidence
  span. Per region it carries the ``polarity``, ``scope`` and ``reported`` choices, the
  ``author`` choice when the article's author holds it and the ``topic`` text area when
  the target is a topic. Relations give the rest: holder mention → STANCE region,
  STANCE region → target mention, STANCE region → each further ``EVIDENCE`` region.
  A relation is read by the kinds of regions it joins (its label is only for the eye);
  ``direction: left`` is read backwards. STANCE and EVIDENCE regions are not mentions:
  they are the document's :attr:`~chronique.interop.base.ToolDocument.evidence`, and the
  stance names them as its evidence; holder and target are the ids of the related
  mention regions. A ``scope`` outside our scheme is an error
  (``import.labelstudio.scope``) and that stance is not imported;
* a relation between two **mentions** is how other projects draw stances: each of its
  labels becomes a stance (holder → target, the target mention as evidence) whose
  polarity is that label, mapped by the ``polarities`` of the label mapping; a label
  the mapping lacks is reported by the conversion (``import.stance.unresolved``).

The reader is :mod:`chronique.interop.labelstudio`, the exporter :mod:`chronique.interop.labelstudio_export`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from chronique.schema import AUTHOR, FINE_TYPES, POLARITIES, SCOPES

TEXT = "text"  # the Text object tag and the data key it shows
MENTION_CONTROL = "label"
STANCE_CONTROL = "stance"
STANCE, EVIDENCE = "STANCE", "EVIDENCE"
METONYMY, METONYMIC = "metonymy", "metonymic"
ENTITY, ENTITY_NAME, QID = "entity", "entity_name", "qid"
POLARITY, AUTHOR_CHOICE, SCOPE, REPORTED, TOPIC = "polarity", "author", "scope", "reported", "topic"
HOLDER_RELATION, TARGET_RELATION, EVIDENCE_RELATION = "holder", "target", "evidence"
MENTION_ATTRIBUTES = frozenset({METONYMY, ENTITY, ENTITY_NAME, QID})
STANCE_ATTRIBUTES = frozenset({POLARITY, AUTHOR_CHOICE, SCOPE, REPORTED, TOPIC})


_COLOURS = {"PER": "#e6194b", "ORG": "#3cb44b", "GPE": "#4363d8", "LOC": "#f58231", "FAC": "#911eb4",
            "NORP": "#46f0f0", "EVENT": "#f032e6", "MISC": "#bcf60c", "DATE": "#9a6324"}


def label_config() -> str:
    """The labelling config of our scheme (see the module docstring), as XML text."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$title")
    mentions = ET.SubElement(view, "Labels", name=MENTION_CONTROL, toName=TEXT, showInline="true")
    for fine_type in FINE_TYPES:
        ET.SubElement(mentions, "Label", value=fine_type, background=_COLOURS.get(fine_type, "#808080"))
    stances = ET.SubElement(view, "Labels", name=STANCE_CONTROL, toName=TEXT, showInline="true")
    ET.SubElement(stances, "Label", value=STANCE, background="#ffe119")
    ET.SubElement(stances, "Label", value=EVIDENCE, background="#fffac8")
    ET.SubElement(view, "Text", name=TEXT, value=f"${TEXT}", saveTextResult="yes")
    relations = ET.SubElement(view, "Relations")
    for label in (HOLDER_RELATION, TARGET_RELATION, EVIDENCE_RELATION):
        ET.SubElement(relations, "Relation", value=label)
    _mention_panel(view)
    _stance_panel(view)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def _choices(parent: ET.Element, name: str, values: Iterable[str], choice: str, **extra: str) -> None:
    element = ET.SubElement(parent, "Choices", name=name, toName=TEXT, perRegion="true", choice=choice, **extra)
    for value in values:
        ET.SubElement(element, "Choice", value=value)


def _text_area(parent: ET.Element, name: str, placeholder: str) -> None:
    ET.SubElement(parent, "TextArea", name=name, toName=TEXT, perRegion="true", maxSubmissions="1", editable="true",
                  placeholder=placeholder)


def _mention_panel(view: ET.Element) -> None:
    panel = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=",".join(FINE_TYPES))
    ET.SubElement(panel, "Header", value="Mention: metonymy, entity id (same id = same entity), entity name, "
                                         "Wikidata QID")
    _choices(panel, METONYMY, [METONYMIC], "multiple")
    _text_area(panel, ENTITY, "entity id, e.g. e4")
    _text_area(panel, ENTITY_NAME, "entity name, e.g. Vladimir Poutine")
    _text_area(panel, QID, "Wikidata QID, e.g. Q142")


def _stance_panel(view: ET.Element) -> None:
    panel = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=STANCE)
    ET.SubElement(panel, "Header", value="Stance: relate holder mention → STANCE (or choose AUTHOR), STANCE → target "
                                         "mention (or write a topic), STANCE → each further EVIDENCE span")
    _choices(panel, POLARITY, POLARITIES, "single-radio", required="true")
    _choices(panel, AUTHOR_CHOICE, [AUTHOR], "multiple")
    _choices(panel, SCOPE, SCOPES, "single-radio")
    _choices(panel, REPORTED, [REPORTED], "multiple")
    _text_area(panel, TOPIC, "topic, when the target is not an entity")
