"""A generated Latin-script corpus in the PAN text-alignment mould: source documents, and later
suspicious documents that copy 1-4 passages of 2-6 consecutive sentences verbatim from sources.

Sentences come from English frames (their function words, "it is important to note that the",
recur across every document, as stock phrases do) filled with words of a small vocabulary; a few
whole stock sentences ("Thank you for your attention.") appear in many documents and are not
reuse. Ground truth: `CorpusDoc.spans` (offsets into `text`) of the copied passages only.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from synthetic.corpus import CorpusDoc, ReusedSpan


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_NOUNS = _words("""
policy market council village river budget school farmer harvest report teacher bridge
committee province railway hospital museum border factory garden library parliament
treaty merchant harbor festival mountain forest island colony fortress valley archive
engine circuit network signal protocol server journal theory method sample patient
mineral crystal planet orbit telescope glacier volcano desert canal lighthouse cathedral
manuscript chronicle dynasty empire kingdom republic senate tribunal guild workshop mill
vineyard orchard meadow pasture granary quarry foundry shipyard warehouse tavern monastery
abbey pilgrim scholar painter sculptor composer poet novelist inventor engineer surgeon
lawyer banker sailor soldier captain governor bishop mayor clerk printer weaver baker
""")
_VERBS = _words("""
examined described rebuilt expanded financed opposed approved rejected measured recorded
defended translated published restored divided governed supplied visited surveyed mapped
collected organized reformed replaced protected explored inherited transformed abandoned
designed repaired announced delayed doubled reduced celebrated questioned challenged
supported debated compared documented preserved negotiated signed ratified founded
""")
_ADJECTIVES = _words("""
ancient northern southern eastern western coastal rural urban remote fertile narrow broad
wealthy modest famous obscure careful rapid gradual sudden early late formal private public
royal local regional national foreign domestic annual seasonal costly cheap heavy light
bright quiet noisy crowded empty steep gentle harsh mild frequent rare detailed brief
""")
_ADVERBS = _words("""
quickly slowly carefully eventually rarely often gradually suddenly openly quietly
largely partly formally briefly repeatedly reluctantly successfully
""")
_NAMES = _words("""
Anselm Beatrix Casimir Dorothea Emeric Florentine Gregor Hildegard Isidor Juliana Konrad
Leopoldine Matthias Natalia Oswald Petronella Quentin Rosalind Sebastian Theodora Ulrich
Valentina Wenzel Xenia Yvonne Zacharias
""")
_FRAMES = (
    "The {a} {n} of the {n} was {v} by the {n}.",
    "It is important to note that the {n} {v} a {a} {n} in the {n}.",
    "On the other hand, {p} {v} the {n} of the {a} {n}.",
    "In the context of the {n}, the {n} was {r} {v}.",
    "According to the {n}, {p} {v} the {a} {n} near the {n}.",
    "As a result, the {n} {v} the {n} and the {n}.",
    "During the {a} years the {n} {v} every {n} of the {n}.",
    "{p} {r} {v} the {n}, although the {n} had {v} it before.",
    "There is no doubt that the {a} {n} {v} the {n}.",
    "At the same time, a {a} {n} {v} the {n} of {p}.",
    "The {n} and the {n} were {v} in the {a} {n}.",
    "For this reason the {n} {v} the {a} {n} of the {n}.",
    "Many {n}s of the {n} were {v} by {p} and the {n}.",
    "In the end the {a} {n} {v} the {n} {r}.",
    "It should be noted that {p} {v} the {n} in the {a} {n}.",
    "The {n} {v} the {n}, and the {n} {v} the {a} {n}.",
)
_STOCK = (
    "Thank you for your attention.",
    "This is discussed in more detail below.",
    "All rights are reserved by the authors.",
    "More information can be found in the appendix.",
    "The results are summarized in the following section.",
)


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self) -> str:
        pick = self.rng.choice
        fills = {"n": _NOUNS, "v": _VERBS, "a": _ADJECTIVES, "r": _ADVERBS, "p": _NAMES}
        frame = pick(_FRAMES)
        out, at = [], 0
        while (left := frame.find("{", at)) >= 0:
            out.append(frame[at:left])
            out.append(pick(fills[frame[left + 1]]))
            at = left + 3
        out.append(frame[at:])
        return "".join(out)

    def paragraph(self) -> list[str]:
        sentences = [self.sentence() for _ in range(self.rng.randint(3, 7))]
        if self.rng.random() < 0.3:
            sentences.insert(self.rng.randint(0, len(sentences)), self.rng.choice(_STOCK))
        return sentences

    def document(self) -> list[list[str]]:
        return [self.paragraph() for _ in range(self.rng.randint(5, 12))]


def english_paragraphs(count: int, seed: int) -> list[str]:
    """`count` generated English paragraphs (stock phrases and sentences included)."""
    writer = _Writer(random.Random(seed))
    return [" ".join(writer.paragraph()) for _ in range(count)]


def _doc(index: int, text: str, published: date, spans: tuple[ReusedSpan, ...] = ()) -> CorpusDoc:
    doc_id = f"lat{index:05d}"
    site = f"papers{index}.example.org"  # one site each: what several share is not site boilerplate
    url = f"https://{site}/{doc_id}.html"
    role = "mixed" if spans else "unrelated"
    title = f"Paper {index}"
    return CorpusDoc(doc_id, url, site, "news", title, published, text, text, None, spans, role)


def _joined(paragraphs: list[list[str]]) -> str:
    return "\n".join(" ".join(p) for p in paragraphs)


def generate_latin(n_sources: int = 30, n_suspicious: int = 35, seed: int = 1) -> list[CorpusDoc]:
    """Sources first (earlier), then suspicious documents copying passages of them verbatim."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    start = date(2010, 1, 1)
    sources = [writer.document() for _ in range(n_sources)]
    docs = [_doc(i, _joined(s), start + timedelta(i)) for i, s in enumerate(sources)]
    for k in range(n_suspicious):
        docs.append(_suspicious(rng, writer, docs[:n_sources], sources, n_sources + k, start))
    return docs


