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

import numpy as np
import pandas as pd
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
    flags = pd.DataFrame({f: _numeric(profiles, f) for f in _FLAGS}, index=profiles.index)
    parts = [_count_features(profiles), _username_features(profiles), _name_features(profiles),
             _bio_features(profiles), flags]
    out = pd.concat(parts, axis=1)
    for name in PASSTHROUGH_FEATURES:
        if name in profiles:
            out[name] = out[name].fillna(pd.to_numeric(profiles[name], errors="coerce"))
    out = _derive_shares_from_passthrough(out)
    return out[list(ACCOUNT_FEATURES)].astype("float64").replace([np.inf, -np.inf], np.nan)


def _numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[name], errors="coerce").astype("float64")


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    return frame[name].astype("str")


def _count_features(profiles: pd.DataFrame) -> pd.DataFrame:
    followers = _numeric(profiles, "follower_count").clip(lower=0)
    following = _numeric(profiles, "following_count").clip(lower=0)
    media = _numeric(profiles, "media_count").clip(lower=0)
    return pd.DataFrame({
        "log_followers": np.log1p(followers),
        "log_following": np.log1p(following),
        "log_media": np.log1p(media),
        "follow_ratio_log": np.log1p(following) - np.log1p(followers),
        "followers_per_post_log": np.log1p(followers) - np.log1p(media),
        "following_over_1500": (following > MASS_FOLLOWING).astype("float64").where(following.notna()),
    }, index=profiles.index)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype("float64")


def _username_features(profiles: pd.DataFrame) -> pd.DataFrame:
    name = _text(profiles, "username").str.strip().str.lstrip("@")
    length = name.str.len().astype("float64")
    digits = name.str.count(r"\d").astype("float64")
    return pd.DataFrame({
        "username_length": length,
        "username_digit_count": digits,
        "username_digit_share": _share(digits, length),
        "username_nonalnum_share": _share(name.str.count(r"[^0-9A-Za-z]").astype("float64"), length),
        "username_trailing_digits": name.str.extract(r"(\d*)$", expand=False).str.len().astype("float64"),
        "username_vowel_share": _share(name.str.lower().str.count(r"[aeiouy]").astype("float64"), length),
        "username_max_consonant_run": _longest_run(name.str.lower(), "bcdfghjklmnpqrstvwxz"),
        # lower() can lengthen a name (U+0130 becomes two characters), so the share is capped at 1
        "username_distinct_char_share": _share(_distinct_chars(name), length).clip(upper=1.0),
        "username_entropy": _char_entropy(name),
    }, index=profiles.index)


def _char_entropy(text: pd.Series) -> pd.Series:
    """Shannon entropy in bits of each row's character frequencies: 0 for one repeated character, NaN when
    missing or empty. Random strings ("xk7q2m") score high, names and words lower."""
    points, row = _codepoints(text.fillna("").tolist())
    length = np.bincount(row, minlength=len(text)).astype("float64")
    keys, counts = _sorted_unique(row.astype(np.int64) * 0x110000 + points)
    owner = keys // 0x110000
    p = counts / length[owner]
    entropy = -np.bincount(owner, p * np.log2(p), minlength=len(text))
    return pd.Series(entropy + 0.0, index=text.index).where(text.notna().to_numpy(dtype=bool) & (length > 0))


def _longest_run(text: pd.Series, letters: str) -> pd.Series:
    """Length of the longest run of characters from `letters` per row: 0 when none, NaN when missing.

    Works on all rows' code points at once; a run's length at each position is its distance from the
    last position that breaks it (a character outside `letters`, or the start of the row)."""
    points, row = _codepoints(text.fillna("").tolist())
    if points.size == 0:
        return pd.Series(0.0, index=text.index).where(text.notna())
    inside = np.isin(points, np.frombuffer(letters.encode("utf-32-le"), dtype=np.uint32))
    position = np.arange(points.size)
    row_start = np.r_[True, row[1:] != row[:-1]]
    breaks = np.where(~inside, position, np.where(row_start, position - 1, -1))
    run = np.where(inside, position - np.maximum.accumulate(breaks), 0)
    longest = np.zeros(len(text))
    np.maximum.at(longest, row, run)
    return pd.Series(longest, index=text.index).where(text.notna())


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


@functools.cache
def _space_table() -> frozenset[int]:
    """Code points Python's `re` calls whitespace (`\\s`), as sklearn's analyzers collapse them."""
    # One regex scan over a string of every code point: a Python loop over 1.1M of them took ~1.4 s, paid
    # again by every process that unpickles a builder (the streamed scoring children).
    points = np.arange(0x110000, dtype=np.uint32)
    points = points[(points < 0xD800) | (points > 0xDFFF)]
    every = points.tobytes().decode("utf-32-le")
    return frozenset(int(points[m.start()]) for m in _WHITESPACE.finditer(every))


