"""The reader of a request, as one `knowledge.access.Access` (issue #14): what each
interface knows of who asks becomes the groups whose documents they may read.

- a key (REST API, the command line's NARA_CLI_KEY): the groups of its record (`nara
  keys create NAME --group G`); a key of NARA_API_KEYS has only "alla"; an admin key
  reads every document;
- a chat user signed in with OpenID Connect: the groups of the token's claim
  (NARA_OIDC_GROUP_CLAIM); an administrator (NARA_OIDC_ADMIN_GROUPS) reads every
  document; signed in with a key as password: the key's, as above; in an open chat
  only "alla" (ui/chat/identity.py);
- a Teams user: the groups NARA_TEAMS_GROUPS maps their tenant, and tenant and Entra
  object id, to; without a mapping only "alla".
"""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.access import PUBLIC, Access
from nara.errors import ConfigError
from nara.settings import Settings
from ui.app.keys import Identity, KeyRing


def of_identity(identity: Identity | None) -> Access:
    """What a key's holder reads: every document with an admin key, else its groups."""
    if identity is None:
        return PUBLIC
    return Access.everything() if identity.admin else Access.of(identity.groups)


def of_user(groups: Iterable[str], admin: bool) -> Access:
    """What a signed-in chat user reads (groups from the token's claim)."""
    return Access.everything() if admin else Access.of(groups)


def of_teams_user(settings: Settings, tenant: str | None, object_id: str | None) -> Access:
    """The groups NARA_TEAMS_GROUPS gives a Teams user: those of their tenant and those
    of '<tenant>/<object id>' (ids compared in lower case, as Entra's are GUIDs)."""
    mapping = {k.strip().lower(): v for k, v in settings.teams.groups.items()}
    tenant_id = (tenant or "").strip().lower()
    groups: list[str] = []
    if tenant_id:
        groups += mapping.get(tenant_id, [])
        if object_id:
            groups += mapping.get(f"{tenant_id}/{object_id.strip().lower()}", [])
    return Access.of(groups)


def of_cli(settings: Settings, keys: KeyRing) -> Access:
    """The command line's reader: the key of NARA_CLI_KEY, else every document."""
    if settings.cli_key is None:
        return Access.everything()
    identity = keys.identify(settings.cli_key.get_secret_value())
    if identity is None:
        raise ConfigError(
            "NARA_CLI_KEY är ingen giltig nyckel (okänd eller återkallad).",
            "Ta bort NARA_CLI_KEY, eller sätt den till en nyckel från `nara keys create`.",
        )
    return of_identity(identity)
