"""Fast, column-wise text normalisation and tokenisation for comments and captions.

The per-text work runs over whole columns, so there is no Python loop per text: RE2 turns punctuation,
mentions and emoji modifiers into spaces, then Arrow splits on whitespace and dictionary-encodes. Tokens
come back as integer codes into a vocabulary; the finer rules (splitting emoji off words, duplicating
hashtags, collapsing repeated letters) run once per distinct token, also vectorised, and are mapped back
through the codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


# Become spaces: variation selectors, zero-width joiners and skin tones (they make "❤️" differ from "❤"),
# @mentions (so "@ann nice" and "@bob nice" are one template) and punctuation. Emoji (\p{So}) stay. RE2's
# \w is ASCII-only, hence the Unicode letter/number/mark classes that keep "café" whole. A capture group
# here would push RE2 off its DFA and cost about 5x.
_PUNCTUATION = r"[\x{FE0E}\x{FE0F}\x{200D}\x{1F3FB}-\x{1F3FF}]|@[\pL\pN_.]+|[^\pL\pN\pM_\s\p{So}]+"
# Captions: emoji go too, "#" stays so hashtags survive the split.
_CAPTION_PUNCTUATION = r"@[\pL\pN_.]+|[^\pL\pN\pM_#\s]+"
_WORD_CHAR = r"[\pL\pN\pM_]"


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
        """Per vocabulary entry: True for words (letters or digits), False for emoji and other symbols."""
        found = pc.match_substring_regex(_vocab_arrow(self.vocab), _WORD_CHAR)
        return found.to_numpy(zero_copy_only=False).astype(bool)


def _vocab_arrow(vocab: np.ndarray) -> pa.Array:
    return pa.array(vocab, type=pa.large_string())


def _to_arrow(texts: pd.Series) -> pa.Array:
    arr = pa.array(texts, type=pa.large_string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _encode(normalised: pa.Array, n_texts: int) -> Tokens:
    # Only ASCII whitespace survives the normalising regex, so the faster ASCII splitter is exact.
    lists = pc.ascii_split_whitespace(normalised)
    flat = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(flat)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return Tokens(rows=rows, codes=codes, vocab=vocab, n_texts=n_texts)


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


def _split_symbols(tokens: Tokens) -> Tokens:
    """Word runs stay whole, each emoji or symbol becomes its own part: "nice🔥🔥" -> nice, 🔥, 🔥."""
    vocab = _vocab_arrow(tokens.vocab)
    mixed = pc.invert(pc.match_substring_regex(vocab, rf"^{_WORD_CHAR}+$"))
    return _expand(tokens, _spaced(vocab, mixed, r"(\p{So})", r" \1 "))


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


def tokenise(texts: pd.Series) -> Tokens:
    """Word and emoji tokens of comment-like texts (as `normalise_text` splits them), on one vocabulary."""
    arr = pc.replace_substring_regex(pc.utf8_lower(_to_arrow(texts)), _PUNCTUATION, " ")
    return _split_symbols(_encode(arr, len(texts)))


def caption_tokens(captions: pd.Series) -> Tokens:
    """Caption words plus each hashtag twice, as the word and as a tag ("#Gym" -> "gym", "#gym").

    Emoji and punctuation separate tokens and are dropped; one-character words are dropped.
    """
    arr = pc.replace_substring_regex(pc.utf8_lower(_to_arrow(captions)), _CAPTION_PUNCTUATION, " ")
    return _split_hashtags(_encode(arr, len(captions)))


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