def _suspicious(
    rng: random.Random, writer: _Writer, source_docs: list[CorpusDoc], sources: list[list[list[str]]],
    index: int, start: date,
) -> CorpusDoc:
    """Own paragraphs with 1-4 copied passages, each inserted at a paragraph or sentence break."""
    own = writer.document()
    for _ in range(rng.randint(1, 4)):
        pick = rng.randrange(len(sources))
        sentences = rng.choice(sources[pick])  # within one paragraph: the copy is one stretch
        size = rng.randint(2, min(6, len(sentences)))
        first = rng.randrange(len(sentences) - size + 1)
        passage = " ".join(sentences[first : first + size])
        para = own[rng.randrange(len(own))]
        para.insert(rng.randint(0, len(para)), f"\x00{pick}\x01{passage}\x02")
    return _with_spans(_joined(own), source_docs, index, start + timedelta(1000 + index))


def _with_spans(marked: str, source_docs: list[CorpusDoc], index: int, published: date) -> CorpusDoc:
    """The text without its passage markers, and the copied passages as ground-truth spans."""
    text, spans, at = [], [], 0
    for piece in marked.split("\x00"):
        if "\x01" not in piece:
            text.append(piece)
            at += len(piece)
            continue
        pick, rest = piece.split("\x01", 1)
        passage, after = rest.split("\x02", 1)
        source = source_docs[int(pick)]
        where = source.text.index(passage)
        spans.append(ReusedSpan(at, at + len(passage), source.doc_id, where, where + len(passage)))
        text.append(passage + after)
        at += len(passage) + len(after)
    return _doc(index, "".join(text), published, tuple(spans))
