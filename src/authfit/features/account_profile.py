"""Account profile features: what one profile alone says about whether the account is fake.

Used by the account-authenticity model, and to score audience samples and commenters, so it needs only the
contract's profile columns (`authfit.contract.schema.PROFILE_COLUMNS`), any of which may be absent or all null.

Some labelled data sets ship derived numbers instead of the raw text (a username's length and digit count
instead of the username, a bio's length instead of the bio). A frame may carry those numbers under the
feature's own name (`PASSTHROUGH_FEATURES`); they are used only where the raw text is missing, so one
model reads every source on the same scale.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.utils import murmurhash3_32

from authfit.features.registry import FeatureSpec

FAMILY = "account_profile"
# HypeAuditor counts an account following more than this many as a mass-follower (unreachable audience).
MASS_FOLLOWING = 1500
_URL = r"(?:https?://|www\.|\b[\w-]+\.(?:com|net|org|io|me|co|ly|link|shop|store)\b)"
_EMOJI = r"[\u2600-\u27BF\U0001F000-\U0001FAFF]"

FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("log_followers", FAMILY, "log(1 + follower_count)"),
    FeatureSpec("log_following", FAMILY, "log(1 + following_count)"),
    FeatureSpec("log_media", FAMILY, "log(1 + media_count)"),
    FeatureSpec("follow_ratio_log", FAMILY, "log((1 + following) / (1 + followers))"),
    FeatureSpec("followers_per_post_log", FAMILY, "log((1 + followers) / (1 + media_count))"),
    FeatureSpec("following_over_1500", FAMILY, f"1 if following_count > {MASS_FOLLOWING}"),
    FeatureSpec("username_length", FAMILY, "characters in the username"),
    FeatureSpec("username_digit_count", FAMILY, "digits in the username"),
    FeatureSpec("username_digit_share", FAMILY, "digits / characters in the username"),
    FeatureSpec("username_nonalnum_share", FAMILY, "non-alphanumerics / characters in the username"),
    FeatureSpec("username_trailing_digits", FAMILY, "length of the run of digits ending the username"),
    FeatureSpec("username_vowel_share", FAMILY, "vowels (a, e, i, o, u, y) / characters in the username"),
    FeatureSpec("username_max_consonant_run", FAMILY, "longest run of consonants in the username"),
    FeatureSpec("username_distinct_char_share", FAMILY, "distinct characters / characters in the username"),
    FeatureSpec("username_entropy", FAMILY, "Shannon entropy (bits per character) of the username's "
                                            "characters"),
    FeatureSpec("full_name_length", FAMILY, "characters in the display name"),
    FeatureSpec("full_name_words", FAMILY, "words in the display name"),
    FeatureSpec("full_name_digit_share", FAMILY, "digits / characters in the display name"),
    FeatureSpec("name_equals_username", FAMILY, "1 if the display name, lower-cased alphanumerics only, "
                                                "equals the username so normalised"),
    FeatureSpec("name_username_similarity", FAMILY, "cosine similarity of character bigrams of display "
                                                    "name and username (alphanumerics, lower case)"),
    FeatureSpec("bio_length", FAMILY, "characters in the biography"),
    FeatureSpec("bio_has_url", FAMILY, "1 if the biography contains a link"),
    FeatureSpec("bio_has_emoji", FAMILY, "1 if the biography contains an emoji"),
    FeatureSpec("bio_has_hashtag", FAMILY, "1 if the biography contains a #hashtag"),
    FeatureSpec("bio_has_mention", FAMILY, "1 if the biography contains an @mention"),
    FeatureSpec("has_profile_pic", FAMILY, "profile flag as given"),
    FeatureSpec("is_private", FAMILY, "profile flag as given"),
    FeatureSpec("is_verified", FAMILY, "profile flag as given"),
    FeatureSpec("has_external_url", FAMILY, "profile flag as given"),
)
ACCOUNT_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES)
# Features a frame may carry precomputed, for sources without the raw text they derive from.
PASSTHROUGH_FEATURES: tuple[str, ...] = (
    "follow_ratio_log", "username_length", "username_digit_count", "username_digit_share",
    "full_name_words", "full_name_digit_share", "name_equals_username", "bio_length",
)
# Character statistics reproduce sklearn's HashingVectorizer (char analyzer, 2**18 columns), which the
# first models were trained on, without its per-row Python analyzer.
_N_HASHED = 2**18
_WHITESPACE = re.compile(r"\s")
_FLAGS = ("has_profile_pic", "is_private", "is_verified", "has_external_url")


def account_profile_features(profiles: pd.DataFrame) -> pd.DataFrame:
    """One row of `ACCOUNT_FEATURES` (float64, NaN where unknown, never inf) per profile, same index."""
    return pd.DataFrame(profile_feature_values(profiles), index=profiles.index, columns=list(ACCOUNT_FEATURES))


def profile_feature_values(profiles: pd.DataFrame) -> np.ndarray:
    """`account_profile_features` as one float array (profiles x `ACCOUNT_FEATURES`), for callers that
    go on with arrays (the scorer's predictions and reasons).

    Each text column is read once into its code points, and every statistic is a numpy pass over them
    (Arrow kernels where pandas' string methods run Arrow): a few profiles cost a few dozen array calls,
    not hundreds of pandas operations. The regular expressions' classes (\\d, \\w, \\s) are Python's, looked
    up per code point, so results are those of `re` on any text."""
    username = _text(profiles, "username")
    name = _code_points(pc.utf8_ltrim(pc.utf8_trim_whitespace(username), characters="@"))
    full_name = pc.utf8_trim_whitespace(_text(profiles, "full_name"))
    columns = {**_count_features(profiles), **_username_features(name), **_name_features(full_name, username),
               **_bio_features(_code_points(_text(profiles, "biography"))),
               **{f: _numeric(profiles, f) for f in _FLAGS}}
    for passed in PASSTHROUGH_FEATURES:
        if passed in profiles:
            columns[passed] = np.where(np.isnan(columns[passed]), _numeric(profiles, passed), columns[passed])
    columns["username_digit_share"] = np.where(np.isnan(columns["username_digit_share"]), _share(
        columns["username_digit_count"], columns["username_length"]), columns["username_digit_share"])
    values = np.column_stack([columns[f] for f in ACCOUNT_FEATURES]) if len(profiles) else np.zeros(
        (0, len(ACCOUNT_FEATURES)))
    values[np.isinf(values)] = np.nan
    return values


def _numeric(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The column as float64, NaN where missing or not a number (as `pd.to_numeric(errors="coerce")`).

    Numbers and booleans are converted directly and Python objects through their numpy array: the
    Series conversions cost more than the rest of a small request's features."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    column = frame[name]
    if column.dtype.kind in "biuf":
        if isinstance(column.dtype, np.dtype):  # no missing values to look for
            return column.to_numpy().astype(np.float64)
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if column.dtype == object:
        return np.asarray(pd.to_numeric(column.to_numpy(), errors="coerce"), dtype=np.float64)
    return pd.to_numeric(column, errors="coerce").astype(np.float64).to_numpy()


_STR = pd.api.types.pandas_dtype("str")


def _text(frame: pd.DataFrame, name: str) -> pa.Array:
    """The column as Arrow text, as `astype("str")` makes it (null where missing)."""
    if name not in frame:
        return pa.nulls(len(frame), pa.large_string())
    column = frame[name]
    return _as_array(pa.array((column if column.dtype == _STR else column.astype(_STR)).array))


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


class _Points(NamedTuple):
    """A text column as code points: all rows back to back, the row of each, and per row its length and
    whether it is known (a missing value has no code points)."""

    points: np.ndarray
    row: np.ndarray
    length: np.ndarray
    known: np.ndarray
    values: list[str]


def _code_points(text: pa.Array | pa.ChunkedArray) -> _Points:
    raw = _as_array(text).to_pylist()  # one conversion; Arrow's fill_null and is_null cost more on a few rows
    known = np.fromiter((value is not None for value in raw), dtype=bool, count=len(raw))
    values = ["" if value is None else value for value in raw]
    points, row = _codepoints(values)
    return _Points(points, row, np.bincount(row, minlength=len(values)).astype("float64"), known, values)


def _per_row(text: _Points, hits: np.ndarray) -> np.ndarray:
    """How many code points of each row are `hits`; NaN where the text is missing."""
    counts = np.bincount(text.row, weights=hits, minlength=len(text.known)) if len(text.known) else np.zeros(0)
    return np.where(text.known, counts, np.nan)


def _in_class(pattern: str, points: np.ndarray) -> np.ndarray:
    """Whether each code point matches the regular expression class `pattern` (e.g. r"\\d") in Python."""
    return _class_table(pattern)[points]


@functools.cache
def _class_table(pattern: str) -> np.ndarray:
    """For every code point, whether it matches `pattern` (one character class) as Python's `re` does:
    one scan over a string of every code point (surrogates never match)."""
    points = np.arange(0x110000, dtype=np.uint32)
    points = points[(points < 0xD800) | (points > 0xDFFF)]
    table = np.zeros(0x110000, dtype=bool)
    for match in re.finditer(f"(?:{pattern})+", points.tobytes().decode("utf-32-le")):
        table[points[match.start():match.end()]] = True
    return table


def _count_features(profiles: pd.DataFrame) -> dict[str, np.ndarray]:
    followers = np.clip(_numeric(profiles, "follower_count"), 0, None)
    following = np.clip(_numeric(profiles, "following_count"), 0, None)
    media = np.clip(_numeric(profiles, "media_count"), 0, None)
    return {
        "log_followers": np.log1p(followers),
        "log_following": np.log1p(following),
        "log_media": np.log1p(media),
        "follow_ratio_log": np.log1p(following) - np.log1p(followers),
        "followers_per_post_log": np.log1p(followers) - np.log1p(media),
        "following_over_1500": np.where(np.isnan(following), np.nan, following > MASS_FOLLOWING),
    }


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def _username_features(name: _Points) -> dict[str, np.ndarray]:
    length = np.where(name.known, name.length, np.nan)
    digit = _in_class(r"\d", name.points)
    digits = _per_row(name, digit)
    lower = _code_points(pc.utf8_lower(pa.array(name.values, type=pa.large_string())))
    vowels = _member("aeiouy")[lower.points]
    return {
        "username_length": length,
        "username_digit_count": digits,
        "username_digit_share": _share(digits, length),
        "username_nonalnum_share": _share(_per_row(name, ~_member(_ASCII_ALNUM)[name.points]), length),
        "username_trailing_digits": _trailing_run(name, digit),
        "username_vowel_share": _share(_per_row(name, vowels), length),
        "username_max_consonant_run": _longest_run(lower._replace(known=name.known), "bcdfghjklmnpqrstvwxz"),
        # lower() can lengthen a name (U+0130 becomes two characters), so the share is capped at 1
        "username_distinct_char_share": np.minimum(_share(_distinct_chars(name), length), 1.0),
        "username_entropy": _char_entropy(name),
    }


def _ord(characters: str) -> np.ndarray:
    return np.frombuffer(characters.encode("utf-32-le"), dtype=np.uint32)


_ASCII_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@functools.cache
def _member(characters: str) -> np.ndarray:
    """For every code point, whether it is one of `characters`: a lookup instead of a search per call."""
    table = np.zeros(0x110000, dtype=bool)
    table[_ord(characters)] = True
    return table


def _trailing_run(text: _Points, inside: np.ndarray) -> np.ndarray:
    """Length of the run of `inside` code points that ends each row (what `(\\d*)$` captures after a
    strip); NaN where missing."""
    end = np.cumsum(text.length).astype(np.int64)
    last_outside = end - text.length.astype(np.int64) - 1
    position = np.arange(text.points.size)
    np.maximum.at(last_outside, text.row[~inside], position[~inside])
    return np.where(text.known, end - 1 - last_outside, np.nan).astype("float64")


def _char_entropy(text: _Points) -> np.ndarray:
    """Shannon entropy in bits of each row's character frequencies: 0 for one repeated character, NaN when
    missing or empty. Random strings ("xk7q2m") score high, names and words lower."""
    n = len(text.known)
    keys, counts = _sorted_unique(text.row.astype(np.int64) * 0x110000 + text.points)
    owner = keys // 0x110000
    p = counts / text.length[owner]
    entropy = -np.bincount(owner, p * np.log2(p), minlength=n) if n else np.zeros(0)
    return np.where(text.known & (text.length > 0), entropy + 0.0, np.nan)


def _longest_run(text: _Points, letters: str) -> np.ndarray:
    """Length of the longest run of characters from `letters` per row: 0 when none, NaN when missing.

    Works on all rows' code points at once; a run's length at each position is its distance from the
    last position that breaks it (a character outside `letters`, or the start of the row)."""
    points, row = text.points, text.row
    longest = np.zeros(len(text.known))
    if points.size:
        inside = _member(letters)[points]
        position = np.arange(points.size)
        row_start = np.concatenate(([True], row[1:] != row[:-1]))
        breaks = np.where(~inside, position, np.where(row_start, position - 1, -1))
        run = np.where(inside, position - np.maximum.accumulate(breaks), 0)
        np.maximum.at(longest, row, run)
    return np.where(text.known, longest, np.nan)


def _codepoints(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of all strings back to back, and the row each one belongs to."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    points = np.frombuffer("".join(values).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points, np.repeat(np.arange(len(values)), lengths)


def _python_lower_codepoints(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """`_codepoints` of `str.lower()` of each string (what sklearn's analyzers see), in one call.

    The rows are joined with NUL, which is neither cased nor case-ignorable, so context-dependent
    lowering (Greek final sigma) sees row edges exactly as it would in separate strings; the only
    character that lowers to two code points is U+0130, so each row's new length is known."""
    points = np.frombuffer("\x00".join(values).lower().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    original, original_row = _codepoints(values)
    lengths = (np.bincount(original_row, minlength=len(values))
               + np.bincount(original_row[original == 0x130], minlength=len(values)))
    separators = np.cumsum(lengths + 1)[:-1] - 1
    return np.delete(points, separators), np.repeat(np.arange(len(values)), lengths)


def _collapse_whitespace(points: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's char analyzer first replaces each run of 2+ whitespace characters with one space."""
    space = _in_class(r"\s", points)
    same_row = np.concatenate(([False], row[1:] == row[:-1]))
    continues = space & np.concatenate(([False], space[:-1])) & same_row
    opens_long_run = space & ~continues & np.concatenate((continues[1:], [False]))
    keep = ~continues
    return np.where(opens_long_run, np.uint32(32), points)[keep], row[keep]


def _hash_buckets(ngrams: np.ndarray, width: int, n_features: int) -> np.ndarray:
    """sklearn's HashingVectorizer column for each n-gram (code points packed base 0x110000).

    The murmur hash is of the n-gram's UTF-8 bytes, so it is computed once per distinct n-gram (the
    vocabulary, not the rows) and spread back."""
    inverse, vocabulary = pd.factorize(ngrams)
    digits = [(vocabulary // 0x110000**k % 0x110000).tolist() for k in reversed(range(width))]
    hashes = np.fromiter((murmurhash3_32("".join(map(chr, chars)), seed=0) for chars in zip(*digits)),
                         dtype=np.int64, count=len(vocabulary))
    buckets = np.where(hashes == -2**31, (2**31 - 1 - (n_features - 1)) % n_features, np.abs(hashes) % n_features)
    return buckets[inverse]


def _distinct_chars(text: _Points) -> np.ndarray:
    """Distinct characters per row, exactly as binary hashed character counts (lower case) had them."""
    n = len(text.known)
    if not n:
        return np.zeros(0)
    points, row = _collapse_whitespace(*_python_lower_codepoints(text.values))
    keys = row * _N_HASHED + _hash_buckets(points.astype(np.int64), 1, _N_HASHED)
    counts = np.bincount(_sorted_unique(keys)[0] // _N_HASHED, minlength=n).astype("float64")
    return np.where(text.known, counts, np.nan)


def _alnum_lower(text: pa.Array) -> _Points:
    """Lower case (as pandas' `str.lower`), then only the characters `[\\W_]+` does not match."""
    lower = _code_points(pc.utf8_lower(text))
    keep = _in_class(r"\w", lower.points) & (lower.points != ord("_"))
    points, row = lower.points[keep], lower.row[keep]
    return lower._replace(points=points, row=row, length=np.bincount(row, minlength=len(lower.known)).astype(
        "float64"), values=[])


def _bigram_counts(text: _Points) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (row, hashed bigram) keys, sorted, and how often each occurs."""
    points, row = _collapse_whitespace(text.points, text.row)
    pair = row[1:] == row[:-1]
    bigrams = points[:-1][pair].astype(np.int64) * 0x110000 + points[1:][pair]
    keys = row[:-1][pair] * _N_HASHED + _hash_buckets(bigrams, 2, _N_HASHED)
    return _sorted_unique(keys)


def _sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys in order and their counts (sort based: numpy's hashed unique is slower here)."""
    ordered = np.sort(keys)
    first = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1]))) if ordered.size else np.zeros(0, int)
    return ordered[first], np.diff(np.append(first, ordered.size))


def _bigram_cosine(left: _Points, right: _Points) -> np.ndarray:
    """Row-wise cosine of character-bigram counts hashed as sklearn's HashingVectorizer (char (2, 2),
    2**18 columns, l2 norm) hashes them, computed on all rows at once."""
    n = len(left.known)
    if not n:
        return np.zeros(0)
    (left_keys, left_counts), (right_keys, right_counts) = _bigram_counts(left), _bigram_counts(right)
    left_norm = np.sqrt(np.bincount(left_keys // _N_HASHED, left_counts.astype("float64") ** 2, minlength=n))
    right_norm = np.sqrt(np.bincount(right_keys // _N_HASHED, right_counts.astype("float64") ** 2, minlength=n))
    _, li, ri = np.intersect1d(left_keys, right_keys, assume_unique=True, return_indices=True)
    rows = left_keys[li] // _N_HASHED
    products = (left_counts[li] / left_norm[rows]) * (right_counts[ri] / right_norm[rows])
    cosine = np.bincount(rows, products, minlength=n).astype("float64")  # int64 when nothing matches
    known = left.known & right.known & (left.length >= 2) & (right.length >= 2)
    return np.where(known, cosine, np.nan)


def _same_text(left: _Points, right: _Points) -> np.ndarray:
    """Whether each row holds the same code points on both sides (False where either is missing)."""
    same = left.known & right.known & (left.length == right.length)
    pick_left, pick_right = same[left.row], same[right.row]  # rows of equal length line up point by point
    differ = left.row[pick_left][left.points[pick_left] != right.points[pick_right]]
    same[differ] = False
    return same


def _name_features(full_name: pa.Array, username: pa.Array) -> dict[str, np.ndarray]:
    name = _code_points(full_name)
    length = np.where(name.known, name.length, np.nan)
    norm_name, norm_user = _alnum_lower(full_name), _alnum_lower(username)
    not_space = ~_in_class(r"\s", name.points)
    word_start = not_space & np.concatenate(([True], (name.row[1:] != name.row[:-1]) | ~not_space[:-1]))
    return {
        "full_name_length": length,
        "full_name_words": _per_row(name, word_start),
        "full_name_digit_share": _share(_per_row(name, _in_class(r"\d", name.points)), length),
        "name_equals_username": np.where(name.known & norm_user.known, _same_text(norm_name, norm_user), np.nan),
        "name_username_similarity": _bigram_cosine(norm_name, norm_user),
    }


_URL_PATTERN = re.compile(_URL)


def _bio_features(bio: _Points) -> dict[str, np.ndarray]:
    points, row = bio.points, bio.row
    next_is_word = np.append(_in_class(r"\w", points[1:]) & (row[1:] == row[:-1]), False)

    def has(hit: np.ndarray) -> np.ndarray:
        return np.where(bio.known, _per_row(bio, hit) > 0, np.nan)

    emoji = ((points >= 0x2600) & (points <= 0x27BF)) | ((points >= 0x1F000) & (points <= 0x1FAFF))
    return {
        "bio_length": np.where(bio.known, bio.length, np.nan),
        "bio_has_url": np.where(bio.known, _rows_matching(_URL_PATTERN, bio), np.nan),
        "bio_has_emoji": has(emoji),
        "bio_has_hashtag": has((points == ord("#")) & next_is_word),
        "bio_has_mention": has((points == ord("@")) & next_is_word),
    }


def _rows_matching(pattern: re.Pattern, text: _Points) -> np.ndarray:
    """Whether `pattern` occurs in each row: one search over the rows joined by newlines, for a pattern
    that never matches a newline."""
    found = np.zeros(len(text.known), dtype=bool)
    starts = np.cumsum(text.length + 1) - text.length - 1  # each row's first character in the joined text
    at = [m.start() for m in pattern.finditer("\n".join(text.values))]
    found[np.searchsorted(starts, at, side="right") - 1] = True
    return found
