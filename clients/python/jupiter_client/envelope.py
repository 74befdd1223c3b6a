"""The envelope: one msgpack map per message (schemas/README.md).

``{v: 1, kind, name, id, body[, min_seq]}`` from a client; replies add ``seq`` and ``node``. The
envelope key ``client`` is reserved (the gateways set it on commands: deduplication is per
authenticated client key + request id) and a client never sends it.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

import msgpack

SCHEMA_VERSION = 1
MAX_REQUEST_BYTES = 64 << 10  # a larger request is refused (too_large), over 128 KiB the connection drops
MAX_MESSAGE_BYTES = 4 << 20   # the largest reply (a list of 1,000 rows); this client's sockets accept it
MAX_ID_BYTES = 128            # envelope strings (kind, name, id) longer than this are malformed
KINDS = ("command", "query", "reply", "error", "events", "heartbeat", "transition", "control")
RESERVED_ENVELOPE_KEYS = ("client",)

COMMANDS = ("seller.create", "seller.update", "seller.delete", "product.create", "product.update", "product.delete",
            "stock.receive", "sale.create", "sale.update", "sale.delete")
QUERIES = ("sales.list", "sale.get", "sellers.list", "seller.get", "products.list", "product.get", "inventory.value")

_packer = msgpack.Packer(use_bin_type=True)


def new_request_id(prefix: str = "py") -> str:
    """A fresh request id: ``PREFIX-`` and 128 random bits in hex (os.urandom: never reused)."""
    return f"{prefix}-{os.urandom(16).hex()}"


def check_request_id(request_id: str) -> None:
    if not isinstance(request_id, str) or not request_id:
        raise ValueError("a request id must be a non-empty string (the cluster refuses an empty one)")
    if len(request_id.encode("utf-8")) > MAX_ID_BYTES:
        raise ValueError(f"a request id is at most {MAX_ID_BYTES} bytes")


def make_envelope(kind: str, name: str, request_id: str, body: Optional[Dict[str, Any]] = None,
                  min_seq: Optional[int] = None) -> Dict[str, Any]:
    env: Dict[str, Any] = {"v": SCHEMA_VERSION, "kind": kind, "name": name, "id": request_id,
                           "body": {} if body is None else body}
    if min_seq:
        env["min_seq"] = int(min_seq)
    return env


def encode(env: Dict[str, Any]) -> bytes:
    """Packs an envelope (strings as msgpack str, bytes as bin)."""
    return _packer.pack(env)


def decode(data: bytes) -> Optional[Dict[str, Any]]:
    """Unpacks an envelope; None when it is not a msgpack map with string kind and id."""
    try:
        env = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None
    if not isinstance(env, dict) or not isinstance(env.get("kind"), str) or not isinstance(env.get("id"), str):
        return None
    return env
