"""Typed errors of the Jupiter client.

Every error answer of the cluster is an envelope of kind ``error`` whose body is
``{code, message[, field]}`` (schemas/README.md, "kind error"). The client raises it as an
instance of the class registered for its code (``ERRORS``), always a :class:`JupiterError`, so a
caller can catch the base class and look at ``.code``, or catch one precise class. A code this
client does not know yet still raises :class:`JupiterError` with that code.

A few errors are the client's own (no envelope came back): :class:`KeyRefused` (the CURVE
handshake was refused: the key is unknown or revoked), :class:`Unavailable` and
:class:`RequestTimeout` when no gateway answered within the request's budget, and
:class:`TooLarge` for a request over the 64 KiB a node takes.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type


class JupiterError(Exception):
    """An error answer, or a request that got none.

    Attributes:
        code: the stable code (``bad_field``, ``not_found``, ...; see ERRORS).
        message: what was wrong and what to do (the cluster's own words when it answered).
        field: the offending field when there is one (``bad_field``: the body field), else None.
        request_id: the request id the error answers (the envelope's ``id``).
        name: the message name of the request (``seller.create``, ``sale.get``, ...).
        node: the node that answered, when the envelope says (usually absent on errors).
        endpoint: the gateway endpoint the answer came from, when one came.
        envelope: the whole error envelope (a dict) when one came, else None.
        duplicate: true when a command's error is the kept outcome of an earlier send of its id.
    """

    code: str = "error"

    def __init__(self, message: str = "", *, code: Optional[str] = None, field: Optional[str] = None,
                 request_id: Optional[str] = None, name: Optional[str] = None, node: Optional[str] = None,
                 endpoint: Optional[str] = None, envelope: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.request_id = request_id
        self.name = name
        self.node = node
        self.endpoint = endpoint
        self.envelope = envelope

    @property
    def duplicate(self) -> bool:
        """A command's error answered again for a resend of its request id (the outcome is kept:
        resending the same id never re-runs a refused command; send a new id)."""
        body = self.envelope.get("body") if isinstance(self.envelope, dict) else None
        return bool(isinstance(body, dict) and body.get("duplicate"))

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        what = f"{self.name}: " if self.name else ""
        return f"[{self.code}] {what}{self.message}{where}"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r}, "
                f"request_id={self.request_id!r}, name={self.name!r})")


# ---- errors the cluster answers -------------------------------------------------------------

class Malformed(JupiterError):
    """The envelope could not be read (not a msgpack map, a field of the wrong type, ...)."""
    code = "malformed"


class BadVersion(JupiterError):
    """The envelope's schema version ``v`` is not the one the node speaks."""
    code = "bad_version"


class UnknownMessage(JupiterError):
    """No such message: unknown kind, or a name the catalogue does not have."""
    code = "unknown_message"


class BadField(JupiterError):
    """A body field is missing, of the wrong type, too long, or not accepted; ``.field`` names it."""
    code = "bad_field"


class Rejected(JupiterError):
    """The command breaks a business rule (stock too low, duplicate invoice, ...)."""
    code = "rejected"


class NotFound(JupiterError):
    """The entity asked for (or commanded) does not exist."""
    code = "not_found"


class Forbidden(JupiterError):
    """This client's role may not make this request (or its key is no longer registered)."""
    code = "forbidden"


class Unavailable(JupiterError):
    """Nobody could serve it: no replica, no command node, or no gateway could be reached."""
    code = "unavailable"


class CutOff(JupiterError):
    """A gateway hears no broker; the client tries every other gateway before raising this."""
    code = "cut_off"


class RequestTimeout(JupiterError):
    """No answer in time. For a command: it may or may not have been applied; resend the SAME
    request id (``client.send(..., request_id=err.request_id)``) to learn its outcome."""
    code = "timeout"


JupiterTimeout = RequestTimeout


class TooLarge(JupiterError):
    """The request exceeds 64 KiB, the most a Jupiter node takes."""
    code = "too_large"


class Behind(JupiterError):
    """The replica has not applied the ``min_seq`` asked for yet (retry, or ask later)."""
    code = "behind"


class TooFarBehind(JupiterError):
    """A standby is too far behind the leader (replication; not seen by ordinary clients)."""
    code = "too_far_behind"


class Internal(JupiterError):
    """A node failed to process the request (a bug or a broken disk); see its log."""
    code = "internal"


class AheadOfHead(JupiterError):
    """The query's ``min_seq`` is beyond every command node's head: no write has that sequence
    (yet); answered at once instead of after a wait."""
    code = "ahead_of_head"


class IdReused(JupiterError):
    """This client already used the request id for a different command; use a new id."""
    code = "id_reused"


# ---- the client's own ----------------------------------------------------------------------

class KeyRefused(JupiterError):
    """The gateways refused this client's CURVE key during the handshake (unknown or revoked key,
    or a wrong server key): seen through a socket monitor, so it fails fast instead of timing out."""
    code = "key_refused"


class KeyFileError(JupiterError, ValueError):
    """A certificate file is missing, unreadable, not a ZeroMQ certificate, or too open (a secret
    key readable by group or others is refused, as ssh refuses an unprotected private key)."""
    code = "keys"


class ConfigError(JupiterError, ValueError):
    """The cluster folder (jupiter.toml) cannot be used by the client."""
    code = "config"


ERRORS: Dict[str, Type[JupiterError]] = {
    cls.code: cls
    for cls in (Malformed, BadVersion, UnknownMessage, BadField, Rejected, NotFound, Forbidden, Unavailable, CutOff,
                RequestTimeout, TooLarge, Behind, TooFarBehind, Internal, AheadOfHead, IdReused, KeyRefused)
}


def error_class(code: str) -> Type[JupiterError]:
    """The class raised for ``code`` (JupiterError itself for a code this client does not know)."""
    return ERRORS.get(code, JupiterError)


def error_from_envelope(env: Dict[str, Any], endpoint: Optional[str] = None) -> JupiterError:
    """The exception for an error envelope (kind ``error``)."""
    body = env.get("body")
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    if not isinstance(code, str) or not code:
        code = "error"
    message = body.get("message")
    if not isinstance(message, str):
        message = ""
    field = body.get("field")
    if not isinstance(field, str) or not field:
        field = None
    node = env.get("node") if isinstance(env.get("node"), str) else None
    return error_class(code)(message, code=code, field=field, request_id=env.get("id"), name=env.get("name"),
                             node=node, endpoint=endpoint, envelope=env)
