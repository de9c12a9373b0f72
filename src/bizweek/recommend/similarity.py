"""Text similarity backends for recommendations: which companies write about the same goods.

The default, `TfidfBackend`, needs no model: TF-IDF over character n-grams of normalised
text in every language. `EmbeddingBackend` loads a multilingual sentence-embedding model from
a local directory only (never from a hub at run time). `BIZWEEK_RECOMMENDER_BACKEND` names the
class; any class with `fit(texts)` and `similarity(i_rows, j_rows)` will do.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from scipy import sparse

DEFAULT_BACKEND = "bizweek.recommend.similarity.TfidfBackend"


@runtime_checkable
class TextSimilarityBackend(Protocol):
    """Fits on all texts at once, then answers similarity between rows of what it was fit on."""

    def fit(self, texts: Sequence[str]) -> None: ...

    def similarity(self, i_rows: np.ndarray, j_rows: np.ndarray) -> np.ndarray:
        """A dense (len(i_rows), len(j_rows)) array of similarities (cosine-like, ≤ 1)."""
        ...


class TfidfBackend:
    """TF-IDF over character n-grams: no model, works across scripts through shared strings.

    `char_wb` n-grams stay inside words, so a Latin word, a Korean eojeol and a run of Chinese
    characters each give their own n-grams; n-grams in most documents are dropped, which keeps
    the similarity products sparse. `keep` (e.g. 400) keeps only each document's strongest
    n-grams: about six times faster similarities for a small loss of ranking quality.
    """

    def __init__(self, keep: int | None = None, **options: Any) -> None:
        self.keep = keep
        self.options = {
            "analyzer": "char_wb",
            "ngram_range": (2, 3),
            "min_df": 2,
            "max_df": 0.3,
            "sublinear_tf": True,
            "dtype": np.float32,
        } | options
        self.matrix: sparse.csr_matrix | None = None
        self._columns: dict[bytes, sparse.csr_matrix] = {}

    def fit(self, texts: Sequence[str]) -> None:
        """Same matrix as `TfidfVectorizer.fit_transform(texts)`, computed word by word.

        `char_wb` n-grams never cross whitespace, so a document's n-gram counts are the sum of
        its words' counts. Company texts repeat the same HS names, sector names and catalogue
        sentences thousands of times; analysing each distinct word once makes the fit several
        times faster than running the vectorizer over whole documents.
        """
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        words: dict[str, int] = {}
        indptr, indices, counts = [0], [], []
        for text in texts:
            for word, count in Counter(text.split()).items():
                indices.append(words.setdefault(word, len(words)))
                counts.append(count)
            indptr.append(len(indices))
        docs_words = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float32), indices, indptr),
            shape=(len(texts), max(len(words), 1)),
        )
        options = {k: v for k, v in self.options.items() if k not in ("min_df", "max_df")}
        options.pop("sublinear_tf", None)
        counter = CountVectorizer(**options)
        try:
            word_grams = counter.fit_transform(list(words) or [" "]).astype(np.float32)
        except ValueError:  # no n-gram at all (empty texts)
            word_grams = sparse.csr_matrix((max(len(words), 1), 1), dtype=np.float32)
        doc_grams = (docs_words @ word_grams).tocsc()
        df = np.diff(doc_grams.indptr)
        n_docs = max(len(texts), 1)
        min_df, max_df = self.options.get("min_df", 1), self.options.get("max_df", 1.0)
        low = min_df * n_docs if isinstance(min_df, float) else min_df
        high = max_df * n_docs if isinstance(max_df, float) else max_df
        keep = (df >= low) & (df <= high)
        if not keep.any():  # too few documents to prune: keep every n-gram
            keep[:] = True
        doc_grams = doc_grams[:, np.flatnonzero(keep)].tocsr()
        transformer = TfidfTransformer(sublinear_tf=self.options.get("sublinear_tf", False))
        matrix = transformer.fit_transform(doc_grams).astype(np.float32).tocsr()
        if self.keep:
            matrix = _keep_largest(matrix, self.keep)
        self.matrix = matrix
        self._columns = {}

    def similarity(self, i_rows: np.ndarray, j_rows: np.ndarray) -> np.ndarray:
        if self.matrix is None:
            raise RuntimeError("fit() first")
        key = np.asarray(j_rows).tobytes()
        columns = self._columns.get(key)
        if columns is None:  # the same candidates (all sellers, all buyers) come back each call
            if len(self._columns) >= 4:
                self._columns.clear()
            columns = self._columns[key] = self.matrix[j_rows].T.tocsr()
        return (self.matrix[i_rows] @ columns).toarray()


def _keep_largest(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's `keep` largest weights, renormalised: long documents cost less to compare."""
    from sklearn.preprocessing import normalize

    indptr, indices, data = [0], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        cols = matrix.indices[start:end]
        if len(values) > keep:
            top = np.argpartition(-values, keep - 1)[:keep]
            values, cols = values[top], cols[top]
        data.append(values)
        indices.append(cols)
        indptr.append(indptr[-1] + len(values))
    pruned = sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=matrix.shape
    )
    pruned.sort_indices()
    return normalize(pruned).astype(np.float32)


