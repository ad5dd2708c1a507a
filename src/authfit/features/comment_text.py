"""Comment text as features for comment-spam scoring: hashed word and character n-grams plus cheap shape
features, computed over whole columns (Arrow compute kernels and numpy over the UTF-8 bytes), with no
Python loop per comment.

The n-gram hashing is this module's own, not sklearn's HashingVectorizer, because the latter tokenises one
text at a time in Python (~150k texts/s/core for words alone). Here every n-gram of a chunk of texts is
hashed at once on the UTF-8 byte buffer Arrow already holds: character (byte) n-grams of up to 4 bytes
packed into a uint32 and hashed multiplicatively, words and word bigrams with prefix sums of a polynomial
hash. Hashes are pure functions of the bytes (fixed constants, no per-process salt), so features are
identical across runs and machines and there is no vocabulary to fit or store. Training builds the sparse
matrix from those blocks; scoring sums the linear margin from them (`ngram_margin`) instead.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from authfit.features.arrow_text import utf8_buffer
from authfit.features.text_normalise import (
    CURRENCY,
    LETTER_OR_NUMBER,
    MARK,
    SYMBOL,
    Utf8,
    code_point_categories,
    replace_where_found,
)

# Zero-width characters, BOMs and emoji variation selectors carry no meaning but do carry crawl
# artefacts (the YouTube export adds BOMs mostly to ham), so they go before anything is measured.
_INVISIBLE = r"[\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{FE0E}\x{FE0F}]"
_APOSTROPHES = r"['\x{2018}\x{2019}`\x{00B4}]"
# Letters, numbers, marks, symbols (emoji, currency), @, # and whitespace survive; everything else is
# punctuation whose variants ("!!", "...", "?!") should not make two comments look different.
_PUNCTUATION = r"[^\pL\pN\pM\p{So}\p{Sc}@#\s]+"
# `_INVISIBLE` and `_APOSTROPHES` as code points, for `_normalise_arrow`.
_DROPPED = np.asarray([*range(0x200B, 0x2010), 0x2060, 0xFEFF, 0xFE0E, 0xFE0F, ord("'"), 0x2018, 0x2019,
                       ord("`"), 0x00B4])
_KEEP = 1  # in `_normalised_bytes`; no byte of a kept character is 1

_PHRASES: dict[str, str] = {
    "has_check_my": r"\bcheck (it )?(out )?(my|our|this)\b|\bmy (channel|page|profile|video|music|song)\b",
    "has_subscribe": r"\bsub(s|scribe|scribed|scribers)?\b|\bsub4sub\b|\bsubscriber",
    "has_dm": r"\b(dm|dms|inbox|pm|message me|text me|send me|contact me|reach out)\b",
    "has_follow": r"\bfollow(ers|back| me| us)?\b",
    "has_giveaway": r"\b(giveaway|winner|won|claim|prize|free|gift)\b",
    "has_crypto": r"\b(bitcoin|btc|crypto|eth|usdt|forex|binance|trading|trader|invest(ing|ment|or|ors)?"
                  r"|profits?|wallet|nft|mining|broker|recovery|hack(ed|er)?)\b|\b0x[0-9a-f]{8,}",
    "has_contact_app": r"\b(whatsapp|telegram|t me|wa me|snapchat|kik)\b",
    "has_money": r"[$€£]\s?\d|\b\d+\s?(k|usd|dollars|euros)\b",
    "has_promo": r"\b(click|visit|link|website|site|promo|discount|earn|income|money|cash|paid)\b",
    "has_please": r"\b(please|plz|pls)\b",
}
_LINKS = r"https?://|www\.|\b[a-z0-9-]+\.(com|net|org|ly|me|io|co|xyz|info|tk|gl)\b"
# Byte-level counts on the UTF-8 buffer, one numpy pass each instead of one Unicode regex scan each
# (those dominated scoring time). ASCII-exact; beyond ASCII they are close approximations by lead bytes:
# emoji are U+1F000.. (F0 9F ..) and U+2600..27BF (E2 98..9E ..); "styled" letters are the mathematical
# alphanumerics U+1D400.. (F0 9D ..) and circled letters (E2 92/93 ..), favourites of scam bots dodging
# word filters ("𝐌𝐲 𝐤𝐞𝐲𝐬").
_BYTE_SHARES = ("upper_share", "digit_share", "emoji_share", "styled_share", "punctuation_share")
_BYTE_COUNTS = ("log_mentions", "log_hashtags", "log_exclamations")
_ASCII_PUNCTUATION = np.zeros(256, dtype=bool)
_ASCII_PUNCTUATION[[*range(33, 48), *range(58, 65), *range(91, 97), *range(123, 127)]] = True
# Byte -> class for `_byte_features`: 0 other, 1 upper, 2 lower, 3 digit, 4 other ASCII punctuation,
# 5 "@", 6 "#", 7 "!" (classes 4..7 are the ASCII punctuation).
_N_BYTE_CLASSES = 8
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[_ASCII_PUNCTUATION] = 4
_BYTE_CLASS[65:91], _BYTE_CLASS[97:123], _BYTE_CLASS[48:58] = 1, 2, 3
_BYTE_CLASS[[64, 35, 33]] = [5, 6, 7]
SHAPE_FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "repeat_run_share", *_BYTE_SHARES, "log_links", *_BYTE_COUNTS, *_PHRASES,
)

# Hash constants: an odd multiplier for the polynomial word hash (so it is invertible mod 2**64),
# Fibonacci-hash multipliers whose top bits become the column, and one salt per n-gram family so "ab c" as
# a character 4-gram and as a word bigram land apart. Trained models depend on every one of them.
_WORD_POLYNOMIAL = 0x100000001B3
_P = np.uint64(_WORD_POLYNOMIAL)
_P_INV = np.uint64(pow(_WORD_POLYNOMIAL, -1, 2**64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_CHAR_MIX = np.uint32(0x9E3779B1)
_SALT_WORD = 0x51ED27
_SALT_CHAR = 0xC0FFEE
_SPACE = 32


def normalise_comment_text(texts: pd.Series) -> pd.Series:
    """Compatibility-decomposed (NFKD, so "𝐟𝐫𝐞𝐞" is "free" and "é" is "e" plus its accent), lower-cased,
    invisible characters and apostrophes dropped, other punctuation turned into spaces, whitespace collapsed
    and trimmed.
    Emoji, currency signs, @ and # stay. Missing texts become "". "Don't   MISS this!!! 🔥" -> "dont miss
    this 🔥".
    """
    normalised = _normalise_arrow(as_text_array(texts))
    out = normalised.to_pandas(types_mapper=pd.ArrowDtype).astype("str")
    index = _index_of(texts)
    return out.set_axis(index) if index is not None else out


def _normalise_arrow(arr: pa.Array) -> pa.Array:
    """`normalise_comment_text` on an Arrow array: after NFKD and lower-casing, the characters of
    `_INVISIBLE` and `_APOSTROPHES` go, and each run of the others that are neither kept (letters,
    numbers, marks, symbols, currency, "@", "#") is one space between the runs of kept ones. That is
    what the RE2 replacements (`\\s*{_PUNCTUATION}\\s*` -> " ", trim, `\\s{2,}|[^\\S ]` -> " ") did,
    read off the code points and RE2's categories (`code_point_categories`) without compiling a Unicode
    class per call.

    NFKD, not NFKC: pyarrow 25 returns the decomposed form for every form it is asked for (apache/arrow
    #51225, fixed in a later release), so asking for NFKC would give NFKD here and NFKC after an upgrade,
    and the features would shift under a trained model. NFKD is what the models were trained on."""
    utf8 = Utf8.of(pc.utf8_lower(pc.utf8_normalize(arr, "NFKD")), _normalised_bytes())
    out = np.where(utf8.values == _KEEP, utf8.data, utf8.values)
    out = utf8.with_bytes(out)
    if (utf8.values == 0).any():  # a NUL is not kept, so every NUL left marks a dropped character
        out = pc.replace_substring(out, "\x00", "")
    return pc.utf8_trim(pc.replace_substring_regex(out, " {2,}", " "), " ")


@functools.cache
def _normalised_bytes() -> np.ndarray:
    """Per code point, what `_normalise_arrow` makes of its bytes: `_KEEP` them, 0 (dropped) or a space."""
    table = np.where((code_point_categories() & (LETTER_OR_NUMBER | MARK | SYMBOL | CURRENCY)) > 0,
                     np.uint8(_KEEP), np.uint8(ord(" ")))
    table[[ord("@"), ord("#")]] = _KEEP
    table[_DROPPED] = 0
    return table


def _text_of(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The text each byte position lies in (empty texts hold none)."""
    return np.searchsorted(offsets, positions, side="right") - 1


def _count_byte(arr: pa.Array, byte: int) -> np.ndarray:
    """Occurrences of one ASCII byte per text (what `count_substring` gives for a one-byte pattern)."""
    data, offsets = utf8_buffer(arr)
    texts = _text_of(offsets, np.flatnonzero(data == byte))
    return np.bincount(texts, minlength=len(offsets) - 1).astype(np.float64)


def comment_shape_features(texts: pd.Series, normalised: pd.Series | None = None) -> pd.DataFrame:
    """One row per text, columns `SHAPE_FEATURES`, float32. Counts are log1p, shares are in [0, 1] and
    phrase flags (matched on the normalised text) are 0/1, so a linear model can take them as they are.
    Pass `normalised` (from `normalise_comment_text(texts)`) when you already have it.
    """
    arr = as_text_array(texts)
    normalised_arr = None if normalised is None else as_text_array(normalised)
    return pd.DataFrame(_shape_matrix(arr, normalised_arr), index=_index_of(texts), columns=list(SHAPE_FEATURES))


def _shape_matrix(arr: pa.Array, normalised: pa.Array | None = None, n_words: np.ndarray | None = None
                  ) -> np.ndarray:
    """`comment_shape_features` as a float32 matrix, from Arrow arrays (no DataFrame on the scoring path).
    `n_words`: the normalised texts' word counts, when the caller has them (see `ngram_margin`)."""
    raw = replace_where_found(arr, _INVISIBLE, "")
    normalised = _normalise_arrow(raw) if normalised is None else normalised
    n_chars = _np(pc.utf8_length(raw))
    if n_words is None:
        # normalised text has single spaces and no edge ones: words are spaces + 1 unless it is empty
        n_words = _count_byte(normalised, _SPACE) + (_np(pc.utf8_length(normalised)) > 0)
    columns = {
        "log_chars": np.log1p(n_chars),
        "log_words": np.log1p(n_words),
        "log_links": np.log1p(_link_counts(raw)),
        **_byte_features(raw, n_chars),
    }
    columns.update(_phrase_flags(normalised))
    matrix = np.empty((len(arr), len(SHAPE_FEATURES)), dtype=np.float32)
    for position, name in enumerate(SHAPE_FEATURES):
        matrix[:, position] = columns[name]
    return matrix


def _link_counts(raw: pa.Array) -> np.ndarray:
    """`_LINKS` matches per lower-cased text; every match holds "." or ":", which lower-casing neither
    makes nor removes, so only the texts holding one are lower-cased and scanned."""
    counts = np.zeros(len(raw))
    candidates = np.flatnonzero(_count_byte(raw, ord(".")) + _count_byte(raw, ord(":")))
    if len(candidates):
        lowered = pc.utf8_lower(raw.take(pa.array(candidates, type=pa.int64())))
        counts[candidates] = _np(pc.count_substring_regex(lowered, _LINKS))
    return counts


@dataclass(frozen=True)
class NgramBlock:
    """One n-gram size of one family over a chunk of texts: the column of each candidate n-gram, the text
    it belongs to, and (character n-grams) which candidates really lie inside one text."""

    family: str
    size: int
    rows: np.ndarray
    cols: np.ndarray
    keep: np.ndarray | None


@dataclass(frozen=True)
class HashedNgrams:
    """Hashed n-gram occurrences as (row, column, weight) triples, rows ascending within each block."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    n_rows: int


def ngram_blocks(normalised: pd.Series, n_features: int = 2**18, word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] | None = (3, 4)
                 ) -> tuple[list[NgramBlock], dict[str, np.ndarray]]:
    """The hashed word n-grams and character (UTF-8 byte) n-grams of already normalised texts, in
    `n_features` columns (a power of two), and the weight of each (text, family): 1/sqrt(that family's
    n-gram count in the text), a cheap stand-in for l2 normalisation that stays exact when an n-gram
    repeats, so a linear score summed on the fly equals the sparse-matrix product.
    """
    check_power_of_two(n_features)
    data, offsets = utf8_buffer(as_text_array(normalised))
    doc_of_byte = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    blocks = _word_blocks(data, offsets, doc_of_byte, word_ngrams, n_features)
    if char_ngrams is not None:
        blocks += _char_blocks(data, offsets, doc_of_byte, char_ngrams, n_features)
    n_rows = len(offsets) - 1
    families = sorted({block.family for block in blocks})
    counts = {family: np.zeros(n_rows) for family in families}
    for block in blocks:
        counts[block.family] += _block_counts(block, offsets)
    return blocks, {family: 1.0 / np.sqrt(np.maximum(counts[family], 1.0)) for family in families}


def _block_counts(block: NgramBlock, offsets: np.ndarray) -> np.ndarray:
    """N-grams per text in one block; character blocks are counted from text lengths, not bytes."""
    n_rows = len(offsets) - 1
    if block.family == "chars":
        return np.maximum(np.diff(offsets) - block.size + 1, 0).astype(np.float64)
    return np.bincount(block.rows, minlength=n_rows).astype(np.float64)


def hash_comment_ngrams(normalised: pd.Series, n_features: int = 2**18,
                        word_ngrams: tuple[int, int] = (1, 2),
                        char_ngrams: tuple[int, int] | None = (3, 4)) -> HashedNgrams:
    """`ngram_blocks` as flat (row, column, weight) triples."""
    blocks, scales = ngram_blocks(normalised, n_features, word_ngrams, char_ngrams)
    rows, cols, weights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    for block in blocks:
        keep = slice(None) if block.keep is None else block.keep
        rows.append(block.rows[keep])
        cols.append(block.cols[keep])
        weights.append(scales[block.family][rows[-1]].astype(np.float32))
    return HashedNgrams(np.concatenate(rows), np.concatenate(cols), np.concatenate(weights),
                        len(as_text_array(normalised)))


def ngram_margin(normalised: pa.Array, coef: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Per text of already normalised texts: the sum of `coef[column] * weight` over the n-grams
    `ngram_blocks` makes with its default sizes (the linear model's n-gram part, without building a
    matrix), and the number of words."""
    blocks, scales = ngram_blocks(normalised, n_features)
    n_rows = len(normalised)
    weights = np.asarray(coef[:n_features], dtype=np.float64)
    margin, n_words = np.zeros(n_rows), np.zeros(n_rows)
    for family, scale in scales.items():
        total = np.zeros(n_rows)
        for block in (b for b in blocks if b.family == family):
            values = weights[block.cols]
            if block.keep is not None:
                values[~block.keep] = 0.0
            total += np.bincount(block.rows, weights=values, minlength=n_rows)
            if family == "words" and block.size == 1:
                n_words = np.bincount(block.rows, minlength=n_rows).astype(np.float64)
        margin += total * scale
    return margin, n_words


def shape_and_ngram_margin(texts: pa.Array, coef: np.ndarray, n_features: int
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Per text, its shape features (float64, columns `SHAPE_FEATURES`) and the n-gram part of a linear
    model whose first `n_features` weights are `coef` (see `ngram_margin`): what a linear or stacked text
    model scores from, with each text normalised once."""
    normalised = _normalise_arrow(texts)
    margin, n_words = ngram_margin(normalised, coef, n_features)
    return _shape_matrix(texts, normalised, n_words).astype(np.float64), margin


def hashed_to_csr(hashed: HashedNgrams, n_columns: int, extra: np.ndarray | None = None) -> sp.csr_matrix:
    """The triples as a CSR matrix (repeated n-grams summed), with dense `extra` columns appended."""
    rows, cols, weights = hashed.rows, hashed.cols, hashed.weights
    if extra is not None and extra.shape[1]:
        extra_rows = np.repeat(np.arange(hashed.n_rows, dtype=np.int64), extra.shape[1])
        extra_cols = np.tile(np.arange(n_columns - extra.shape[1], n_columns, dtype=np.int64), hashed.n_rows)
        rows = np.concatenate([rows, extra_rows])
        cols = np.concatenate([cols, extra_cols])
        weights = np.concatenate([weights, extra.astype(np.float32).ravel()])
    # Each block is sorted by row already; a stable sort merges a few sorted runs cheaply.
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(hashed.n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=hashed.n_rows), out=indptr[1:])
    matrix = sp.csr_matrix((weights[order], cols[order], indptr), shape=(hashed.n_rows, n_columns))
    matrix.sum_duplicates()
    return matrix


class CommentTextFeaturizer(TransformerMixin, BaseEstimator):
    """Comment texts -> CSR float32: hashed word n-grams and character n-grams in `n_features` columns
    (a power of two), then the `SHAPE_FEATURES` columns when `shape` is true. Stateless: `fit` learns
    nothing and `transform` works unfitted, as with sklearn's HashingVectorizer. Chunks of `chunk_size`
    texts run on `n_jobs` threads (the kernels release the GIL).
    """

    def __init__(self, n_features: int = 2**18, word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] | None = (3, 4), shape: bool = True,
                 chunk_size: int = 20_000, n_jobs: int = 1):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.shape = shape
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs

    def fit(self, X, y=None) -> CommentTextFeaturizer:
        check_power_of_two(self.n_features)
        return self

    def transform(self, X) -> sp.csr_matrix:
        texts = as_text_series(X)
        chunks = [texts.iloc[start:start + self.chunk_size]
                  for start in range(0, max(len(texts), 1), self.chunk_size)]
        parts = map_chunks(self._transform_chunk, chunks, self.n_jobs)
        return sp.vstack(parts, format="csr", dtype=np.float32)

    def _transform_chunk(self, texts: pd.Series) -> sp.csr_matrix:
        normalised = normalise_comment_text(texts)
        hashed = hash_comment_ngrams(normalised, self.n_features, self.word_ngrams, self.char_ngrams)
        extra = comment_shape_features(texts, normalised).to_numpy() if self.shape else None
        n_columns = self.n_features + (len(SHAPE_FEATURES) if self.shape else 0)
        return hashed_to_csr(hashed, n_columns, extra).astype(np.float32)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        hashed = [f"hash_{i}" for i in range(self.n_features)]
        return np.asarray(hashed + (list(SHAPE_FEATURES) if self.shape else []), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def map_chunks(func, chunks: list, n_jobs: int) -> list:
    """`func` over `chunks` in order, on `n_jobs` threads when there is more than one chunk."""
    if n_jobs <= 1 or len(chunks) <= 1:
        return [func(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        return list(pool.map(func, chunks))


def _word_blocks(data: np.ndarray, offsets: np.ndarray, doc_of_byte: np.ndarray, ngrams: tuple[int, int],
                 n_features: int) -> list[NgramBlock]:
    starts, ends = _token_bounds(data, offsets)
    doc = doc_of_byte[starts]
    prefix, inverse = _prefix_hash(data)
    blocks = []
    for n in range(ngrams[0], ngrams[1] + 1):
        if len(starts) < n:
            continue
        first, last = starts[: len(starts) - n + 1], ends[n - 1:]
        same_doc = doc[: len(doc) - n + 1] == doc[n - 1:]
        first, last = first[same_doc], last[same_doc]
        value = (prefix[last] - prefix[first]) * inverse[first]
        blocks.append(NgramBlock("words", n, doc[: len(doc) - n + 1][same_doc],
                                 _to_column(value, _SALT_WORD + n, n_features), None))
    return blocks


def _char_blocks(data: np.ndarray, offsets: np.ndarray, doc_of_byte: np.ndarray, ngrams: tuple[int, int],
                 n_features: int) -> list[NgramBlock]:
    """Byte n-grams up to 4 bytes pack exactly into a uint32 (UTF-8 has no zero bytes, so sizes cannot
    collide); one multiplicative hash of that is the column."""
    if ngrams[1] > 4:
        raise ValueError(f"character n-grams go up to 4 bytes, got {ngrams}")
    packed = data.astype(np.uint32)
    blocks = []
    for n in range(1, ngrams[1] + 1):
        if n > 1:
            packed = (packed[:-1] << np.uint32(8)) | data[n - 1:]
        if n < ngrams[0] or not len(packed):
            continue
        keep = _inside_one_text(offsets, n, len(packed))
        columns = _to_column32(packed, n_features)
        blocks.append(NgramBlock("chars", n, doc_of_byte[: len(packed)], columns, keep))
    return blocks


def _inside_one_text(offsets: np.ndarray, n: int, n_starts: int) -> np.ndarray:
    """Per start byte, whether the n bytes from it lie inside one text: all but each text's last n - 1
    starts, marked from the offsets rather than compared byte by byte."""
    keep = np.ones(n_starts, dtype=bool)
    starts, ends = offsets[:-1], offsets[1:]
    for back in range(1, n):
        tail = ends - back
        tail = tail[(tail >= starts) & (tail < n_starts)]
        keep[tail] = False
    return keep


def _token_bounds(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end byte of every run of non-space bytes, never crossing a text boundary."""
    is_text = data != _SPACE
    before = np.ones(len(data), dtype=bool)
    before[1:] = ~is_text[:-1]
    after = np.ones(len(data), dtype=bool)
    after[:-1] = ~is_text[1:]
    nonempty = offsets[:-1] < offsets[1:]
    before[offsets[:-1][nonempty]] = True
    after[offsets[1:][nonempty] - 1] = True
    return np.flatnonzero(is_text & before), np.flatnonzero(is_text & after) + 1


def _prefix_hash(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """prefix[k] = sum_{j<k} byte[j] * P**j and inverse[k] = P**-k (mod 2**64), so the hash of bytes
    [s, e) is (prefix[e] - prefix[s]) * inverse[s], whatever the position s."""
    powers, inverse = _powers(len(data) + 1)
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * powers[: len(data)], out=prefix[1:])
    return prefix, inverse[: len(data) + 1]


# P**k and P**-k for k < the longest buffer seen so far: every chunk needs the same leading powers, so they
# are computed once per process (grown by doubling) instead of two cumulative products per chunk.
_POWERS: list[tuple[np.ndarray, np.ndarray]] = []
_MAX_CACHED_POWERS = 1 << 23  # 2 x 64 MB


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    cached = _POWERS[-1] if _POWERS else None
    if cached is not None and len(cached[0]) >= n:
        return cached
    size = max(n, 2 * len(cached[0]) if cached is not None else 1 << 16)
    powers = np.full(size, _P, dtype=np.uint64)
    powers[0] = 1
    inverse = np.full(size, _P_INV, dtype=np.uint64)
    inverse[0] = 1
    pair = (np.cumprod(powers), np.cumprod(inverse))
    if size <= _MAX_CACHED_POWERS:  # a huge one-off buffer is not worth keeping in memory
        _POWERS[:] = [pair]  # one assignment: a thread reading concurrently sees a matching pair
    return pair


def _to_column(value: np.ndarray, salt: int, n_features: int) -> np.ndarray:
    bits = int(n_features).bit_length() - 1
    mixed = (value + np.uint64(salt)) * _MIX
    mixed ^= mixed >> np.uint64(31)
    if not bits:
        return np.zeros(len(value), np.int64)
    return ((mixed * _MIX) >> np.uint64(64 - bits)).astype(np.int64)


def _to_column32(packed: np.ndarray, n_features: int) -> np.ndarray:
    bits = int(n_features).bit_length() - 1
    mixed = (packed ^ np.uint32(_SALT_CHAR)) * _CHAR_MIX
    return (mixed >> np.uint32(32 - bits)).astype(np.int64) if bits else np.zeros(len(packed), np.int64)


def _phrase_flags(normalised: pa.Array) -> dict[str, np.ndarray]:
    """One pass with all phrases joined finds the few texts with any; each phrase then scans only those."""
    hit = np.flatnonzero(_np(pc.match_substring_regex(normalised, "|".join(_PHRASES.values()))))
    flags = {name: np.zeros(len(normalised)) for name in _PHRASES}
    if len(hit):  # each scan compiles its expression, even over no text
        candidates = normalised.take(pa.array(hit, type=pa.int64()))
        for name, pattern in _PHRASES.items():
            flags[name][hit] = _np(pc.match_substring_regex(candidates, pattern))
    return flags


def _byte_features(raw: pa.Array, n_chars: np.ndarray) -> dict[str, np.ndarray]:
    """Shares of characters and counts of markers per text, from the UTF-8 bytes (see _BYTE_SHARES):
    byte classes from a 256-entry table, emoji and styled letters by their lead byte and the byte after
    it, and bytes that are the third of a run of one byte value inside one text."""
    data, offsets = utf8_buffer(raw)
    n_rows = len(offsets) - 1
    doc = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(offsets))
    classes = np.bincount(doc * _N_BYTE_CLASSES + _BYTE_CLASS[data], minlength=n_rows * _N_BYTE_CLASSES
                          ).reshape(n_rows, _N_BYTE_CLASSES).astype(np.float64)
    lead, second = data[:-1], data[1:]
    emoji = ((lead == 0xF0) & (second == 0x9F)) | ((lead == 0xE2) & (second >= 0x98) & (second <= 0x9E))
    styled = ((lead == 0xF0) & (second == 0x9D)) | ((lead == 0xE2) & ((second == 0x92) | (second == 0x93)))
    triple = (data[2:] == data[1:-1]) & (data[1:-1] == data[:-2]) & (doc[2:] == doc[:-2])
    emoji, styled = _per_text(doc[:-1], emoji, n_rows), _per_text(doc[:-1], styled, n_rows)
    triples = _per_text(doc[2:], triple, n_rows)
    chars = np.maximum(n_chars, 1.0)
    upper, lower, digit = classes[:, 1], classes[:, 2], classes[:, 3]
    mentions, hashtags, exclamations = classes[:, 5], classes[:, 6], classes[:, 7]
    return {
        "repeat_run_share": triples / chars,
        "upper_share": upper / np.maximum(upper + lower, 1.0),
        "digit_share": digit / chars,
        "emoji_share": emoji / chars,
        "styled_share": styled / chars,
        "punctuation_share": classes[:, 4:].sum(axis=1) / chars,
        "log_mentions": np.log1p(mentions),
        "log_hashtags": np.log1p(hashtags),
        "log_exclamations": np.log1p(exclamations),
    }


def _per_text(doc: np.ndarray, mask: np.ndarray, n_rows: int) -> np.ndarray:
    """How many of the bytes flagged in `mask` each text holds (`doc`: the text of each byte)."""
    return np.bincount(doc[mask], minlength=n_rows).astype(np.float64)


def as_text_array(texts) -> pa.Array:
    """Texts (a Series, one-column frame, list or Arrow array) as one large_string array; missing is ""."""
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        arr = texts
    else:
        arr = pa.array(as_text_series(texts), type=pa.large_string(), from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.fill_null(arr.cast(pa.large_string()), "")


def as_text_series(X) -> pd.Series:
    """Texts (a Series, one-column frame or list) as a "str" Series."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(f"expected one text column, got {X.shape[1]} columns")
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X if X.dtype == "str" else X.astype("str")
    return pd.Series(np.asarray(X, dtype=object), dtype="str")


def _index_of(texts) -> pd.Index | None:
    return texts.index if isinstance(texts, pd.Series) else None


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False).astype(np.float64)


def check_power_of_two(n_features: int) -> None:
    if n_features < 1 or n_features & (n_features - 1):
        raise ValueError(f"n_features must be a power of two, got {n_features}")
