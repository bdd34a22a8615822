"""The free text of a dataset and how its words are compared, for every search backend.

Free text matches in two ways, both case-insensitive: as stemmed words
(:data:`TEXT_ANALYZER`: ``channel`` finds ``channels``, ``hl60`` finds
``hl60_table.csv``) and as whitespace-separated words without punctuation
(:func:`normalize_word`: ``dcoraid`` finds ``DCOR-Aid``).
"""
import re

from whoosh import analysis

#: analyzer of the free text: lower-cased, stemmed words (no stop words); ``_``
#: and ``.`` separate words, so ``hl60`` finds ``hl60_table.csv``
TEXT_ANALYZER = analysis.StemmingAnalyzer(expression=r"[^\W_]+", stoplist=None, minsize=1)


def normalize_word(text):
    """``DCOR-Aid`` → ``dcoraid``: lower case, without punctuation (``*`` kept)."""
    return re.sub(r"[^0-9a-z*]", "", text.lower())


def normalized_text(text):
    """The words of ``text`` normalized with :func:`normalize_word`, space separated."""
    words = (normalize_word(w).replace("*", "") for w in text.split())
    return " ".join(w for w in words if w)


def stemmed_words(text):
    """The words of ``text`` as :data:`TEXT_ANALYZER` indexes them, in order."""
    return [token.text for token in TEXT_ANALYZER(text)]


def dataset_text(dataset, parts):
    """The searchable free text of ``dataset``: one line per field value.

    Title, name, notes, authors, tags, resource names and the names and
    titles of its circle and collections.

    :param parts: the dataset's :class:`dcorlite.loading.DatasetParts`
    """
    circle = parts.circle
    text = [dataset.title, dataset.name, dataset.notes, dataset.authors, *parts.tags,
            *(r.name for r in parts.resources),
            *([circle.title, circle.name] if circle else []),
            *(part for g in parts.collections for part in (g.title, g.name))]
    return "\n".join(t for t in text if t)
