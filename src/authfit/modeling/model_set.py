"""The four models authfit trains as one set, by the names their bundles, registry entries and settings use.

Training writes them, scoring and the service load them; both take the names from here, so neither
imports the other."""

from __future__ import annotations

ACCOUNT_MODEL = "account-authenticity"
COMMENT_MODEL = "comment-authenticity"
FAKE_ENGAGEMENT_MODEL = "fake-engagement"
CONVERSION_MODEL = "campaign-conversion"
MODEL_NAMES = (ACCOUNT_MODEL, COMMENT_MODEL, FAKE_ENGAGEMENT_MODEL, CONVERSION_MODEL)
