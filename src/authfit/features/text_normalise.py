"""Fast, column-wise text normalisation and tokenisation for comments and captions.

The per-text work runs over whole columns, so there is no Python loop per text. Comments are read byte by
byte (`Utf8`), each byte taking the class of its character from a per-code-point table of the Unicode
categories RE2 (pyarrow's regex engine) gives, built once per process: compiling a Unicode class such as
`\\pL` costs RE2 milliseconds on every kernel call, more than a small request's whole tokenisation. Only
the mention rule, which depends on the order of characters, still runs as a regular expression, on ASCII
stand-ins for the character classes. Captions are read the same way with their own classes. Tokens come
back as integer codes into a vocabulary, dictionary-encoded by Arrow; the finer caption rules
(duplicating hashtags) and collapsing repeated letters run once per distinct token, also vectorised, and
are mapped back through the codes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from authfit.features.arrow_text import utf8_buffer


# Become spaces: variation selectors, zero-width joiners and skin tones (they make "❤️" differ from "❤"),
# @mentions (so "@ann nice" and "@bob nice" are one template) and punctuation. Emoji (\p{So}) stay. RE2's
# \w is ASCII-only, hence the Unicode letter/number/mark classes that keep "café" whole. A capture group
# here would push RE2 off its DFA and cost about 5x.
_PUNCTUATION = r"[\x{FE0E}\x{FE0F}\x{200D}\x{1F3FB}-\x{1F3FF}]|@[\pL\pN_.]+|[^\pL\pN\pM_\s\p{So}]+"
# Captions: emoji go too, "#" stays so hashtags survive the split.
_CAPTION_PUNCTUATION = r"@[\pL\pN_.]+|[^\pL\pN\pM_#\s]+"


# Code point categories (bits) as RE2 classifies them.
LETTER_OR_NUMBER, MARK, SYMBOL, CURRENCY = 1, 2, 4, 8
_CATEGORY_CLASSES = ((LETTER_OR_NUMBER, r"^[\pL\pN]"), (MARK, r"^\pM"), (SYMBOL, r"^\p{So}"),
                     (CURRENCY, r"^\p{Sc}"))
_EMOJI_VARIANCE = (0xFE0E, 0xFE0F, 0x200D, *range(0x1F3FB, 0x1F400))  # `_PUNCTUATION`'s first class


# Planes 4-13 are unassigned and planes 15-16 private use in every Unicode release so far, so RE2 puts no
# code point there in these classes (a test checks it) and the table does not ask about them.
CATEGORY_PLANES = ((0, 0xD800), (0xE000, 0x40000), (0xE0000, 0xF0000))


@functools.cache
def code_point_categories() -> np.ndarray:
    """For every code point, its `LETTER_OR_NUMBER | MARK | SYMBOL | CURRENCY` bits as RE2 matches
    `\\pL`/`\\pN`, `\\pM`, `\\p{So}` and `\\p{Sc}`, built once per process (RE2's Unicode tables, which
    are not Python's, decide as they always have)."""
    points = np.concatenate([np.arange(a, b, dtype=np.uint32) for a, b in CATEGORY_PLANES])
    table = np.zeros(0x110000, dtype=np.uint8)
    table[points] = re2_categories(points)
    return table


def re2_categories(points: np.ndarray) -> np.ndarray:
    """The category bits of each code point (no surrogates): one anchored RE2 match per class over a
    string per code point."""
    data = points.astype(np.uint32).tobytes().decode("utf-32-le").encode("utf-8")
    lengths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    offsets = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    one_each = pa.LargeStringArray.from_buffers(len(points), pa.py_buffer(offsets), pa.py_buffer(data))
    bits = np.zeros(len(points), dtype=np.uint8)
    for bit, pattern in _CATEGORY_CLASSES:
        bits[pc.match_substring_regex(one_each, pattern).to_numpy(zero_copy_only=False)] |= bit
    return bits


@functools.cache
def _word_characters() -> np.ndarray:
    """Per code point: 1 for `[\\pL\\pN\\pM_]`, else 0."""
    table = ((code_point_categories() & (LETTER_OR_NUMBER | MARK)) > 0).astype(np.uint8)
    table[ord("_")] = 1
    return table


@functools.cache
def _comment_letters() -> np.ndarray:
    """Per code point, the letter `_COMMENT_MATCHES` reads it as: the classes `_PUNCTUATION` tells
    apart, plus " " for RE2's whitespace and "s" for symbols (neither ever matches)."""
    categories = code_point_categories()
    kept = (categories & (LETTER_OR_NUMBER | MARK | SYMBOL)) > 0
    kept[ord("_")] = True
    letters = np.where(kept, np.uint8(ord("k")), np.uint8(ord("p")))
    letters[(categories & SYMBOL) > 0] = ord("s")
    letters[[9, 10, 12, 13, 32]] = ord(" ")  # RE2's \s: [\t\n\f\r ] (\v is punctuation)
    letters[(categories & LETTER_OR_NUMBER) > 0] = ord("w")
    letters[[ord("_")]] = ord("w")
    letters[ord(".")], letters[ord("@")] = ord("."), ord("@")
    variance = np.asarray(_EMOJI_VARIANCE)
    letters[variance] = np.where(kept[variance], ord("v"), ord("z"))
    return letters


@functools.cache
def _caption_letters() -> np.ndarray:
    """Per code point, the letter `_CAPTION_MATCHES` reads it as: "w" for `[\\pL\\pN_]` (a mention takes
    them), "k" for the other kept characters (`\\pM`, "#"), " " for RE2's whitespace, "@" and "." as
    themselves and "p" for the rest, which `_CAPTION_PUNCTUATION` always covers."""
    categories = code_point_categories()
    letters = np.full(len(categories), ord("p"), dtype=np.uint8)
    letters[(categories & MARK) > 0] = ord("k")
    letters[(categories & LETTER_OR_NUMBER) > 0] = ord("w")
    letters[ord("_")], letters[ord("#")] = ord("w"), ord("k")
    letters[[9, 10, 12, 13, 32]] = ord(" ")  # RE2's \s: [\t\n\f\r ] (\v is punctuation)
    letters[ord(".")], letters[ord("@")] = ord("."), ord("@")
    return letters


def _letter_set(letters: str) -> np.ndarray:
    out = np.zeros(256, dtype=bool)
    out[[ord(c) for c in letters]] = True
    return out


# What separates tokens whatever surrounds it, and the expression over the letters that finds the rest
# (the mentions): `_PUNCTUATION` over `_comment_letters`, `_CAPTION_PUNCTUATION` over `_caption_letters`.
_COMMENT_SEPARATORS, _COMMENT_MATCHES = _letter_set("pz@.v "), r"[vz]|@[w.]+|[z@.p]+"
_CAPTION_SEPARATORS, _CAPTION_MATCHES = _letter_set("p@. "), r"@[w.]+|[p@.]+"


@dataclass(frozen=True)
class Utf8:
    """The bytes of a string array and, per byte, the value a per-code-point `table` gives the character
    it belongs to. Characters of more than one byte are few in most text, so only theirs are decoded."""

    data: np.ndarray
    offsets: np.ndarray
    values: np.ndarray

    @staticmethod
    def of(arr: pa.Array, table: np.ndarray) -> Utf8:
        """Missing texts are empty."""
        data, offsets = utf8_buffer(arr)
        values = table[data]  # right for ASCII bytes; the others are overwritten below
        wide = np.flatnonzero(data >= 0xC0)
        if len(wide):
            lead = data[wide]
            length = 2 + (lead >= 0xE0).astype(np.int64) + (lead >= 0xF0)
            points = (lead & np.where(length == 2, 0x1F, np.where(length == 3, 0x0F, 0x07))).astype(np.uint32)
            for k in (1, 2, 3):
                follow = data[np.minimum(wide + k, len(data) - 1)] & np.uint8(0x3F)
                points = np.where(length > k, (points << np.uint32(6)) | follow, points)
            values[_spread(wide, length)] = np.repeat(table[points], length)
        return Utf8(data=data, offsets=offsets, values=values)

    def text_of(self, positions: np.ndarray) -> np.ndarray:
        """The text each byte position (ascending) lies in: one search per text, not per position."""
        counts = np.diff(np.searchsorted(positions, self.offsets))
        return np.repeat(np.arange(len(counts), dtype=np.int64), counts)

    def with_bytes(self, data: np.ndarray) -> pa.Array:
        """A large_string array of these texts' offsets over other bytes of the same length."""
        return pa.LargeStringArray.from_buffers(len(self.offsets) - 1, pa.py_buffer(self.offsets),
                                                pa.py_buffer(data))

    def ranges(self, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
        """The byte ranges [starts, ends) (ascending, not overlapping) as a large_string array: Arrow
        takes every other string of the array whose offsets are the ranges' bounds back to back."""
        if not len(starts):
            return pa.array([], type=pa.large_string())
        bounds = np.empty(2 * len(starts), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, ends
        pieces = pa.LargeStringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), pa.py_buffer(self.data))
        return pieces.take(pa.array(np.arange(0, len(bounds), 2, dtype=np.int64)))


def _spread(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start, start + 1, ..., start + length - 1 of each range, range by range."""
    within = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + within


@dataclass(frozen=True)
class Tokens:
    """Texts as (row, token) pairs: `rows[i]` is the text position of token `codes[i]` in `vocab`."""

    rows: np.ndarray
    codes: np.ndarray
    vocab: np.ndarray
    n_texts: int

    def take_texts(self, keep: np.ndarray) -> Tokens:
        """The tokens of the texts where `keep` (a bool per text) is True, renumbered 0..keep.sum()-1."""
        new_row = np.cumsum(keep) - 1
        mine = keep[self.rows]
        return Tokens(rows=new_row[self.rows[mine]], codes=self.codes[mine], vocab=self.vocab,
                      n_texts=int(keep.sum()))

    def without(self, drop: np.ndarray) -> Tokens:
        """These tokens minus the occurrences of the vocabulary entries flagged in `drop`."""
        keep = ~drop[self.codes]
        return Tokens(rows=self.rows[keep], codes=self.codes[keep], vocab=self.vocab, n_texts=self.n_texts)

    @property
    def is_word(self) -> np.ndarray:
        """Per vocabulary entry: True for words (a letter, digit, mark or "_"), False for emoji and other
        symbols."""
        utf8 = Utf8.of(_vocab_arrow(self.vocab), _word_characters())
        return np.bincount(utf8.text_of(np.flatnonzero(utf8.values)), minlength=len(self.vocab)) > 0


def _vocab_arrow(vocab: np.ndarray) -> pa.Array:
    return pa.array(vocab, type=pa.large_string())


def _to_arrow(texts: pd.Series | pa.Array) -> pa.Array:
    arr = (texts.cast(pa.large_string()) if isinstance(texts, (pa.Array, pa.ChunkedArray))
           else pa.array(texts, type=pa.large_string(), from_pandas=True))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _expand(tokens: Tokens, spaced_vocab: pa.Array) -> Tokens:
    """Replace every vocabulary entry by the whitespace-separated parts of its `spaced_vocab` entry (zero
    or more), repeating its occurrences to match.

    Pairs come back grouped differently from the input (one-part tokens first), so callers must not rely
    on the order of tokens within a text.
    """
    lists = pc.ascii_split_whitespace(spaced_vocab)
    parts = pc.list_flatten(lists)
    nonempty = pc.not_equal(parts, "")  # leading/trailing spaces split off empty parts
    owner = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    n_parts = np.bincount(owner[nonempty.to_numpy(zero_copy_only=False)], minlength=len(spaced_vocab))
    encoded = pc.dictionary_encode(pc.filter(parts, nonempty))
    flat_codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first = np.cumsum(n_parts) - n_parts
    # Most occurrences map to exactly one part: a plain lookup, no repeat bookkeeping.
    simple = (n_parts == 1)[tokens.codes]
    rows, codes = tokens.rows[~simple], tokens.codes[~simple]
    repeat = n_parts[codes]
    start = np.repeat(first[codes], repeat)
    within = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    return Tokens(rows=np.concatenate([tokens.rows[simple], np.repeat(rows, repeat)]),
                  codes=np.concatenate([flat_codes[first[tokens.codes[simple]]], flat_codes[start + within]]),
                  vocab=np.asarray(encoded.dictionary.to_pylist(), dtype=object), n_texts=tokens.n_texts)


def _spaced(vocab: pa.Array, needs: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """`vocab` with `pattern` replaced only in the entries flagged by `needs` (capture-group regexes are
    slow in RE2, so they run on the few entries that need them)."""
    changed = pc.replace_substring_regex(pc.filter(vocab, needs), pattern, replacement)
    return pc.replace_with_mask(vocab, needs, changed)


def _split_hashtags(tokens: Tokens) -> Tokens:
    """Hashtags count twice, as the word and as the tag ("#gym" -> gym, #gym); one-letter words go."""
    vocab = _vocab_arrow(tokens.vocab)
    spaced = _spaced(vocab, pc.match_substring(vocab, "#"), r"#([^#]+)", r" \1 #\1 ")
    expanded = _expand(tokens, spaced)
    stem_length = pc.utf8_length(pc.utf8_ltrim(_vocab_arrow(expanded.vocab), "#"))
    keep = (stem_length.to_numpy(zero_copy_only=False) >= 2)[expanded.codes]
    return Tokens(rows=expanded.rows[keep], codes=expanded.codes[keep], vocab=expanded.vocab,
                  n_texts=expanded.n_texts)


def normalise_text(texts: pd.Series) -> pd.Series:
    """Lower-case, drop emoji variance and @mentions, turn punctuation into spaces, separate emoji, collapse
    whitespace. Missing texts stay missing. "Nice pic!!! 🔥🔥" becomes "nice pic 🔥 🔥".
    """
    arr = pc.replace_substring_regex(pc.utf8_lower(_to_arrow(texts)), _PUNCTUATION, " ")
    arr = pc.replace_substring_regex(arr, r"(\p{So})", r" \1 ")
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r"\s+", " "))
    return pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype).astype("str"), index=texts.index,
                     name=texts.name)