class EmbeddingBackend:
    """A multilingual sentence-embedding model, loaded only from a local directory.

    The directory comes from the `BIZWEEK_EMBEDDING_MODEL_PATH` setting; nothing is ever fetched
    from a model hub (the hub libraries are switched to offline mode before loading).
    """

    segment_floor = 0.3  # a phrase this similar to a heading profile may name its goods

    def __init__(self, path: str | os.PathLike | None = None, batch_size: int = 64) -> None:
        path = path or getattr(settings, "BIZWEEK_EMBEDDING_MODEL_PATH", "")
        if not path:
            raise ImproperlyConfigured(
                "EmbeddingBackend needs BIZWEEK_EMBEDDING_MODEL_PATH: the local directory of a "
                "sentence-transformers model (it is never downloaded)."
            )
        self.path = Path(path)
        if not self.path.is_dir():
            raise ImproperlyConfigured(
                f"BIZWEEK_EMBEDDING_MODEL_PATH={self.path} is not a directory; copy the model "
                "there first (it is never downloaded)."
            )
        self.batch_size = batch_size
        self.model: Any = None
        self.embeddings: np.ndarray | None = None

    def load(self) -> Any:
        """Import sentence-transformers lazily and open the model from the local directory."""
        if self.model is not None:
            return self.model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            module = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise ImproperlyConfigured(
                "EmbeddingBackend needs the sentence-transformers package "
                "(pip install sentence-transformers)."
            ) from exc
        self.model = module.SentenceTransformer(str(self.path), local_files_only=True)
        return self.model

    def fit(self, texts: Sequence[str]) -> None:
        vectors = self.load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.embeddings = vectors / np.maximum(norms, 1e-12)

    def similarity(self, i_rows: np.ndarray, j_rows: np.ndarray) -> np.ndarray:
        if self.embeddings is None:
            raise RuntimeError("fit() first")
        return self.embeddings[i_rows] @ self.embeddings[j_rows].T


# The recommender lived in bizweek.matching before it became its own app; settings written
# then still name the backends there.
OLD_PATHS = {
    "bizweek.matching.similarity.": "bizweek.recommend.similarity.",
    "bizweek.matching.recommend.": "bizweek.recommend.services.",
}


def backend_path() -> str:
    path = getattr(settings, "BIZWEEK_RECOMMENDER_BACKEND", "") or DEFAULT_BACKEND
    for old, new in OLD_PATHS.items():
        if path.startswith(old):
            return new + path[len(old) :]
    return path


def get_backend() -> TextSimilarityBackend:
    """A new instance of the configured text backend."""
    path = backend_path()
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"BIZWEEK_RECOMMENDER_BACKEND={path!r}: {exc}") from exc
    backend = cls()
    if not isinstance(backend, TextSimilarityBackend):
        raise ImproperlyConfigured(f"{path} has no fit(texts) and similarity(i_rows, j_rows).")
    return backend