def _collapse_whitespace(points: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's char analyzer first replaces each run of 2+ whitespace characters with one space."""
    space = np.isin(points, np.fromiter(_space_table(), dtype=np.uint32))
    same_row = np.r_[False, row[1:] == row[:-1]]
    continues = space & np.r_[False, space[:-1]] & same_row
    opens_long_run = space & ~continues & np.r_[continues[1:], False]
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


def _distinct_chars(text: pd.Series) -> pd.Series:
    """Distinct characters per row, exactly as binary hashed character counts (lower case) had them."""
    if text.empty:
        return pd.Series(np.nan, index=text.index, dtype="float64")
    points, row = _collapse_whitespace(*_python_lower_codepoints(text.fillna("").tolist()))
    keys = row * _N_HASHED + _hash_buckets(points.astype(np.int64), 1, _N_HASHED)
    counts = np.bincount(_sorted_unique(keys)[0] // _N_HASHED, minlength=len(text)).astype("float64")
    return pd.Series(counts, index=text.index).where(text.notna())


def _alnum_lower(text: pd.Series) -> pd.Series:
    return text.str.lower().str.replace(r"[\W_]+", "", regex=True)


def _bigram_counts(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (row, hashed bigram) keys, sorted, and how often each occurs."""
    points, row = _collapse_whitespace(*_codepoints(text.fillna("").tolist()))
    pair = row[1:] == row[:-1]
    bigrams = points[:-1][pair].astype(np.int64) * 0x110000 + points[1:][pair]
    keys = row[:-1][pair] * _N_HASHED + _hash_buckets(bigrams, 2, _N_HASHED)
    return _sorted_unique(keys)


def _sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys in order and their counts (sort based: numpy's hashed unique is slower here)."""
    ordered = np.sort(keys)
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else np.zeros(0, int)
    return ordered[first], np.diff(np.r_[first, ordered.size])


def _bigram_cosine(left: pd.Series, right: pd.Series) -> pd.Series:
    """Row-wise cosine of character-bigram counts hashed as sklearn's HashingVectorizer (char (2, 2),
    2**18 columns, l2 norm) hashes them, computed on all rows at once."""
    if left.empty:
        return pd.Series(np.nan, index=left.index, dtype="float64")
    n = len(left)
    (left_keys, left_counts), (right_keys, right_counts) = _bigram_counts(left), _bigram_counts(right)
    left_norm = np.sqrt(np.bincount(left_keys // _N_HASHED, left_counts.astype("float64") ** 2, minlength=n))
    right_norm = np.sqrt(np.bincount(right_keys // _N_HASHED, right_counts.astype("float64") ** 2, minlength=n))
    _, li, ri = np.intersect1d(left_keys, right_keys, assume_unique=True, return_indices=True)
    rows = left_keys[li] // _N_HASHED
    products = (left_counts[li] / left_norm[rows]) * (right_counts[ri] / right_norm[rows])
    cosine = np.bincount(rows, products, minlength=n).astype("float64")  # int64 when nothing matches
    known = (left.str.len() >= 2) & (right.str.len() >= 2)
    return pd.Series(cosine, index=left.index).where(known.fillna(False).to_numpy(dtype=bool))


def _name_features(profiles: pd.DataFrame) -> pd.DataFrame:
    name = _text(profiles, "full_name").str.strip()
    length = name.str.len().astype("float64")
    norm_name, norm_user = _alnum_lower(name), _alnum_lower(_text(profiles, "username"))
    both = (name.notna() & norm_user.notna()).to_numpy(dtype=bool)
    equal = (norm_name == norm_user).astype("float64")
    return pd.DataFrame({
        "full_name_length": length,
        "full_name_words": name.str.count(r"\S+").astype("float64"),
        "full_name_digit_share": _share(name.str.count(r"\d").astype("float64"), length),
        "name_equals_username": equal.where(both),
        "name_username_similarity": _bigram_cosine(norm_name, norm_user),
    }, index=profiles.index)


def _bio_features(profiles: pd.DataFrame) -> pd.DataFrame:
    bio = _text(profiles, "biography")
    known = bio.notna().to_numpy(dtype=bool)

    def has(pattern: str) -> pd.Series:
        return bio.str.contains(pattern, regex=True).astype("float64").where(known)

    return pd.DataFrame({
        "bio_length": bio.str.len().astype("float64"),
        "bio_has_url": has(_URL),
        "bio_has_emoji": has(_EMOJI),
        "bio_has_hashtag": has(r"#\w"),
        "bio_has_mention": has(r"@\w"),
    }, index=profiles.index)


def _derive_shares_from_passthrough(features: pd.DataFrame) -> pd.DataFrame:
    """Sources with a username's length and digit count but not the username still get the share."""
    out = features.copy()
    out["username_digit_share"] = out["username_digit_share"].fillna(
        _share(out["username_digit_count"], out["username_length"]))
    return out
