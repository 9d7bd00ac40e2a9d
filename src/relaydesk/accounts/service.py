"""The rules of accounts, users, logins, web sessions and API tokens."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from relaydesk.accounts.actor import ROLE_RANK, Actor
from relaydesk.accounts.models import Account, ApiToken, LoginAttempt, User, WebSession
from relaydesk.accounts.passwords import MIN_LENGTH, hash_password, verify_password
from relaydesk.accounts.tokens import API_TOKEN_PREFIX, digest, new_secret
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, NotFound, TooManyRequests
from relaydesk.metrics import count_login_failure


def _now() -> datetime:
    return datetime.now(UTC)


def actor_for(
    user: User, *, via: Literal["cookie", "token", "system"] = "cookie", csrf_token: str | None = None
) -> Actor:
    return Actor(
        user_id=user.id,
        account_id=user.account_id,
        role=user.role,
        name=user.name,
        email=user.email,
        via=via,
        csrf_token=csrf_token,
    )


# --- accounts -------------------------------------------------------------------------------


async def create_account(uow: UnitOfWork, name: str) -> Account:
    name = name.strip()
    if not name:
        raise BadInput("An account needs a name.")
    if await find_account_id(uow, name) is not None:
        raise Conflict(f"An account named {name!r} already exists.")
    account = Account(id=uuid.uuid4(), name=name)
    await uow.set_account(account.id)
    uow.add(account)
    await uow.flush()
    return account


async def find_account_id(uow: UnitOfWork, key: str) -> uuid.UUID | None:
    """An account by id or exact name, across accounts (for the admin CLI)."""
    return await uow.scalar(text("SELECT account_id FROM relaydesk_find_account(:k)"), {"k": key.strip()})


async def get_account(uow: UnitOfWork, account_id: uuid.UUID) -> Account:
    account = await uow.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


# --- users ----------------------------------------------------------------------------------


async def find_user_by_email(uow: UnitOfWork, email: str) -> User | None:
    """A live user by email across accounts; scopes the unit of work to their account."""
    found = await uow.rows(
        text("SELECT user_id, account_id FROM relaydesk_find_user_by_email(:e)"), {"e": email.strip()}
    )
    if not found:
        return None
    await uow.set_account(found[0].account_id)
    return await uow.get(User, found[0].user_id)


def _check_new_user(*, email: str, name: str, role: str, password: str | None) -> None:
    if role not in ROLE_RANK:
        raise BadInput(f"Unknown role {role!r}; use one of owner, admin, engineer, viewer.")
    if not name.strip():
        raise BadInput("A user needs a name.")
    if "@" not in email:
        raise BadInput(f"{email!r} is not an email address.")
    if password is not None and len(password) < MIN_LENGTH:
        raise BadInput(f"Passwords need at least {MIN_LENGTH} characters.")


async def add_user(
    uow: UnitOfWork, account_id: uuid.UUID, *, email: str, name: str, role: str, password: str | None
) -> User:
    """Add a user to an account. The unit of work must be scoped to that account."""
    email = email.strip()
    _check_new_user(email=email, name=name, role=role, password=password)
    taken = await uow.scalar(text("SELECT user_id FROM relaydesk_find_user_by_email(:e)"), {"e": email})
    if taken is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(
        id=uuid.uuid4(),
        account_id=account_id,
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    uow.add(user)
    try:
        await uow.flush()
    except IntegrityError as exc:  # two adds racing past the check above
        raise Conflict(f"A user with the email {email} already exists.") from exc
    return user


async def create_user(
    uow: UnitOfWork, actor: Actor, *, email: str, name: str, role: str, password: str | None
) -> User:
    """Add a user to the actor's account.

    An email is unique across the installation (sign-in needs no account picker), so an address
    already used in *another* account cannot be added. Saying so would tell this account's admins
    that the other account exists and who works there. Instead the answer is the one a new user
    gets, and the safe outcome happens: nothing is stored, no one is emailed, the other account's
    user is untouched. The admin will not find the user in their list; that is the price, and it
    says no more than a typo would. An address taken in the admin's own account still answers
    409 "already exists": they can see their own users anyway.
    """
    actor.require("admin", "manage users")
    if role == "owner" and actor.role != "owner":
        raise BadInput("Only an owner can add another owner.")
    found = await uow.rows(
        text("SELECT user_id, account_id FROM relaydesk_find_user_by_email(:e)"), {"e": email.strip()}
    )
    if found and found[0].account_id != actor.account_id:
        _check_new_user(email=email.strip(), name=name, role=role, password=password)
        return User(
            id=uuid.uuid4(),
            account_id=actor.account_id,
            email=email.strip(),
            name=name.strip(),
            role=role,
            email_notifications=True,
            created_at=_now(),
        )  # never added to the unit of work: not stored
    return await add_user(uow, actor.account_id, email=email, name=name, role=role, password=password)


async def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    rows = await uow.all(
        select(User).where(User.account_id == actor.account_id, User.deleted_at.is_(None)).order_by(User.name)
    )
    return list(rows)


async def get_user(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID) -> User:
    user = await uow.get(User, user_id)
    if user is None or user.account_id != actor.account_id or user.deleted_at is not None:
        raise NotFound("No such user in your account.")
    return user


async def delete_user(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID) -> User:
    """Soft delete: the user's steps and sessions keep their author; they can no longer sign in."""
    actor.require("admin", "remove users")
    user = await get_user(uow, actor, user_id)
    if user.id == actor.user_id:
        raise BadInput("You cannot remove yourself.")
    if user.role == "owner" and actor.role != "owner":
        raise BadInput("Only an owner can remove an owner.")
    user.deleted_at = _now()
    await uow.result(delete(WebSession).where(WebSession.user_id == user.id))
    await uow.result(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    await uow.flush()
    return user


# --- login and web sessions ----------------------------------------------------------------


# A locked email still lets an address with (almost) no failures of its own try, slowly: the owner
# signing in from their own desk while someone else guesses from elsewhere is not locked out.
LOCKED_PAIR_TRIES = 2

_COUNT_AND_RECORD = text(
    """
    WITH counts AS (
        SELECT count(*) FILTER (WHERE email = :email) AS by_email,
               count(*) FILTER (WHERE email = :email AND ip = :ip) AS by_pair,
               count(*) FILTER (WHERE ip = :ip) AS by_ip
        FROM login_attempts
        WHERE (email = :email OR ip = :ip) AND at > :since
    ), recorded AS (
        INSERT INTO login_attempts (email, ip)
        SELECT :email, :ip FROM counts
        WHERE by_ip < :ip_max AND (by_email < :max OR by_pair < :locked_pair)
        RETURNING 1
    )
    SELECT by_email, (SELECT count(*) FROM recorded) AS admitted FROM counts
    """
)


async def admit_login_attempt(
    uow: UnitOfWork, *, email: str, ip: str, max_failures: int, window: int
) -> bool:
    """Count this attempt against the limits before the password is checked; True when the email
    is locked and the attempt is let through only because its address has few failures (the
    caller then waits a short delay). Raises TooManyRequests when the attempt is refused.

    Every attempt is recorded as a failure up front and a successful sign-in clears them, so
    parallel attempts cannot all pass one count: under a per-email transaction lock, one
    statement counts and records. Commit before checking the password, so the next attempt's
    count sees this one (the lock is held for milliseconds, never across the password hash).
    Limits per window: `max_failures` per email and per email+address, 4x that per address.
    """
    email = email.strip().lower()
    await uow.result(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"login:{email}"})
    row = (
        await uow.result(
            _COUNT_AND_RECORD,
            {
                "email": email,
                "ip": ip,
                "since": _now() - timedelta(seconds=window),
                "max": max_failures,
                "ip_max": max_failures * 4,
                "locked_pair": min(LOCKED_PAIR_TRIES, max_failures),
            },
        )
    ).one()
    if not row.admitted:
        minutes = max(1, window // 60)
        raise TooManyRequests(
            f"Too many failed sign-ins. Wait {minutes} minutes and try again, or ask an admin to reset your "
            "password.",
            headers={"Retry-After": str(window)},
        )
    return bool(row.by_email >= max_failures)


async def authenticate(uow: UnitOfWork, *, email: str, password: str) -> User | None:
    """Check a password login (after `admit_login_attempt`); on success the unit of work is scoped
    to the user's account and the email's recorded attempts are cleared."""
    email = email.strip()
    user = await find_user_by_email(uow, email)
    if user is None or not verify_password(user.password_hash if user else None, password):
        count_login_failure()
        return None
    await uow.result(delete(LoginAttempt).where(LoginAttempt.email == email.lower()))
    return user


async def start_web_session(uow: UnitOfWork, user: User, *, days: int) -> tuple[str, WebSession]:
    token = new_secret()
    web_session = WebSession(
        id=uuid.uuid4(),
        account_id=user.account_id,
        user_id=user.id,
        token_hash=digest(token),
        csrf_token=secrets.token_urlsafe(24),
        expires_at=_now() + timedelta(days=days),
    )
    uow.add(web_session)
    await uow.flush()
    return token, web_session


async def end_web_session(uow: UnitOfWork, token: str) -> None:
    found = await uow.rows(
        text("SELECT web_session_id, account_id FROM relaydesk_find_web_session(:h)"), {"h": digest(token)}
    )
    if found:
        await uow.set_account(found[0].account_id)
        await uow.result(delete(WebSession).where(WebSession.id == found[0].web_session_id))


async def actor_from_cookie(uow: UnitOfWork, token: str) -> Actor | None:
    found = await uow.rows(
        text("SELECT web_session_id, account_id FROM relaydesk_find_web_session(:h)"), {"h": digest(token)}
    )
    if not found:
        return None
    await uow.set_account(found[0].account_id)
    row = await uow.rows(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id == found[0].web_session_id, User.deleted_at.is_(None))
    )
    if not row:
        return None
    web_session, user = row[0]
    return actor_for(user, via="cookie", csrf_token=web_session.csrf_token)