def replace_where_found(arr: pa.Array, pattern: str, replacement: str,
                        found: np.ndarray | None = None) -> pa.Array:
    """`replace_substring_regex` run only on the texts the pattern occurs in: an RE2 match test costs a
    fraction of a replace, and many texts need no replacing. `found` (per text, True at least wherever the
    pattern occurs) saves the match test when the caller can tell more cheaply."""
    found = (pc.fill_null(pc.match_substring_regex(arr, pattern), False) if found is None
             else pa.array(found, type=pa.bool_()))
    if not pc.any(found).as_py():
        return arr
    return pc.replace_with_mask(arr, found, pc.replace_substring_regex(pc.filter(arr, found), pattern,
                                                                        replacement))


def tokenise(texts: pd.Series | pa.Array) -> Tokens:
    """Word and emoji tokens of comment-like texts (as `normalise_text` splits them), on one vocabulary:
    lower-cased, `_PUNCTUATION` (mentions, punctuation, emoji variance) separates tokens as whitespace
    does, each emoji or other symbol is a token of its own and the runs of other characters between them
    are words ("nice🔥🔥" -> nice, 🔥, 🔥). Missing texts have no tokens.

    Works on the UTF-8 bytes, each byte standing for its character (`_comment_letters`)."""
    utf8 = Utf8.of(pc.utf8_lower(_to_arrow(texts)), _comment_letters())
    symbol = utf8.values == ord("s")
    return _tokens_between(utf8, ~(_separators(utf8, _COMMENT_SEPARATORS, _COMMENT_MATCHES) | symbol), symbol)


