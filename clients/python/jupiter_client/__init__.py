"""Python client of Jupiter, the CQRS sales system over ZeroMQ (see clients/python/README.md).

    from jupiter_client import Client, LAST, NotFound
    with Client.from_cluster("./jupiter-data") as c:
        r = c.send("product.create", code="P1", description="Pen", price=1.5)
        c.query("product.get", id=r["id"], min_seq=LAST)

Needs only Debian's python3-zmq and python3-msgpack.
"""

from .client import LAST, Client, Pending, Reply
from .envelope import COMMANDS, MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, QUERIES, SCHEMA_VERSION, new_request_id
from .errors import (ERRORS, AheadOfHead, BadField, BadVersion, Behind, ConfigError, CutOff, Forbidden, IdReused,
                     Internal, JupiterError, JupiterTimeout, KeyFileError, KeyRefused, Malformed, NotFound, Rejected,
                     RequestTimeout, TooFarBehind, TooLarge, Unavailable, UnknownMessage, error_class)
from .keys import (Certificate, ClusterConfig, load_cluster, load_public_certificate, load_secret_certificate,
                   parse_zpl, write_certificate)

__version__ = "0.1.0"

__all__ = [
    "Client", "Pending", "Reply", "LAST", "new_request_id", "COMMANDS", "QUERIES", "SCHEMA_VERSION",
    "MAX_MESSAGE_BYTES", "MAX_REQUEST_BYTES", "ERRORS", "error_class", "JupiterError", "Malformed", "BadVersion", "UnknownMessage",
    "BadField", "Rejected", "NotFound", "Forbidden", "Unavailable", "CutOff", "RequestTimeout", "JupiterTimeout",
    "TooLarge", "Behind", "TooFarBehind", "Internal", "AheadOfHead", "IdReused", "KeyRefused", "KeyFileError",
    "ConfigError", "Certificate", "ClusterConfig", "load_cluster", "load_public_certificate",
    "load_secret_certificate", "parse_zpl", "write_certificate",
]
