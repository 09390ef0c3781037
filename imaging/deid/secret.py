"""The de-identification secret and what is derived from it.

Dates are shifted by a whole number of days per subject and UIDs are replaced by values derived
from the secret (PS3.15 Annex E, E.3.6 and E.3.9): the same secret gives the same shift and the
same UIDs on a re-run and on a later visit of the same subject, and nobody without it can undo
them. The secret stays with the core lab; the sponsor never receives it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from imaging.errors import SpineEndpointsError
from imaging.text_input import read_text

SECRET_ENVIRONMENT = "SPINE_ENDPOINTS_DEID_SECRET"
MIN_SECRET = 16
"""Shortest secret accepted, in characters."""
SHIFT_DAYS = (365, 3 * 365)
"""Dates move back by between 365 and 1,094 days (whole days: visit intervals stay exact)."""
_MAKE_ONE = (
    "Make one and keep it with the core lab, never with the data: "
    "python -c 'import secrets; print(secrets.token_hex(32))' > deid.key"
)


def load_secret(path: str | Path | None) -> str:
    """The secret from ``path`` (its first line), else from ``$SPINE_ENDPOINTS_DEID_SECRET``."""
    if path is not None:
        lines = read_text(path, "de-identification secret", "toml").strip().splitlines()
        secret, origin = (lines[0].strip() if lines else ""), str(path)
    else:
        secret, origin = os.environ.get(SECRET_ENVIRONMENT, "").strip(), f"${SECRET_ENVIRONMENT}"
        if not secret:
            raise SpineEndpointsError(
                f"no de-identification secret: give --secret-file FILE or set {SECRET_ENVIRONMENT}",
                fix=_MAKE_ONE,
            )
    if len(secret) < MIN_SECRET:
        raise SpineEndpointsError(
            f"the de-identification secret is {len(secret)} characters, fewer than {MIN_SECRET}",
            path=origin,
            fix=_MAKE_ONE,
        )
    return secret


def date_shift_days(secret: str, subject_id: str) -> int:
    """Days (negative) every date of ``subject_id`` moves by: the same for all their studies."""
    digest = hmac.new(secret.encode(), b"date-shift\0" + subject_id.encode(), hashlib.sha256)
    low, high = SHIFT_DAYS
    return -(low + int.from_bytes(digest.digest()[:8], "big") % (high - low))


def uid_seed(secret: str) -> str:
    """The seed given to dicognito, whose UIDs are then a function of it and the original UID."""
    return hmac.new(secret.encode(), b"uid-seed", hashlib.sha256).hexdigest()
