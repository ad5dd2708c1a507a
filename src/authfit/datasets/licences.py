"""Licence and citation of each labelled source, as its data set's SOURCE.txt states them: for model cards,
and to decide which sources may train the models shipped with authfit (`redistributable`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLicence:
    source: str  # the labelled source name (authfit.datasets.labelled_accounts / labelled_comments)
    dataset: str  # the folder under $AUTHFIT_DATASETS
    licence: str
    citation: str
    url: str
    redistributable: bool  # may a model trained on it be shared in an open-source project


_CRESCI = ("Cresci, Di Pietro, Petrocchi, Spognardi, Tesconi (2015), \"Fame for sale: Efficient detection of "
           "fake Twitter followers\", Decision Support Systems 80:56-71")
_AKYON = ("Akyon & Kalfaoglu (2019), \"Instagram Fake and Automated Account Detection\", ASYU 2019, "
          "arXiv:1910.03090")
LICENCES: dict[str, SourceLicence] = {s.source: s for s in (
    SourceLicence("srf2017", "srf2017-labelled-followers", "CC BY-SA 4.0",
                  "SRF Data (2017), \"Identifying a Large Number of Fake Followers on Instagram: A Statistical "
                  "Learning Approach\"", "https://github.com/srfdata/2017-10-instagram-influencers", True),
    SourceLicence("uci-youtube-spam", "uci-youtube-spam", "CC BY 4.0",
                  "Alberto, Lochter, Almeida (2015), \"TubeSpam: Comment Spam Filtering on YouTube\", IEEE ICMLA 2015",
                  "https://archive.ics.uci.edu/dataset/380/youtube+spam+collection", True),
    SourceLicence("scamspot-ig-comments", "scamspot-ig-comments", "MIT, (c) 2023 Stefan Erben",
                  "ScamSpot project (Stefan Erben, 2023), Instagram spam/scam comments",
                  "https://github.com/ScamSpot/scamspot_ig-comment-scraper", True),
    # non-commercial only: a model trained on it cannot ship with a project anyone may use commercially
    SourceLicence("instafake-fake", "instafake-v1", "CC BY-NC 4.0", _AKYON,
                  "https://github.com/fcakyon/instafake-dataset", False),
    SourceLicence("instafake-automated", "instafake-automated-derived", "none stated (source: CC BY-NC 4.0)",
                  _AKYON, "https://github.com/alberto-paparella/InstagramFakeAccountDetection", False),
    SourceLicence("kaggle", "kaggle-insta-fake-spammer", "none stated",
                  "Kaggle \"Instagram fake spammer genuine accounts\" (Bardiya Bakhshandeh, 2019)",
                  "https://github.com/eliottvalette/MLers_IN_Paris", False),
    SourceLicence("purba2020", "purba2020-ijece-instagram", "none stated",
                  "Purba, Asirvatham, Murugesan (2020), \"Classification of Instagram fake users using supervised "
                  "machine learning algorithms\", IJECE 10(3):2763", "https://github.com/ArthurCisotto/P2_CDados",
                  False),
    SourceLicence("cresci2015", "cresci2015-mib-E13-INT", "research use with citation", _CRESCI,
                  "http://mib.projects.iit.cnr.it/dataset.html", False),
)}


def licence_of(source: str) -> SourceLicence | None:
    """The licence entry of a source, or None for a source this table does not know."""
    return LICENCES.get(source)
