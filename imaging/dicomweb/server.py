"""A DICOMweb server (PS3.18) to talk to: its URL checked, credentials from the environment, and
every failure turned into one line naming the server, never a credential.

Credentials are read from the environment only, so that they never reach a command line, a shell
history, a log or an output file:

- ``SPINE_ENDPOINTS_DICOMWEB_TOKEN``: sent as ``Authorization: Bearer <token>``;
- ``SPINE_ENDPOINTS_DICOMWEB_USER`` and ``SPINE_ENDPOINTS_DICOMWEB_PASSWORD``: HTTP basic auth.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from imaging.errors import DicomwebError

if TYPE_CHECKING:
    import requests
    from dicomweb_client import DICOMwebClient

TOKEN_VARIABLE = "SPINE_ENDPOINTS_DICOMWEB_TOKEN"
USER_VARIABLE = "SPINE_ENDPOINTS_DICOMWEB_USER"
PASSWORD_VARIABLE = "SPINE_ENDPOINTS_DICOMWEB_PASSWORD"
TIMEOUT_S = 30.0
"""Seconds to connect and between bytes of an answer before a request is given up."""


@dataclass(frozen=True)
class Server:
    """A DICOMweb service: ``url`` is safe to show (it never carries credentials); ``client`` is a
    :class:`dicomweb_client.DICOMwebClient` whose session holds them."""

    url: str
    client: DICOMwebClient
    session: requests.Session

    def close(self) -> None:
        """Close the connections kept open to the server."""
        self.session.close()


def public_url(url: str) -> str:
    """``url`` checked for use as a DICOMweb service root (``http`` or ``https`` with a host);
    refused when it carries ``user:password@`` (the message shows it without them)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DicomwebError(
            f"--dicomweb {_without_credentials(url)!r} is not an http(s) URL with a host",
            fix="Give the service root, e.g. https://pacs.example.org/dicom-web",
        )
    if parts.username is not None or parts.password is not None:
        raise DicomwebError(
            f"--dicomweb {_without_credentials(url)} was given with credentials in the URL "
            "(refused: they would show in process lists, shell history and logs)",
            fix=f"Give the URL without them and set {USER_VARIABLE} and {PASSWORD_VARIABLE} "
            f"(or {TOKEN_VARIABLE}) in the environment",
        )
    if parts.query or parts.fragment:
        raise DicomwebError(
            f"--dicomweb {_without_credentials(url)} has a query or fragment",
            fix="Give the service root only; a token goes in " + TOKEN_VARIABLE,
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _without_credentials(url: str) -> str:
    """``url`` with any ``user:password@``, query and fragment removed (for messages)."""
    parts = urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def connect(url: str, environ: Mapping[str, str] | None = None) -> Server:
    """A :class:`Server` for ``url`` authenticated from ``environ`` (``os.environ`` by default):
    a bearer token, basic auth, or none. Nothing is sent until the first request."""
    import requests
    from dicomweb_client import DICOMwebClient

    shown = public_url(url)
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_VARIABLE, "")
    user = env.get(USER_VARIABLE, "")
    password = env.get(PASSWORD_VARIABLE, "")
    if token and (user or password):
        raise DicomwebError(
            f"both {TOKEN_VARIABLE} and {USER_VARIABLE}/{PASSWORD_VARIABLE} are set for {shown}",
            fix="Set one way of signing in only",
        )
    if bool(user) != bool(password):
        missing = PASSWORD_VARIABLE if user else USER_VARIABLE
        raise DicomwebError(
            f"{missing} is not set (basic auth to {shown} needs both {USER_VARIABLE} and "
            f"{PASSWORD_VARIABLE})",
            fix=f"Set {missing} in the environment",
        )
    session = requests.Session()
    session.trust_env = False  # no ~/.netrc or proxy settings replacing the credentials given
    if user:
        session.auth = (user, password)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    client = DICOMwebClient(shown, session=session, headers=headers, timeout=TIMEOUT_S)
    client.set_http_retry_params(retry=False)  # a refusal is reported at once, not retried
    return Server(url=shown, client=client, session=session)


def failure(server: Server, doing: str, error: BaseException) -> DicomwebError:
    """One line saying why ``doing`` (e.g. ``"retrieving study 1.2.3"``) failed on ``server``.

    Built from the kind of failure and the HTTP status only: a server's answer or an exception's
    text (which could quote a request) never reaches the message.
    """
    import requests

    where = f"DICOMweb server {server.url}"
    if isinstance(error, requests.HTTPError) and error.response is not None:
        status = error.response.status_code
        reason = error.response.reason or ""
        if status in (401, 403):
            return DicomwebError(
                f"{where} refused {doing}: HTTP {status} {reason}".rstrip(),
                fix=f"Check the credentials in {TOKEN_VARIABLE} or {USER_VARIABLE}/"
                f"{PASSWORD_VARIABLE} and that they may read and store there",
            )
        return DicomwebError(f"{where} failed {doing}: HTTP {status} {reason}".rstrip())
    if isinstance(error, requests.Timeout):
        return DicomwebError(f"{where} did not answer within {TIMEOUT_S:g} s while {doing}")
    if isinstance(error, requests.ConnectionError):
        return DicomwebError(
            f"cannot reach {where} while {doing} (connection refused, no route or name unknown)",
            fix="Check the URL and that the server is running and reachable from here",
        )
    if isinstance(error, requests.RequestException):
        return DicomwebError(f"{where} failed {doing}: {type(error).__name__}")
    return DicomwebError(
        f"{where} did not answer DICOM while {doing} ({type(error).__name__})",
        fix="Check that the URL is the DICOMweb root (e.g. ending in /dicom-web)",
    )
