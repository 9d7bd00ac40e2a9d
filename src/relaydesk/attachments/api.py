"""JSON routes of attachments: upload to a step (multipart, field `file`), and the bytes back."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from relaydesk.attachments import service
from relaydesk.attachments.schemas import AttachmentOut
from relaydesk.attachments.serving import media_type, redacted, response_headers
from relaydesk.attachments.sniffing import TEXT
from relaydesk.attachments.storage import read_chunks
from relaydesk.web.deps import CurrentActor, SettingsDep, UowDep, get_db

router = APIRouter(tags=["attachments"])

# The upload routes, API and page: the only paths whose bodies may exceed max_body_bytes (app.py).
UPLOAD_PATHS = r"^(/api/v1)?/sessions/[^/]+/steps/[^/]+/attachments$"
# Room for the multipart framing around the file and the form's other fields.
MULTIPART_SLACK = 64 * 1024


@router.post(
    "/api/v1/sessions/{session_id}/steps/{step_id}/attachments", response_model=AttachmentOut, status_code=201
)
async def upload(
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The file; its type is decided by its bytes.")],
    uow: UowDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> AttachmentOut:
    """Attach a file to a step: whoever may add a step may attach. 413 over the per-file or the
    per-session limit, naming the size and the limit; nothing is stored then."""
    return await service.attach(uow, actor, session_id, step_id, file, service.Limits.of(settings))


@router.get(
    "/api/v1/attachments/{attachment_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes."}},
)
async def download(request: Request, attachment_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> Response:
    """The bytes, for whoever may read the session: images inline, everything else as a download,
    text redacted."""
    attachment = await service.get_attachment(uow, actor, attachment_id)
    headers = response_headers(attachment)
    if "ETag" in headers and request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers={k: headers[k] for k in ("ETag", "Cache-Control")})
    chunks = read_chunks(get_db(request), actor.account_id, attachment.id)
    body = redacted(chunks) if attachment.content_type == TEXT else chunks
    return StreamingResponse(body, media_type=media_type(attachment), headers=headers)
