"""A region name checked against the shape each cloud gives its region names.

Each cloud spells regions its own way, and a name from another cloud is the usual
mistake (``eu-west-1`` on Google Cloud, which deploys nowhere and fails only when
``deploy.sh`` runs). The shapes, and the prefixes of Google's, are from each cloud's list
of regions (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html;
learn.microsoft.com/azure/reliability/regions-list; cloud.google.com/functions/docs/locations,
all read 2026-12). A shape check, not a list: a region opened next month still passes.
"""

from __future__ import annotations

import re

from polyfn.core.errors import ConfigError

__all__ = ["check_region"]

_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    # us-east-1, eu-west-1, ap-southeast-5, us-gov-west-1, il-central-1
    "aws": (re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9]$"), "eu-west-1, us-east-1"),
    # westeurope, eastus2, swedencentral: lower-case letters and digits, no hyphen
    "azure": (re.compile(r"^[a-z]+[0-9]?$"), "westeurope, eastus2"),
    # europe-west1, us-central1, northamerica-northeast2, me-central2
    "gcp": (
        re.compile(
            r"^(africa|asia|australia|europe|me|northamerica|southamerica|us)-[a-z]+[1-9][0-9]?$"
        ),
        "europe-west1, us-central1",
    ),
}
_OTHERS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}


def check_region(cloud: str, region: str) -> str:
    """``region`` if it has the shape of ``cloud``'s region names; else a ``ConfigError``
    that says which cloud's name it looks like."""
    shape, examples = _SHAPES[cloud]
    if shape.match(region):
        return region
    looks_like = [
        _OTHERS[c] for c, (other, _) in _SHAPES.items() if c != cloud and other.match(region)
    ]
    hint = f" (it is spelt like a region of {looks_like[0]})" if looks_like else ""
    raise ConfigError(
        f"--region {region!r} is not a region name of {_OTHERS[cloud]}{hint}; "
        f"its regions are spelt like {examples}"
    )
