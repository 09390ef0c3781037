"""The store's people and their roles: who may read, adjudicate, correct, lock and relabel.

A store without people works as before (one user; ``--actor`` names who acts). Once a manager has
added people (``spine-endpoints people add``), who acts is the session's identity and nothing
else: the operating-system user on SQLite (:func:`login_name`, from the password database, not
from ``$USER`` or ``$SPINE_ENDPOINTS_ACTOR``), the database role (``current_user``) on
PostgreSQL. Then (:func:`authorize`):

- every actor must be an active person, acting as themselves;
- a reader starts and corrects only their own reads; an adjudicator may also correct another
  reader's read (with the correction's reason); a manager may also start reads for others
  (importing readers' files, paper forms), lock visits, relabel and manage people.

On one SQLite workstation this stops acting as someone else through the tool, not a person who
can write the database file; PostgreSQL enforces it for each person's database role
(:func:`create_db_role`, :mod:`imaging.store.migrations.access`). See docs/store-security.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.audit import default_actor, login_name, record
from imaging.store.identifiers import check_value
from imaging.store.migrations.access import DB_GROUPS
from imaging.store.schema import Person, utc_now


class PersonRole(StrEnum):
    """What a person may do in the store (``people.role``)."""

    READER = "reader"
    ADJUDICATOR = "adjudicator"
    MANAGER = "manager"


MAY_CORRECT_OTHERS = (PersonRole.ADJUDICATOR, PersonRole.MANAGER)
ADD_PEOPLE_FIX = (
    "A manager adds people: spine-endpoints people add LOGIN --name 'Full Name' --role reader."
)


def identity(session: Session) -> str:
    """Who this session acts as: ``current_user`` on PostgreSQL, else :func:`login_name`."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.execute(text("SELECT current_user")).scalar_one())
    return login_name()


def acting_login(session: Session) -> str:
    """Who acts when a command is given no ``--actor``: ``$SPINE_ENDPOINTS_ACTOR``, else the
    session's :func:`identity` (on PostgreSQL the database role it logs in as, so a reader
    connecting as their own role imports as themselves), else, in a store without people, the
    login name (:func:`~imaging.store.audit.default_actor`)."""
    if people_registered(session):
        return os.environ.get("SPINE_ENDPOINTS_ACTOR") or identity(session)
    return default_actor()


def secured(session: Session) -> bool:
    """True when the store has the tables of revision 0007 (people, signatures, visit locks);
    only code writing a store kept at an older revision sees False."""
    if "spine_secured" not in session.info:
        session.info["spine_secured"] = inspect(session.connection()).has_table("people")
    return bool(session.info["spine_secured"])


def people_registered(session: Session) -> bool:
    if not secured(session):
        return False
    return session.scalars(select(Person.id).limit(1)).first() is not None


def person(session: Session, login: str) -> Person | None:
    return session.scalars(select(Person).where(Person.login == login)).first()


def all_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.login)))


def display_name(session: Session, login: str) -> str:
    """The printed name of ``login`` for a signature; the login itself when not registered."""
    known = person(session, login)
    return known.name if known is not None else login


def authorize(
    session: Session,
    actor: str,
    what: str,
    *,
    reader: str | None = None,
    roles: Iterable[PersonRole] = (),
    others: Iterable[PersonRole] = (PersonRole.MANAGER,),
) -> Person | None:
    """Refuse ``what`` unless ``actor`` may do it (see the module docstring); the person, or None
    in a store without people. ``roles``: the roles allowed; ``reader``: whose read it is, and
    ``others`` the roles that may act on another reader's read."""
    if not people_registered(session):
        return None
    who = identity(session)
    if actor != who:
        raise StoreError(
            f"{what}: refused to act as {actor!r}: you are {who!r}",
            fix="In a store with people, who acts is your login (the database role on "
            "PostgreSQL); --actor and $SPINE_ENDPOINTS_ACTOR cannot choose another.",
        )
    acting = person(session, who)
    if acting is None or not acting.active:
        state = "is not one of the store's people" if acting is None else "is deactivated"
        raise StoreError(f"{what}: {who} {state}", fix=ADD_PEOPLE_FIX)
    allowed = tuple(roles)
    if allowed and acting.role not in allowed:
        raise StoreError(
            f"{what}: {who} is a {acting.role}; only a {' or '.join(r.value for r in allowed)} may",
            fix="Ask a manager.",
        )
    if reader is not None and reader != who:
        may = tuple(others)
        if acting.role not in may:
            raise StoreError(
                f"{what}: the read is {reader}'s; {who} is a {acting.role} and acts on their "
                "own reads only",
                fix=f"Only a {' or '.join(r.value for r in may)} acts on another reader's read.",
            )
    return acting