async def actor_from_api_token(uow: UnitOfWork, token: str) -> Actor | None:
    found = await uow.rows(
        text("SELECT token_id, account_id FROM relaydesk_find_api_token(:h)"), {"h": digest(token)}
    )
    if not found:
        return None
    await uow.set_account(found[0].account_id)
    row = await uow.rows(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == found[0].token_id, User.deleted_at.is_(None))
    )
    if not row:
        return None
    api_token, user = row[0]
    now = _now()
    # Throttled so a busy integration does not write on every request.
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(seconds=60):
        api_token.last_used_at = now
    return actor_for(user, via="token")


# --- API tokens -----------------------------------------------------------------------------


async def issue_api_token(uow: UnitOfWork, user: User, *, label: str) -> tuple[str, ApiToken]:
    secret = new_secret(API_TOKEN_PREFIX)
    api_token = ApiToken(
        id=uuid.uuid4(),
        account_id=user.account_id,
        user_id=user.id,
        label=label.strip() or "API token",
        prefix=secret[:8],
        token_hash=digest(secret),
    )
    uow.add(api_token)
    await uow.flush()
    return secret, api_token


async def create_api_token(uow: UnitOfWork, actor: Actor, *, label: str) -> tuple[str, ApiToken]:
    user = await get_user(uow, actor, actor.user_id)
    return await issue_api_token(uow, user, label=label)


async def list_api_tokens(uow: UnitOfWork, actor: Actor) -> list[ApiToken]:
    query = (
        select(ApiToken).where(ApiToken.account_id == actor.account_id).order_by(ApiToken.created_at.desc())
    )
    if not actor.is_manager:
        query = query.where(ApiToken.user_id == actor.user_id)
    return await uow.all(query)


async def revoke_api_token(uow: UnitOfWork, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    api_token = await uow.get(ApiToken, token_id)
    if (
        api_token is None
        or api_token.account_id != actor.account_id
        or (api_token.user_id != actor.user_id and not actor.is_manager)
    ):
        raise NotFound("No such API token.")
    if api_token.revoked_at is None:
        api_token.revoked_at = _now()
    await uow.flush()
    return api_token
