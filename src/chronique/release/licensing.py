"""Licences and origins of the texts, and what they allow: the one place these facts are decided.

Every document records ``license`` (an SPDX id, or ``unknown``) and ``origin``
(``published``: text from a publisher; ``composed``: text written for the corpus). The
dataset-level licence that the card, ``croissant.json`` and ``CITATION.cff`` state is
computed here from the documents, never written by hand: when every text and the
annotations share one open licence it is that licence, otherwise ``other`` with a
licence section that says what each licence covers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

UNKNOWN = "unknown"
ORIGINS = ("published", "composed")
ANNOTATION_LICENSE = "CC-BY-4.0"
"""The licence of the annotations (mentions, entities, stances) themselves."""

_SPDX_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")


@dataclass(frozen=True)
class LicenceTerms:
    hub_id: str  # the Hugging Face card's ``license`` value
    url: str
    redistributable: bool  # may the text be copied into a public release?


LICENCES: dict[str, LicenceTerms] = {
    "CC-BY-4.0": LicenceTerms("cc-by-4.0", "https://creativecommons.org/licenses/by/4.0/", True),
    "CC-BY-SA-4.0": LicenceTerms("cc-by-sa-4.0", "https://creativecommons.org/licenses/by-sa/4.0/", True),
    "CC0-1.0": LicenceTerms("cc0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", True),
    "etalab-2.0": LicenceTerms("etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", True),
    "CC-BY-NC-4.0": LicenceTerms("cc-by-nc-4.0", "https://creativecommons.org/licenses/by-nc/4.0/", True),
}
"""The licences we know, and which of them allow redistribution. A licence not listed here, and
``unknown``, is treated as not allowing it: such a text is *restricted*."""


def is_valid_licence(value: str | None) -> bool:
    """An SPDX-shaped id, or ``unknown``."""
    return value == UNKNOWN or bool(value and _SPDX_SHAPE.match(value))


def is_redistributable(licence: str | None) -> bool:
    terms = LICENCES.get(licence or "")
    return bool(terms and terms.redistributable)


def dataset_licence(text_licences: Counter) -> str:
    """The card's ``license``: the one open licence shared by every text and the annotations, else ``other``."""
    if set(text_licences) == {ANNOTATION_LICENSE}:
        return LICENCES[ANNOTATION_LICENSE].hub_id
    return "other"


def licence_section(text_licences: Counter, origins: Counter, restricted: list[dict]) -> str:
    """Markdown that says what each licence covers, for the card and the datasheet."""
    lines = [f"The annotations (mentions, entities, stances) are released under {ANNOTATION_LICENSE}. Each text keeps "
             "its own licence, given in the `license` field of its `documents` row:", "",
             "| text licence | documents | may be redistributed |", "|---|---|---|"]
    for licence, count in sorted(text_licences.items()):
        lines.append(f"| {licence} | {count} | {'yes' if is_redistributable(licence) else 'no (restricted)'} |")
    lines += ["", "| origin | documents |", "|---|---|"]
    lines += [f"| {origin} | {count} |" for origin, count in sorted(origins.items())]
    lines += ["", "`composed` texts were written for the corpus: they are texts for studying language, not a source "
              "of facts. `published` texts come from a publisher."]
    if restricted:
        lines += ["", "### Restricted texts", "",
                  "These texts may not be redistributed: their licence is unknown or does not allow it. They are in "
                  "local builds for research use only, and `chronique publish` refuses to upload them unless told "
                  "otherwise (`--include-restricted`).", "", "| document | licence | origin | source |", "|---|---|---|---|"]
        lines += [f"| `{r['doc_id']}` | {r['license']} | {r['origin']} | {r['source'] or 'unknown'} |" for r in restricted]
    return "\n".join(lines)