def _tokens_between(utf8: Utf8, word: np.ndarray, symbol: np.ndarray | None = None) -> Tokens:
    """Tokens of `utf8`'s texts: every run of `word` bytes within a text, and every character of a
    `symbol` byte on its own, on one vocabulary in the order they first occur."""
    data, n = utf8.data, len(utf8.data)
    text_start = np.zeros(n + 1, dtype=bool)
    text_start[utf8.offsets] = True
    joined = np.zeros(n + 1, dtype=bool)  # byte i continues the word run of byte i - 1
    joined[1:n] = word[1:] & word[:-1]
    joined &= ~text_start
    starts, ends = word & ~joined[:n], word & ~joined[1:]
    if symbol is not None:
        lead = np.append((data & 0xC0) != 0x80, True)  # a character starts here (or the data ends)
        starts, ends = starts | (symbol & lead[:n]), ends | (symbol & lead[1:])
    starts, ends = np.flatnonzero(starts), np.flatnonzero(ends) + 1
    encoded = pc.dictionary_encode(utf8.ranges(starts, ends))
    return Tokens(rows=utf8.text_of(starts), codes=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                  vocab=np.asarray(encoded.dictionary.to_pylist(), dtype=object), n_texts=len(utf8.offsets) - 1)


def _separators(utf8: Utf8, always: np.ndarray, matches: str) -> np.ndarray:
    """Per byte of lower-cased text (`utf8.values` its letters): True where the punctuation expression
    (`_PUNCTUATION`, `_CAPTION_PUNCTUATION`) covers its character or it is ASCII whitespace.

    Every letter in `always` is covered, whatever surrounds it; letters, digits and "_" only when a
    mention takes them. RE2 picks the expression's matches left to right, and whether an "@" starts a
    mention depends on what came before it ("x.@ann" is one punctuation run then "ann"; "@ann.@bob" two
    mentions), so in the texts holding an "@" the matches are found by `matches`, the same expression over
    the letters (a character of several bytes repeats its letter, which changes no match's extent); ASCII
    classes compile in microseconds where `\\pL` takes milliseconds."""
    covered = always[utf8.values]
    texts = np.unique(utf8.text_of(np.flatnonzero(utf8.data == ord("@"))))
    if len(texts):
        letters = utf8.with_bytes(utf8.values).take(pa.array(texts, type=pa.int64()))
        marked, _ = utf8_buffer(pc.replace_substring_regex(letters, matches, r"<\0>"))
        depth = np.cumsum((marked == ord("<")).astype(np.int8) - (marked == ord(">")))
        inside = (depth > 0)[(marked != ord("<")) & (marked != ord(">"))]
        starts = utf8.offsets[texts]
        covered[_spread(starts, utf8.offsets[texts + 1] - starts)[inside]] = True
    return covered