def add_person(
    session: Session, login: str, name: str, role: PersonRole | str, *, actor: str
) -> Person:
    """Register ``login`` (printed ``name``, ``role``); audited. The first person of a store must
    be a manager and the one adding (so that someone can add the others)."""
    role = _role(role)
    check_value(login, Person.login)
    check_value(name, Person.name)
    if not name.strip():
        raise StoreError(f"person {login}: a name is needed (a signature shows it)")
    if person(session, login) is not None:
        raise StoreError(f"{login} is already one of the store's people", fix="people role")
    if not people_registered(session):
        who = identity(session)
        if role is not PersonRole.MANAGER or login != who:
            raise StoreError(
                f"the store has no people yet: the first must be you ({who}), as a manager",
                fix=f"spine-endpoints people add {who} --name 'Your Name' --role manager",
            )
    else:
        authorize(session, actor, f"add {login}", roles=(PersonRole.MANAGER,))
    added = Person(login=login, name=name.strip(), role=role.value, active=True,
                   created_at=utc_now())  # fmt: skip
    session.add(added)
    session.flush()
    record(session, actor=actor, action="created", entity="person", entity_pk=added.id,
           field=login, new_value=f"{added.name}, {role.value}")  # fmt: skip
    return added


def change_person(
    session: Session,
    login: str,
    *,
    actor: str,
    reason: str,
    role: PersonRole | str | None = None,
    active: bool | None = None,
) -> Person:
    """Change a person's role or deactivate/reactivate them (a manager, with a reason);
    audited. People are never deleted: their reads and signatures name them."""
    if not reason.strip():
        raise StoreError(f"changing {login} needs a reason")
    authorize(session, actor, f"change {login}", roles=(PersonRole.MANAGER,))
    changed = person(session, login)
    if changed is None:
        raise StoreError(f"{login} is not one of the store's people", fix=ADD_PEOPLE_FIX)
    for field, new in (("role", None if role is None else _role(role).value), ("active", active)):
        old = getattr(changed, field)
        if new is None or new == old:
            continue
        setattr(changed, field, new)
        record(
            session, actor=actor, action="changed", entity="person", entity_pk=changed.id,
            field=f"{login} {field}", old_value=str(old), new_value=str(new), reason=reason,
        )  # fmt: skip
    session.flush()
    return changed


def create_db_role(session: Session, login: str, *, actor: str) -> str:
    """PostgreSQL only: a login role for ``login`` (a registered person), member of the group of
    its role (``spine_reader`` ...); returns the statement run. Audited."""
    if session.get_bind().dialect.name != "postgresql":
        raise StoreError(
            "database roles are for PostgreSQL stores; on SQLite the reader is the login",
            fix="Leave out --db-role.",
        )
    authorize(session, actor, f"create the database role of {login}", roles=(PersonRole.MANAGER,))
    known = person(session, login)
    if known is None:
        raise StoreError(f"{login} is not one of the store's people", fix=ADD_PEOPLE_FIX)
    quoted = session.get_bind().dialect.identifier_preparer.quote(login)
    group = DB_GROUPS[known.role]
    exists = session.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :login"), {"login": login}
    ).first()
    statement = f"CREATE ROLE {quoted} LOGIN IN ROLE {group}"
    if exists:
        statement = f"GRANT {group} TO {quoted}"
    session.execute(text(statement))
    record(session, actor=actor, action="created", entity="person", entity_pk=known.id,
           field=f"{login} database role", new_value=group)  # fmt: skip
    return statement


def _role(role: PersonRole | str) -> PersonRole:
    try:
        return PersonRole(role)
    except ValueError:
        raise StoreError(
            f"unknown role {role!r}", fix=f"Roles: {', '.join(r.value for r in PersonRole)}."
        ) from None
