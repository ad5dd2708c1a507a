"""The world's user accounts that are not influencers: niche fans, pod members and bot farms.

Users are numbered in one integer space; every profile field is a hash of the number, so a user looks the
same wherever it appears (as a commenter or in several audience samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtri

from authfit.simulate import vocabulary as vocab
from authfit.simulate.hashed_ids import hash_index, hash_uniform, splitmix64, user_ids
from authfit.simulate.world_settings import ProfileSettings, SimulationSettings
from authfit.simulate.text_assembly import as_series, concat, pick, where


@dataclass(frozen=True)
class UserSpace:
    """Ranges of user numbers: niche communities, then pods, then bot farms."""

    community_size: int
    n_niches: int
    pod_width: int
    n_pods: int
    farm_size: int
    n_farms: int

    @classmethod
    def for_world(cls, settings: SimulationSettings, n_influencers: int) -> UserSpace:
        m, k = settings.mechanisms, len(settings.niches)
        size = max(1000, settings.comments.community_per_influencer * n_influencers // k)
        return cls(size, k, m.pod_size_range[1], k * m.pods_per_niche, m.bot_farm_size, m.bot_farms)

    @property
    def pod_base(self) -> int:
        return self.community_size * self.n_niches

    @property
    def bot_base(self) -> int:
        return self.pod_base + self.pod_width * self.n_pods

    def community(self, niche: np.ndarray, member: np.ndarray) -> np.ndarray:
        return niche.astype(np.int64) * self.community_size + member % self.community_size

    def pod(self, pod_id: np.ndarray, member: np.ndarray) -> np.ndarray:
        return self.pod_base + pod_id.astype(np.int64) * self.pod_width + member

    def bot(self, farm: np.ndarray, member: np.ndarray) -> np.ndarray:
        return self.bot_base + farm.astype(np.int64) * self.farm_size + member % self.farm_size

    def is_bot(self, numbers: np.ndarray) -> np.ndarray:
        return np.asarray(numbers) >= self.bot_base


def fan_numbers(space: UserSpace, influencer: np.ndarray, niche: np.ndarray,
                fan_rank: np.ndarray) -> np.ndarray:
    """The fan_rank-th regular commenter of an influencer, a member of its niche's community."""
    key = splitmix64(influencer.astype(np.uint64) * np.uint64(1_000_003) + fan_rank.astype(np.uint64))
    return space.community(niche, (key % np.uint64(space.community_size)).astype(np.int64))


def _keys(numbers: np.ndarray, seed: int) -> np.ndarray:
    return np.asarray(numbers, dtype=np.uint64) ^ splitmix64(np.array([seed + 7], dtype=np.uint64))


def usernames(numbers: np.ndarray, fake: np.ndarray, seed: int, p: ProfileSettings) -> pa.Array:
    """Handles: name + separator + surname, digits more often (and longer) for fake accounts."""
    keys = _keys(numbers, seed)
    first = pick(vocab.FIRST_NAMES, hash_index(keys, 1, len(vocab.FIRST_NAMES)))
    last = pc.replace_substring(pick(vocab.LAST_NAMES, hash_index(keys, 2, len(vocab.LAST_NAMES))), " ", "")
    sep = pick(("", ".", "_", ""), hash_index(keys, 3, 4))
    with_last = hash_uniform(keys, 4) < np.where(fake, 0.4, 0.7)
    digit_p = np.where(fake, p.fake_digits_prob, p.real_digits_prob)
    width = np.where(fake, 3 + hash_index(keys, 5, 5), 1 + hash_index(keys, 5, 3))
    digits = (hash_uniform(keys, 6) * 10.0 ** width).astype(np.int64)
    digit_text = pc.cast(pa.array(digits), pa.string())
    body = concat(first, where(with_last, concat(sep, last), ""))
    return concat(body, where(hash_uniform(keys, 7) < digit_p, digit_text, ""))


def _lognormal(keys: np.ndarray, salt: int, params: np.ndarray) -> np.ndarray:
    z = ndtri(np.clip(hash_uniform(keys, salt), 1e-9, 1 - 1e-9))
    return np.round(np.exp(params[:, 0] + params[:, 1] * z))


def _params(fake: np.ndarray, real: tuple[float, float], bad: tuple[float, float]) -> np.ndarray:
    """(n, 2) lognormal parameters, the fake ones where `fake`."""
    return np.where(fake[:, None], np.array(bad)[None, :], np.array(real)[None, :])


def _flag(keys: np.ndarray, salt: int, fake: np.ndarray, real_p: float, fake_p: float) -> np.ndarray:
    return (hash_uniform(keys, salt) < np.where(fake, fake_p, real_p)).astype(np.int8)


def _names_and_bios(keys: np.ndarray, fake: np.ndarray, p: ProfileSettings) -> dict[str, pa.Array]:
    first = pc.utf8_capitalize(pick(vocab.FIRST_NAMES, hash_index(keys, 1, len(vocab.FIRST_NAMES))))
    last = pc.utf8_title(pick(vocab.LAST_NAMES, hash_index(keys, 2, len(vocab.LAST_NAMES))))
    full = where(fake, first, concat(first, " ", last))
    has_name = hash_uniform(keys, 20) < np.where(fake, p.fake_full_name_prob, p.real_full_name_prob)
    real_bio = pick(vocab.FOLLOWER_BIOS, hash_index(keys, 21, len(vocab.FOLLOWER_BIOS)))
    fake_bio = pick(vocab.FAKE_BIOS, hash_index(keys, 22, len(vocab.FAKE_BIOS)))
    has_bio = hash_uniform(keys, 23) < np.where(fake, p.fake_bio_prob, p.real_bio_prob)
    null = pa.nulls(keys.size, pa.string())
    return {"full_name": where(has_name, full, null),
            "biography": where(has_bio, where(fake, fake_bio, real_bio), null)}


def user_profiles(numbers: np.ndarray, space: UserSpace, seed: int,
                  settings: SimulationSettings) -> pd.DataFrame:
    """Profile columns of the contract (PROFILE_COLUMNS) for these users, plus `follower_id`."""
    p = settings.profiles
    keys, bot = _keys(numbers, seed), space.is_bot(numbers)
    # what the profile shows, not what the account is: some bots pass as people, some people look like bots
    fake = np.where(bot, hash_uniform(keys, 40) >= p.fake_real_looking_share,
                    hash_uniform(keys, 40) < p.real_fake_looking_share)
    texts = _names_and_bios(keys, fake, p)
    frame = pd.DataFrame({
        "follower_id": as_series(user_ids(numbers, seed)),
        "username": as_series(usernames(numbers, fake, seed, p)),
        "full_name": as_series(texts["full_name"]),
        "platform": settings.platform,
        "follower_count": _lognormal(keys, 30, _params(fake, p.real_followers_log, p.fake_followers_log)),
        "following_count": np.minimum(
            _lognormal(keys, 31, _params(fake, p.real_following_log, p.fake_following_log)), p.max_following),
        "media_count": _lognormal(keys, 32, _params(fake, p.real_media_log, p.fake_media_log)),
        "biography": as_series(texts["biography"]),
        "has_profile_pic": _flag(keys, 33, fake, p.real_pic_prob, p.fake_pic_prob),
        "is_private": _flag(keys, 34, fake, p.real_private_prob, p.fake_private_prob),
        "is_verified": _flag(keys, 35, fake, 0.002, 0.0),
        "has_external_url": _flag(keys, 36, fake, p.real_url_prob, p.fake_url_prob),
    })
    frame["platform"] = frame["platform"].astype("str")
    return frame