def caption_tokens(captions: pd.Series) -> Tokens:
    """Caption words plus each hashtag twice, as the word and as a tag ("#Gym" -> "gym", "#gym").

    Emoji and punctuation separate tokens and are dropped; one-character words are dropped.
    """
    utf8 = Utf8.of(pc.utf8_lower(_to_arrow(captions)), _caption_letters())
    return _split_hashtags(_tokens_between(utf8, ~_separators(utf8, _CAPTION_SEPARATORS, _CAPTION_MATCHES)))


def stack_tokens(first: Tokens, second: Tokens) -> Tokens:
    """`first`'s texts then `second`'s (rows offset by first.n_texts), their vocabularies side by side:
    an entry in both appears twice until `recode` merges them."""
    return Tokens(rows=np.concatenate([first.rows, second.rows + first.n_texts]),
                  codes=np.concatenate([first.codes, second.codes + len(first.vocab)]),
                  vocab=np.concatenate([first.vocab, second.vocab]), n_texts=first.n_texts + second.n_texts)


def is_hashtag(vocab: np.ndarray) -> np.ndarray:
    """Per vocabulary entry: True for hashtags ("#gym") as `caption_tokens` keeps them."""
    return pc.starts_with(_vocab_arrow(vocab), "#").to_numpy(zero_copy_only=False).astype(bool)


