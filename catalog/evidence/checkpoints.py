"""Signed checkpoints of the ledger, and the short codes read over the telephone.

A checkpoint states, signed with the server's Ed25519 key: this ledger had ``seq`` rows,
the last with hash ``head_hash``, at time ``at``, after the checkpoint ``prev``; and it
lists 16 hex digits of the hash of every row since the previous checkpoint, so that a
later rewrite (even one that recomputes every hash after an edit) is pinned to the first
row it changed. Its code (10 characters, no 0/O/1/I/L) is what a station administrator
reads to an inspector; a ledger rewritten after that moment no longer holds a checkpoint
with that code.

The verifier never believes a stored ``code``: it recomputes every code from its signature
and every signature over the text it recomputes from the fields (catalog/evidence/verify.py). What a
key held by the station itself can and cannot prove is set out in docs/ledger.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from catalog.evidence.ledger import GENESIS, format_at, head, lock_ledger, rows
from catalog.evidence.models import LedgerCheckpoint

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 signs people cannot confuse
CODE_LENGTH = 10
ROW_DIGITS = 16


@dataclass(frozen=True)
class Checkpoint:
    ledger: str
    seq: int
    at: str
    head_hash: str
    prev: str
    first_seq: int
    row_hashes: str
    public_key: str
    signature: str
    code: str
    reason: str = ""

    def message(self) -> bytes:
        return signed_message(self.ledger, self.seq, self.at, self.head_hash, self.prev,
                              self.first_seq, self.row_hashes, self.reason)

    @property
    def digest(self) -> str:
        """What the next checkpoint names as ``prev``."""
        return hashlib.sha256(self.message() + bytes.fromhex(self.signature)).hexdigest()

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


# Why a checkpoint was signed (docs/ledger.md).
REASONS = ("rows", "time", "close", "shutdown", "manual", "export", "recovered")


def signed_message(ledger: str, seq: int, at: str, head_hash: str, prev: str,
                   first_seq: int, row_hashes: str, reason: str = "") -> bytes:
    rows_digest = hashlib.sha256(row_hashes.encode("ascii")).hexdigest()
    fields: dict[str, object] = {"ledger": ledger, "seq": seq, "at": at, "head": head_hash,
                                 "prev": prev, "first_seq": first_seq, "rows": rows_digest}
    if reason:  # checkpoints signed before reasons existed have none
        fields["reason"] = reason
    return json.dumps(fields, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def code_of(signature: str) -> str:
    number = int.from_bytes(hashlib.sha256(bytes.fromhex(signature)).digest()[:8], "big")
    signs = []
    for _ in range(CODE_LENGTH):
        number, sign = divmod(number, len(CODE_ALPHABET))
        signs.append(CODE_ALPHABET[sign])
    return "".join(signs)


def normalize_code(text: str) -> str:
    """What people type back: any case, with spaces or dashes. Misheard signs are not
    guessed at (0/O and 1/I/L never occur in a code): such a code simply matches none."""
    return "".join(c for c in text.upper() if c.isalnum())


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_public(hex_key: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))


def verify_signature(checkpoint: Checkpoint, public_key: str | None = None) -> bool:
    try:
        load_public(public_key or checkpoint.public_key).verify(
            bytes.fromhex(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The server's signing key, made on first use, readable by its owner only."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return key


_FIELDS = [getattr(LedgerCheckpoint, name) for name in Checkpoint.__dataclass_fields__]


def checkpoints(connection: Connection, ledger: str, last_only: bool = False
                ) -> list[Checkpoint]:
    query = select(*_FIELDS).where(LedgerCheckpoint.ledger == ledger)
    if last_only:
        query = query.order_by(LedgerCheckpoint.seq.desc()).limit(1)
    else:
        query = query.order_by(LedgerCheckpoint.seq)
    return [Checkpoint(*row) for row in connection.execute(query)]


def unsigned_since(connection: Connection, ledger: str) -> tuple[int, str] | None:
    """(seq, at) of the first row no checkpoint covers yet; None when the head is signed."""
    found = checkpoints(connection, ledger, last_only=True)
    after = found[0].seq if found else 0
    first = next(rows(connection, ledger, after, batch=1), None)
    return (first.seq, first.at) if first is not None else None


def make_checkpoint(connection: Connection, ledger: str, key: Ed25519PrivateKey,
                    reason: str = "manual") -> Checkpoint | None:
    """Sign the ledger's head now, inside the caller's transaction; None if no row was
    added since the last checkpoint."""
    lock_ledger(connection, ledger)
    seq, head_hash, _ = head(connection, ledger)
    found = checkpoints(connection, ledger, last_only=True)
    after = found[0].seq if found else 0
    if seq == 0 or seq == after:
        return None
    previous = found[0].digest if found else GENESIS
    row_hashes = "".join(e.hash[:ROW_DIGITS] for e in rows(connection, ledger, after))
    at = format_at(datetime.now(UTC))
    message = signed_message(ledger, seq, at, head_hash, previous, after + 1, row_hashes,
                             reason)
    signature = key.sign(message).hex()
    checkpoint = Checkpoint(ledger, seq, at, head_hash, previous, after + 1, row_hashes,
                            public_hex(key.public_key()), signature, code_of(signature),
                            reason)
    connection.execute(insert(LedgerCheckpoint).values(**checkpoint.as_dict()))
    return checkpoint
