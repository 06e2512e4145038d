"""The immutable archive: every PDF and e-mail sent or printed is stored once, by content hash,
through Django's storage API (the file system by default; an object store by configuration)."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction

from arrears.documents.models import ArchivedDocument
from arrears.dunning.models import Notice
from arrears.history.services import Actor, EventDraft, record


def archive_storage() -> Storage:
    return storages["default"]


@transaction.atomic
def archive(notice: Notice, kind: str, content: bytes, actor: Actor) -> ArchivedDocument:
    """Store `content` for the notice once; storing the same bytes again returns the first copy."""
    digest = hashlib.sha256(content).hexdigest()
    existing = ArchivedDocument.objects.filter(notice=notice, kind=kind, sha256=digest).first()
    if existing is not None:
        return existing
    name = f"archive/{digest[:2]}/{digest}.{kind}"
    storage = archive_storage()
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            if hashlib.sha256(handle.read()).hexdigest() != digest:
                raise IntegrityError(f"the archive already holds a different file under {name}: check the storage")
    else:
        saved = storage.save(name, ContentFile(content))
        if saved != name:  # the storage must not rename: the name is the proof of the content
            storage.delete(saved)
            raise IntegrityError(f"the archive storage renamed {name} to {saved}")
    document = ArchivedDocument.objects.create(
        company_id=notice.company_id, notice=notice, kind=kind, sha256=digest, size=len(content), path=name
    )
    record(
        EventDraft(
            company_id=notice.company_id,
            kind="document.archived",
            customer_id=notice.customer_id,
            summary=f"{document.get_kind_display()} of notice #{notice.pk} archived (sha256 {digest[:12]})",
            data={"document": document.pk, "sha256": digest, "kind": kind},
        ),
        actor,
    )
    return document


def read(document: ArchivedDocument) -> bytes:
    """The archived bytes, checked against their hash."""
    with archive_storage().open(document.path, "rb") as handle:
        content: bytes = handle.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise IntegrityError(f"archived {document.path} does not match its sha256: it was changed")
    return content