def collapse_repeats(vocab: np.ndarray) -> np.ndarray:
    """Map each token to its form with runs of one character shortened to one ("loooove" -> "love").

    Vectorised over code points (RE2 has no back-references): a character is dropped when it equals the
    one before it in the same token.
    """
    if len(vocab) == 0:
        return np.asarray(vocab, dtype=object)
    points = np.frombuffer("".join(vocab).encode("utf-32-le"), dtype=np.uint32)
    lengths = pc.utf8_length(_vocab_arrow(vocab)).to_numpy(zero_copy_only=False).astype(np.int64)
    owner = np.repeat(np.arange(len(vocab)), lengths)
    keep = np.r_[True, (points[1:] != points[:-1]) | (owner[1:] != owner[:-1])] if points.size else points > 0
    text = points[keep].tobytes().decode("utf-32-le")
    ends = np.cumsum(np.bincount(owner[keep], minlength=len(vocab)))
    starts = ends - np.bincount(owner[keep], minlength=len(vocab))
    return np.asarray([text[a:b] for a, b in zip(starts.tolist(), ends.tolist())], dtype=object)


def recode(codes: np.ndarray, vocab: np.ndarray, mapped_vocab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-express token codes after mapping the vocabulary (several old tokens may merge into one)."""
    new_codes, new_vocab = pd.factorize(pd.Series(mapped_vocab, dtype=object))
    return new_codes.astype(np.int64)[codes], np.asarray(new_vocab, dtype=object)


def dedupe_pairs(rows: np.ndarray, codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique (row, code) pairs, sorted by row then code: token sets rather than token bags."""
    width = np.int64(max(n_codes, 1))
    # A sort plus neighbour test: numpy's hash-based unique is several times slower on int64 keys.
    key = np.sort(rows * width + codes)
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    return key // width, key % width
