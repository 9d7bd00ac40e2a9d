"""JSON routes of the accounts domain: me, users, API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from relaydesk.accounts import service as accounts
from relaydesk.accounts.schemas import (
    AccountOut,
    MeOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from relaydesk.web.deps import CurrentActor, UowDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/me", response_model=MeOut)
async def me(uow: UowDep, actor: CurrentActor) -> MeOut:
    user = await accounts.get_user(uow, actor, actor.user_id)
    account = await accounts.get_account(uow, actor.account_id)
    return MeOut(**UserOut.model_validate(user).model_dump(), account=AccountOut.model_validate(account))


@router.get("/users", response_model=list[UserOut])
async def list_users(uow: UowDep, actor: CurrentActor) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await accounts.list_users(uow, actor)]


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(user_in: UserCreate, uow: UowDep, actor: CurrentActor) -> UserOut:
    user = await accounts.create_user(uow, actor, **user_in.model_dump())
    return UserOut.model_validate(user)


@router.delete("/users/{user_id}", response_model=UserOut)
async def delete_user(user_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> UserOut:
    return UserOut.model_validate(await accounts.delete_user(uow, actor, user_id))


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(uow: UowDep, actor: CurrentActor) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in await accounts.list_api_tokens(uow, actor)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def create_token(token_in: TokenCreate, uow: UowDep, actor: CurrentActor) -> TokenCreated:
    secret, api_token = await accounts.create_api_token(uow, actor, label=token_in.label)
    return TokenCreated(**TokenOut.model_validate(api_token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(token_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> TokenOut:
    return TokenOut.model_validate(await accounts.revoke_api_token(uow, actor, token_id))
