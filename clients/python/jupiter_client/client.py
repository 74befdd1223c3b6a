"""The Jupiter client: commands, queries and pings through the gateways, with failover.

One ``zmq.ROUTER`` socket reaches every gateway, each addressed by its endpoint
(``ZMQ_CONNECT_ROUTING_ID``), as client/failover_client.cpp does (the ZeroMQ guide's Freelance
pattern, model three). The client sticks to one gateway and judges it by what it hears:

- a lost connection (socket monitor: the gateway was killed or restarted) moves on at once, and so
  does a refused one (nothing listens there: a one-shot client does not wait for a gateway that is down);
- while a request waits and the gateway has said nothing for ``silence`` seconds, it is pinged;
  one that answers the ping is alive and still working (the gateway retries replicas and resends
  commands itself), so the client keeps waiting; one that does not answer within ``ping_timeout``
  (stopped, hung, cut off) is left;
- a gateway that answers ``cut_off`` (it hears no broker) is left too, and the request goes to the
  next one; only when every gateway has said so does the caller get that answer;
- moving on resends every request waiting for an answer, with the SAME request id, to the next
  connected gateway (commands are deduplicated per client key + id, queries are idempotent). A
  late answer from the old gateway is still accepted; a second answer to the same id is dropped.

It never fails back on its own. Many requests can be in flight on the one socket
(:meth:`Client.submit` returns a :class:`Pending`; :meth:`Client.gather` waits for several).

A client is not thread-safe: use one per thread (each has its own ZeroMQ context by default).
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import msgpack
import zmq
from zmq.utils import z85

from . import envelope as _env
from .errors import (ConfigError, JupiterError, IdReused, KeyRefused, RequestTimeout, TooLarge, Unavailable,
                     error_from_envelope)
from .keys import Certificate, ClusterConfig, load_cluster, load_public_certificate, load_secret_certificate

__all__ = ["Client", "Pending", "Reply", "LAST"]

_EV_CONNECTED = zmq.EVENT_CONNECTED
_EV_DISCONNECTED = zmq.EVENT_DISCONNECTED
_EV_RETRIED = zmq.EVENT_CONNECT_RETRIED
_EV_OK = zmq.EVENT_HANDSHAKE_SUCCEEDED
_EV_AUTH = zmq.EVENT_HANDSHAKE_FAILED_AUTH
_EV_PROTO = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
_EV_NODETAIL = zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
_EVENTS = zmq.EVENTS
_POLLIN = zmq.POLLIN
_SNDMORE_NOBLOCK = zmq.SNDMORE | zmq.NOBLOCK
_WATCHED = _EV_CONNECTED | _EV_RETRIED | _EV_OK | _EV_DISCONNECTED | _EV_AUTH | _EV_PROTO | _EV_NODETAIL

_TICK = 0.005            # how often a waiting client wakes to judge the gateway's silence
_HANDSHAKE_DRAIN = 1.0   # the longest close() waits for a CURVE handshake in progress (libzmq 4.3)
_RECONNECT_IVL_MS = 50
_RECONNECT_IVL_MAX_MS = 500
_ID_MEMORY = 4096        # commands remembered to refuse a request id reused for another command


class _Last:
    def __repr__(self) -> str:
        return "LAST"


LAST = _Last()
"""``query(..., min_seq=LAST)``: read your writes (the highest ``seq`` this client's commands got)."""


class Reply(dict):
    """An answer: the reply body (a dict), with the envelope's parts as attributes.

    ``seq``: the event sequence the answer reflects (queries: the replica's applied sequence;
    commands: the last event written); ``node``: the node that answered; ``duplicate``: a command
    whose request id had been seen before (the first outcome, not applied again).
    """

    __slots__ = ("name", "id", "kind", "seq", "node", "endpoint", "envelope")

    def __init__(self, env: Dict[str, Any], endpoint: Optional[str]):
        body = env.get("body")
        super().__init__(body if isinstance(body, dict) else {})
        self.name = env.get("name")
        self.id = env.get("id")
        self.kind = env.get("kind")
        seq = env.get("seq")
        if not isinstance(seq, int):
            seq = self.get("seq") if isinstance(self.get("seq"), int) else None
        self.seq = seq
        node = env.get("node")
        self.node = node if isinstance(node, str) else None
        self.endpoint = endpoint
        self.envelope = env

    @property
    def duplicate(self) -> bool:
        return bool(self.get("duplicate", False))

    def __repr__(self) -> str:
        return f"Reply({self.name!r}, seq={self.seq!r}, node={self.node!r}, body={dict(self)!r})"


class Pending:
    """A request in flight: a future driven by its client's I/O (no thread).

    ``result(timeout)`` waits for the answer and returns the :class:`Reply` or raises the
    :class:`JupiterError`; ``done()`` says whether it is answered; callbacks added with
    ``add_done_callback(fn)`` run, with the Pending, when it is.
    """

    __slots__ = ("id", "kind", "name", "data", "sent", "cut_off_answers", "started", "deadline", "endpoint",
                 "_client", "_reply", "_error", "_done", "_callbacks", "accept_empty_id", "finished_at", "fingerprint")

    def __init__(self, client: "Client", kind: str, name: str, request_id: str, data: bytes, timeout: float):
        self._client = client
        self.kind = kind
        self.name = name
        self.id = request_id
        self.data = data
        self.sent = False
        self.cut_off_answers = 0
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.endpoint: Optional[str] = None
        self._reply: Optional[Reply] = None
        self._error: Optional[JupiterError] = None
        self._done = False
        self._callbacks: Optional[List[Callable[["Pending"], Any]]] = None
        self.accept_empty_id = False
        self.finished_at: Optional[float] = None
        self.fingerprint: Optional[Tuple[str, bytes]] = None

    def done(self) -> bool:
        return self._done

    def result(self, timeout: Optional[float] = None) -> Reply:
        """The answer; raises its JupiterError. ``timeout`` (s) bounds this wait only: on expiry
        a builtin ``TimeoutError`` is raised and the request stays in flight."""
        if not self._done:
            self._client._wait_for(self, timeout)
        if self._error is not None:
            raise self._error
        return self._reply  # type: ignore[return-value]

    def exception(self, timeout: Optional[float] = None) -> Optional[JupiterError]:
        if not self._done:
            self._client._wait_for(self, timeout)
        return self._error

    def add_done_callback(self, fn: Callable[["Pending"], Any]) -> None:
        if self._done:
            fn(self)
            return
        if self._callbacks is None:
            self._callbacks = []
        self._callbacks.append(fn)

    @property
    def latency(self) -> Optional[float]:
        """Seconds from submit to answer, once answered."""
        return None if self.finished_at is None else self.finished_at - self.started

    def _finish(self, reply: Optional[Reply], error: Optional[JupiterError]) -> None:
        if self._done:
            return
        self._reply = reply
        self._error = error
        self._done = True
        self.finished_at = time.monotonic()
        self.data = b""
        if self._callbacks:
            for fn in self._callbacks:
                fn(self)
            self._callbacks = None

    def __repr__(self) -> str:
        state = "done" if self._done else ("sent" if self.sent else "waiting")
        return f"<Pending {self.kind} {self.name} id={self.id} {state}>"


KeySpec = Union[str, os.PathLike, Tuple[str, str], Certificate, None]


def _z85_key(key: str, what: str) -> bytes:
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if len(key) != 40:
        raise ConfigError(f"{what} must be 40 Z85 characters")
    try:
        return z85.decode(key)
    except Exception:
        raise ConfigError(f"{what} is not a valid Z85 key") from None


class Client:
    """A client of a Jupiter cluster's gateways.

    Args:
        endpoints: the gateways' endpoints (``tcp://127.0.0.1:7715``, ...); default: those of
            ``cluster_dir``'s jupiter.toml.
        cluster_dir: a cluster folder (holding jupiter.toml): gives the endpoints, the security
            mode, the gateways' public keys, the request budget, and the default client key
            (``$JUPITER_KEY``, else ``keys/admin.key_secret``).
        keys_dir: a keys folder: the servers' public keys are ``NODE.key`` there, NODE found in the
            jupiter.toml of its parent folder (or of ``cluster_dir``).
        client_cert: this client's secret certificate (``NAME.key_secret``, as written by
            ``jupiter client add``), or a ``(public_z85, secret_z85)`` pair.
        server_keys: the gateways' public keys: a dict endpoint -> Z85 key or certificate file,
            or a list parallel to ``endpoints``.
        security: ``"curve"`` or ``"none"``; default: the cluster's, else curve when keys are given.
        timeout: default budget of a request in seconds (default: the gateways'
            client_timeout_ms + 1 s, as the CLI; 11 s).
        silence, ping_timeout: a gateway silent for ``silence`` s while a request waits is pinged;
            unanswered for ``ping_timeout`` s more, it is left for the next (defaults 0.2 / 0.2).
        unreachable: a request fails ``unavailable`` once no gateway has been connected for this long.
        read_your_writes: when true, every query carries ``min_seq`` = the highest ``seq`` a command
            of this client got (the same as passing ``min_seq=LAST``).
        id_prefix: prefix of the request ids this client makes (``PREFIX-`` + 32 hex digits).
        start: index of the gateway used first (spreads clients over the gateways).
        context: a zmq.Context to use (default: a private one, terminated by close()).
    """

    def __init__(self, endpoints: Optional[Sequence[str]] = None, *, cluster_dir: Optional[Union[str, os.PathLike]] = None,
                 keys_dir: Optional[Union[str, os.PathLike]] = None, client_cert: KeySpec = None,
                 server_keys: Optional[Union[Mapping[str, Any], Sequence[Any]]] = None, security: Optional[str] = None,
                 timeout: Optional[float] = None, silence: float = 0.2, ping_timeout: float = 0.2,
                 unreachable: float = 3.0, read_your_writes: bool = False, id_prefix: str = "py", start: int = 0,
                 context: Optional[zmq.Context] = None):
        config: Optional[ClusterConfig] = None
        if cluster_dir is not None:
            config = load_cluster(cluster_dir)
        elif keys_dir is not None and (Path(keys_dir).parent / "jupiter.toml").exists():
            config = load_cluster(Path(keys_dir).parent)
        if endpoints is None:
            if config is None:
                raise ConfigError("no endpoints: give the gateways' endpoints or cluster_dir")
            endpoints = config.gateways
        endpoints = [str(e) for e in endpoints]
        if not endpoints:
            raise ConfigError("no gateway endpoint to connect to")
        self.endpoints: List[str] = endpoints
        self.config = config
        self.key_file: Optional[str] = None
        if security is None:
            if config is not None:
                security = config.security
            else:
                security = "curve" if (client_cert is not None or server_keys is not None or keys_dir is not None) else "none"
        if security not in ("curve", "none"):
            raise ConfigError(f"security = {security!r} (accepted: curve, none)")
        self.security = security
        self._public: Optional[bytes] = None
        self._secret: Optional[bytes] = None
        self._server_keys: List[Optional[bytes]] = [None] * len(endpoints)
        if security == "curve":
            if not zmq.has("curve"):
                raise ConfigError("this libzmq was built without CURVE (libsodium); install Debian's libzmq5")
            self._load_keys(client_cert, server_keys, keys_dir, config)
        if timeout is None:
            timeout = (config.client_timeout_ms + 1000) / 1000.0 if config is not None else 11.0
        self.timeout = float(timeout)
        self.silence = float(silence)
        self.ping_timeout = float(ping_timeout)
        self.unreachable = float(unreachable)
        self.read_your_writes = bool(read_your_writes)
        self.id_prefix = id_prefix
        self.last_seq = 0
        self.failovers = 0
        self.last_failover_reason = ""
        self._ep_bytes = [e.encode() for e in endpoints]
        self._index: Dict[bytes, int] = {b: i for i, b in enumerate(self._ep_bytes)}
        self._ep_index: Dict[str, int] = {e: i for i, e in enumerate(endpoints)}
        self._cur = start % len(endpoints)
        self._own_ctx = context is None
        self._ctx = zmq.Context(1) if context is None else context
        self._sock: Optional[zmq.Socket] = None
        self._mon: Optional[zmq.Socket] = None
        self._poll_items: List[Tuple[zmq.Socket, int]] = []
        self._pending: Dict[str, Pending] = {}
        self._empty_id_waiters: List[Pending] = []
        self._unsent = 0
        self._packer = msgpack.Packer(use_bin_type=True)
        self._ping_id = _env.new_request_id(f"{id_prefix}-ping")
        self._ids: "collections.OrderedDict[str, Tuple[str, bytes]]" = collections.OrderedDict()
        self._closed = False
        self._last_tick = 0.0
        self._open()

    # ---- construction helpers ---------------------------------------------------------------

    @classmethod
    def from_cluster(cls, cluster_dir: Union[str, os.PathLike], key: KeySpec = None, **kwargs: Any) -> "Client":
        """A client of the cluster in ``cluster_dir`` with ``key`` (default: $JUPITER_KEY, else admin)."""
        return cls(cluster_dir=cluster_dir, client_cert=key, **kwargs)

    def _load_keys(self, client_cert: KeySpec, server_keys: Any, keys_dir: Any, config: Optional[ClusterConfig]) -> None:
        if client_cert is None:
            if config is None:
                raise ConfigError("curve security needs client_cert (a NAME.key_secret from `jupiter client add`)")
            client_cert = config.default_key_file()
        if isinstance(client_cert, Certificate):
            cert = client_cert
        elif isinstance(client_cert, tuple):
            cert = Certificate(client_cert[0], client_cert[1])
        else:
            cert = load_secret_certificate(client_cert)
            self.key_file = cert.path
        if not cert.secret_key:
            raise ConfigError("client_cert has no secret key")
        self._public = _z85_key(cert.public_key, "the client's public key")
        self._secret = _z85_key(cert.secret_key, "the client's secret key")
        for i, ep in enumerate(self.endpoints):
            key: Any = None
            if isinstance(server_keys, Mapping):
                key = server_keys.get(ep)
            elif server_keys is not None:
                key = list(server_keys)[i]
            if key is None:
                if config is not None:
                    node = config.node_at(ep)
                    kdir = Path(keys_dir) if keys_dir is not None else config.keys_dir
                    if node is None:
                        raise ConfigError(f"{ep} is the endpoint of no node in {config.source}: its public key is "
                                          f"unknown, so it cannot be reached securely")
                    key = kdir / f"{node.name}.key"
                else:
                    raise ConfigError(f"no server key for {ep}: give server_keys, or cluster_dir / keys_dir")
            if isinstance(key, Certificate):
                key = key.public_key
            elif isinstance(key, os.PathLike) or (isinstance(key, str) and (len(key) != 40 or os.path.isfile(key))):
                key = load_public_certificate(key).public_key
            self._server_keys[i] = _z85_key(key, f"the server key of {ep}")

    # ---- sockets ---------------------------------------------------------------------------

    def _open(self) -> None:
        self._close_socket()
        self._key_refused = False
        n = len(self.endpoints)
        self._connected = [False] * n
        self._handshaking = [False] * n
        self._dialled = [False] * n
        s = self._ctx.socket(zmq.ROUTER)
        s.setsockopt(zmq.LINGER, 0)
        # A send to a gateway that is not connected fails at once instead of being dropped.
        s.setsockopt(zmq.ROUTER_MANDATORY, 1)
        # Not ZMQ_IMMEDIATE: with it, libzmq 4.3 leaves a connect_routing_id unroutable after the
        # handshake (failover_client.cpp). Sends go only to gateways whose handshake is done.
        s.setsockopt(zmq.RECONNECT_IVL, _RECONNECT_IVL_MS)
        s.setsockopt(zmq.RECONNECT_IVL_MAX, _RECONNECT_IVL_MAX_MS)
        s.setsockopt(zmq.IPV6, 0)
        self._sock = s
        self._mon = s.get_monitor_socket(_WATCHED)
        self._poll_items = [(s, zmq.POLLIN), (self._mon, zmq.POLLIN)]
        self._dial(self._cur)
        now = time.monotonic()
        self._last_progress = now
        self._last_connected = now
        self._ping_sent_at: Optional[float] = None
        for p in self._pending.values():
            p.sent = False
        self._unsent = len(self._pending)

    def _dial(self, i: int) -> None:
        if self._dialled[i]:
            return
        self._dialled[i] = True
        s = self._sock
        assert s is not None
        s.setsockopt(zmq.CONNECT_ROUTING_ID, self._ep_bytes[i])  # each gateway is addressed by its endpoint
        if self.security == "curve":
            # Options are taken per connect: one socket reaches several servers, each with its own key.
            s.setsockopt(zmq.CURVE_SERVERKEY, self._server_keys[i])
            s.setsockopt(zmq.CURVE_PUBLICKEY, self._public)
            s.setsockopt(zmq.CURVE_SECRETKEY, self._secret)
        s.connect(self.endpoints[i])

    def _close_socket(self) -> bool:
        """Closes the socket; False when a handshake was still in progress (see close())."""
        if self._sock is None:
            return True
        # libzmq 4.3 does not survive a socket closed in the middle of a CURVE handshake: the socket
        # is never reaped and later handshakes on the same context stall. Give one in progress a
        # moment to finish (or fail) first.
        give_up = time.monotonic() + _HANDSHAKE_DRAIN
        while time.monotonic() < give_up:
            self._on_events()
            if not any(self._handshaking):
                break
            if self._mon is not None:
                self._mon.poll(10)
        clean = not any(self._handshaking)
        try:
            self._sock.disable_monitor()
        except zmq.ZMQError:
            pass
        if self._mon is not None:
            self._mon.close(0)
        self._sock.close(0)
        self._sock = None
        self._mon = None
        self._poll_items = []
        return clean

    def close(self) -> None:
        """Fails what is in flight (``unavailable``: closed) and closes the socket (and the
        private context, unless a handshake was stuck: then it is left to the process's exit)."""
        if self._closed:
            return
        self._closed = True
        for p in list(self._pending.values()):
            self._fail(p, Unavailable("the client was closed before an answer came", request_id=p.id, name=p.name))
        clean = self._close_socket()
        if self._own_ctx and clean:
            self._ctx.term()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- state ----------------------------------------------------------------------------

    @property
    def current(self) -> str:
        """The gateway in use."""
        return self.endpoints[self._cur]

    @property
    def connected(self) -> bool:
        return self._connected[self._cur]

    def connected_count(self) -> int:
        return sum(self._connected)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    @property
    def key_refused(self) -> bool:
        return self._key_refused

    def new_request_id(self) -> str:
        return _env.new_request_id(self.id_prefix)

    # ---- public API ------------------------------------------------------------------------

    def send(self, name: str, body: Optional[Mapping[str, Any]] = None, /, *, request_id: Optional[str] = None,
             timeout: Optional[float] = None, **fields: Any) -> Reply:
        """Sends the command ``name`` with ``fields`` (or the dict ``body``) and waits for its
        answer. Returns the :class:`Reply` (``reply["seq"]``, ``reply.get("id")``,
        ``reply.duplicate``); raises a :class:`JupiterError`. ``request_id``: resend a command
        (same id, same body) to learn its outcome; it is applied at most once."""
        return self.submit_command(name, body, request_id=request_id, timeout=timeout, **fields).result()

    def query(self, name: str, body: Optional[Mapping[str, Any]] = None, /, *, min_seq: Any = None,
              request_id: Optional[str] = None, timeout: Optional[float] = None, **fields: Any) -> Reply:
        """Asks the query ``name`` and waits for its answer. ``min_seq``: an int (answer only from
        a replica that applied it), ``LAST`` (this client's last command's seq: read your
        writes), or None (``LAST`` when the client was made with read_your_writes=True)."""
        return self.submit_query(name, body, min_seq=min_seq, request_id=request_id, timeout=timeout,
                                 **fields).result()

    def ping(self, timeout: Optional[float] = None) -> Reply:
        """Pings the gateway in use (failing over like any request): the pong's body
        (node, pid, seq: the newest head it knows, refused: its refusal counters)."""
        return self.submit("control", "ping", {}, timeout=timeout).result()

    def submit_command(self, name: str, body: Optional[Mapping[str, Any]] = None, /, *,
                       request_id: Optional[str] = None, timeout: Optional[float] = None, **fields: Any) -> Pending:
        return self.submit("command", name, _merge(body, fields), request_id=request_id, timeout=timeout)

    def submit_query(self, name: str, body: Optional[Mapping[str, Any]] = None, /, *, min_seq: Any = None,
                     request_id: Optional[str] = None, timeout: Optional[float] = None, **fields: Any) -> Pending:
        return self.submit("query", name, _merge(body, fields), min_seq=min_seq, request_id=request_id,
                           timeout=timeout)

    def submit(self, kind: str, name: str, body: Optional[Mapping[str, Any]] = None, *, min_seq: Any = None,
               request_id: Optional[str] = None, timeout: Optional[float] = None) -> Pending:
        """Sends a request without waiting: returns its :class:`Pending`. ``kind``: command,
        query or control (ping)."""
        if self._closed:
            raise Unavailable("the client is closed", name=name)
        if kind not in ("command", "query", "control"):
            raise ValueError("kind must be command, query or control")
        if request_id is None:
            request_id = _env.new_request_id(self.id_prefix)
        else:
            _env.check_request_id(request_id)
        body = {} if body is None else dict(body)
        env: Dict[str, Any] = {"v": _env.SCHEMA_VERSION, "kind": kind, "name": name, "id": request_id, "body": body}
        if kind == "query":
            seq = self._min_seq(min_seq)
            if seq:
                env["min_seq"] = seq
        try:
            data = self._packer.pack(env)
        except (TypeError, ValueError, OverflowError) as e:
            self._packer = msgpack.Packer(use_bin_type=True)
            raise ValueError(f"{name}: a field cannot be sent as msgpack: {e}") from None
        if len(data) > _env.MAX_REQUEST_BYTES:
            raise TooLarge(f"the request is {len(data)} bytes; Jupiter nodes take requests of at most "
                           f"{_env.MAX_REQUEST_BYTES} bytes (and drop a connection that sends over twice that)",
                           request_id=request_id,
                           name=name)
        fingerprint = self._remember_id(request_id, name, env) if kind == "command" else None
        p = self._submit_bytes(kind, name, request_id, data, timeout)
        if fingerprint is not None:
            p.fingerprint = fingerprint
        return p

    def submit_raw(self, envelope: Union[Mapping[str, Any], bytes], *, timeout: Optional[float] = None,
                   accept_empty_id: bool = True) -> Pending:
        """Sends an envelope as given (a dict packed as is, or bytes): for tests of the protocol's
        refusals. ``accept_empty_id``: an error answer with id "" (a node that could not read the
        request's id) is taken as this request's answer."""
        if isinstance(envelope, (bytes, bytearray, memoryview)):
            data = bytes(envelope)
            head = _env.decode(data) or {}
        else:
            data = msgpack.packb(dict(envelope), use_bin_type=True)
            head = dict(envelope)
        rid = head.get("id") if isinstance(head.get("id"), str) else ""
        name = head.get("name") if isinstance(head.get("name"), str) else "?"
        kind = head.get("kind") if isinstance(head.get("kind"), str) else "?"
        if rid in self._pending:
            raise ValueError(f"request id {rid!r} is already in flight")
        p = self._submit_bytes(kind, name, rid, data, timeout)
        if accept_empty_id and rid != "":
            p.accept_empty_id = True
            self._empty_id_waiters.append(p)
        return p

    def gather(self, *handles: Union[Pending, Iterable[Pending]], return_exceptions: bool = False,
               timeout: Optional[float] = None) -> List[Any]:
        """Waits for every handle; returns their replies in order. With ``return_exceptions``,
        an error is returned in its place instead of raised (the first error is raised otherwise,
        after all are done)."""
        flat: List[Pending] = []
        for h in handles:
            if isinstance(h, Pending):
                flat.append(h)
            else:
                flat.extend(h)
        deadline = None if timeout is None else time.monotonic() + timeout
        for h in flat:
            if not h._done:
                self._wait_for(h, None if deadline is None else max(0.0, deadline - time.monotonic()))
        out: List[Any] = []
        first: Optional[JupiterError] = None
        for h in flat:
            if h._error is not None:
                if first is None:
                    first = h._error
                out.append(h._error)
            else:
                out.append(h._reply)
        if first is not None and not return_exceptions:
            raise first
        return out

    def as_completed(self, handles: Iterable[Pending], timeout: Optional[float] = None) -> Iterator[Pending]:
        """Yields the handles as they are answered (each once)."""
        todo = list(handles)
        ready: "collections.deque[Pending]" = collections.deque()
        for h in todo:
            h.add_done_callback(ready.append)
        deadline = None if timeout is None else time.monotonic() + timeout
        left = len(todo)
        while left:
            while not ready:
                wait = _TICK if deadline is None else min(_TICK, deadline - time.monotonic())
                if deadline is not None and wait <= 0:
                    raise TimeoutError(f"{left} of {len(todo)} requests not answered in time")
                self.pump(wait)
            left -= 1
            yield ready.popleft()

    def pump(self, timeout: float = 0.0) -> int:
        """Does the client's I/O once: takes every answer waiting, judges the gateway's silence and
        the requests' deadlines; waits up to ``timeout`` s for input when nothing was waiting.
        Returns how many answers it took. (result(), gather() and as_completed() call it.)"""
        n = self._drain()
        if n == 0 and timeout > 0 and self._poll_items:
            ready = zmq.zmq_poll(self._poll_items, max(0, int(timeout * 1000 + 0.999)))
            if ready:
                for sock, ev in ready:
                    if sock is self._mon:
                        self._on_events()
                n = self._drain()
        now = time.monotonic()
        if now - self._last_tick >= _TICK or n == 0:
            self._last_tick = now
            self._housekeeping(now)
        return n

    # ---- internals: requests ---------------------------------------------------------------

    def _min_seq(self, min_seq: Any) -> int:
        if min_seq is None:
            return self.last_seq if self.read_your_writes else 0
        if min_seq is LAST or min_seq is True:
            return self.last_seq
        if min_seq is False:
            return 0
        if not isinstance(min_seq, int) or min_seq < 0:
            raise ValueError("min_seq must be a sequence number (int >= 0), LAST or None")
        return min_seq

    def _remember_id(self, request_id: str, name: str, env: Dict[str, Any]) -> Tuple[str, bytes]:
        """Refuses, before sending, a request id this client used for a different command (the
        server would answer id_reused); remembers the last _ID_MEMORY commands' ids."""
        fp = (name, self._packer.pack(env["body"]))
        seen = self._ids.get(request_id)
        if seen is not None and seen != fp:
            raise IdReused(f"request id {request_id!r} was already used by this client for {seen[0]} (a different "
                           f"command); send a new command with a new id", request_id=request_id, name=name,
                           field="id")
        self._ids[request_id] = fp
        self._ids.move_to_end(request_id)
        if len(self._ids) > _ID_MEMORY:
            self._ids.popitem(last=False)
        return fp

    def _submit_bytes(self, kind: str, name: str, request_id: str, data: bytes, timeout: Optional[float]) -> Pending:
        if request_id in self._pending:
            # The same id in flight twice: the first answer answers both.
            existing = self._pending[request_id]
            return existing
        # libzmq does not reconnect after a refused handshake; the key may have been registered
        # since, so a request after a refusal starts on fresh connections. (Connection events
        # are read by pump(); a refusal seen there is what this looks at.)
        if self._key_refused and not self._pending:
            self._on_events()
            if self._key_refused:
                self._open()
        p = Pending(self, kind, name, request_id, data, self.timeout if timeout is None else float(timeout))
        if not self._pending:
            self._last_progress = p.started  # silence is counted from the first request that waits
            self._ping_sent_at = None
            self._last_connected = p.started
        self._pending[request_id] = p
        if self._connected[self._cur] and self._send_to(self._cur, data):
            p.sent = True
            p.endpoint = self.endpoints[self._cur]
        else:
            self._unsent += 1
        return p

    def _send_to(self, i: int, data: bytes) -> bool:
        s = self._sock
        try:
            s.send(self._ep_bytes[i], _SNDMORE_NOBLOCK)  # type: ignore[union-attr]
            s.send(b"", _SNDMORE_NOBLOCK)  # type: ignore[union-attr]
            s.send(data, zmq.NOBLOCK)  # type: ignore[union-attr]
            return True
        except zmq.ZMQError:
            return False  # EHOSTUNREACH (ROUTER_MANDATORY: not connected) or EAGAIN (queue full)

    def _flush(self) -> None:
        if not self._connected[self._cur]:
            return
        unsent = 0
        ep = self.endpoints[self._cur]
        for p in self._pending.values():
            if not p.sent:
                if self._send_to(self._cur, p.data):
                    p.sent = True
                    p.endpoint = ep
                else:
                    unsent += 1
        self._unsent = unsent

    def _wait_for(self, p: Pending, timeout: Optional[float]) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not p._done:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{p.name} ({p.id}) not answered within {timeout} s (still in flight)")
                self.pump(min(left, _TICK))
            else:
                self.pump(_TICK)

    def _forget(self, p: Pending) -> None:
        """Takes `p` off the waiting lists (answered or given up)."""
        self._pending.pop(p.id, None)
        if p.accept_empty_id:
            try:
                self._empty_id_waiters.remove(p)
            except ValueError:
                pass

    def _complete(self, p: Pending, env: Dict[str, Any], endpoint: str) -> None:
        self._forget(p)
        if env.get("kind") == "error":
            err = error_from_envelope(env, endpoint)
            if err.code == "id_reused" and p.fingerprint is not None and self._ids.get(p.id) == p.fingerprint:
                del self._ids[p.id]  # the id belongs to another command (sent by another client with our key)
            p._finish(None, err)
            return
        reply = Reply(env, endpoint)
        if p.kind == "command":
            seq = reply.get("seq")
            if isinstance(seq, int) and seq > self.last_seq:
                self.last_seq = seq
        p._finish(reply, None)

    def _fail(self, p: Pending, err: JupiterError) -> None:
        self._forget(p)
        if not p.sent:
            self._unsent = max(0, self._unsent - 1)
        if err.request_id is None:
            err.request_id = p.id
        if err.name is None:
            err.name = p.name
        p._finish(None, err)

    # ---- internals: I/O --------------------------------------------------------------------

    def _drain(self) -> int:
        s = self._sock
        if s is None:
            return 0
        n = 0
        recv = s.recv_multipart
        events = s.getsockopt
        index = self._index
        cur = self._cur
        while events(_EVENTS) & _POLLIN:
            try:
                frames = recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            if len(frames) < 2:
                continue
            i = index.get(frames[0])
            if i is None:
                continue
            if i == cur:
                self._last_progress = time.monotonic()  # it is alive: whatever it sent counts
                self._ping_sent_at = None
            env = _env.decode(frames[-1])
            if env is None:
                continue
            rid = env["id"]
            p = self._pending.get(rid)
            if p is None:
                if rid == "" and env.get("kind") == "error" and self._empty_id_waiters:
                    p = self._empty_id_waiters[0]
                else:
                    continue  # a pong, or a second answer to a request already answered
            if (env.get("kind") == "error" and i == cur and isinstance(env.get("body"), dict)
                    and env["body"].get("code") == "cut_off"):
                p.cut_off_answers += 1
                if p.cut_off_answers < len(self.endpoints):
                    # That gateway cannot pass requests on (cut off from the bus); another may.
                    self._failover(f"{self.endpoints[cur]} answered cut_off: it cannot pass requests on")
                    cur = self._cur
                    continue
            self._complete(p, env, self.endpoints[i])
            n += 1
        return n

    def _on_events(self) -> None:
        mon = self._mon
        if mon is None:
            return
        while mon.getsockopt(_EVENTS) & _POLLIN:
            try:
                frames = mon.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 2 or len(frames[0]) < 6:
                continue
            event = int.from_bytes(frames[0][:2], "little")
            i = self._ep_index.get(frames[1].decode("utf-8", "replace"))
            if i is None:
                continue
            self._handshaking[i] = event == _EV_CONNECTED
            if event == _EV_OK:
                self._connected[i] = True
                self._last_connected = time.monotonic()
                if i == self._cur:
                    self._key_refused = False
                    self._ping_sent_at = None  # the wait for the connection is over; silence counts from here
                    self._last_progress = time.monotonic()
                    self._flush()
            elif event == _EV_DISCONNECTED:
                was_up = self._connected[i]
                self._connected[i] = False
                if i == self._cur and was_up and self._pending:
                    self._failover(f"lost the connection to {self.endpoints[i]}")
            elif event == _EV_RETRIED:
                # The TCP connection failed (refused: the gateway is not running); known now, so
                # waiting requests move on now rather than after the silence and a ping.
                self._connected[i] = False
                if i == self._cur and self._pending and len(self.endpoints) > 1:
                    self._failover(f"{self.endpoints[i]} refused the connection (not running?)")
            elif event == _EV_AUTH:
                self._connected[i] = False
                if i == self._cur:
                    self._key_refused = True
            elif event in (_EV_PROTO, _EV_NODETAIL):
                self._connected[i] = False

    def _failover(self, reason: str) -> None:
        n = len(self.endpoints)
        nxt = (self._cur + 1) % n
        for k in range(1, n):
            i = (self._cur + k) % n
            if self._connected[i]:
                nxt = i
                break
        self._cur = nxt
        self._dial(nxt)
        self.failovers += 1
        self.last_failover_reason = reason
        self._last_progress = time.monotonic()
        self._ping_sent_at = None
        for p in self._pending.values():
            p.sent = False
        self._unsent = len(self._pending)
        self._flush()

    def _housekeeping(self, now: float) -> None:
        self._on_events()
        if not self._pending:
            return
        if self._unsent and self._connected[self._cur]:
            self._flush()
        connected = any(self._connected)
        if connected:
            self._last_connected = now
        if self._key_refused and not connected:
            err_msg = (f"the gateway at {self.current} refused this client's key ({self.key_file or 'given key'}): "
                       f"ask an admin to run `jupiter client add NAME --role reader|writer|admin` and use its key")
            for p in list(self._pending.values()):
                self._fail(p, KeyRefused(err_msg, request_id=p.id, name=p.name, endpoint=self.current))
            return
        self._check_silence(now)
        for p in list(self._pending.values()):
            if now >= p.deadline:
                self._fail(p, self._no_answer(p, now))
            elif not connected and now - max(p.started, self._last_connected) >= self.unreachable:
                self._fail(p, self._no_answer(p, now))

    def _no_answer(self, p: Pending, now: float) -> JupiterError:
        waited = int((now - p.started) * 1000)
        if self._connected[self._cur] and now - self._last_progress < self.silence + self.ping_timeout:
            return RequestTimeout(f"{self.current} is up (it answers ping) but did not answer {p.name} within {waited} "
                                  f"ms" + ("; it may or may not have been applied: resend it with the same request id "
                                           f"({p.id}) to learn its outcome" if p.kind == "command" else ""),
                                  request_id=p.id, name=p.name, endpoint=self.current)
        ever = any(self._connected) or self._last_connected > p.started
        return Unavailable(f"no answer to {p.name} from {', '.join(self.endpoints)} within {waited} ms "
                           f"({'none answered pings' if ever else 'none could be connected to'}; "
                           f"{self.failovers} failovers so far)", request_id=p.id, name=p.name)

    def _check_silence(self, now: float) -> None:
        if now - self._last_progress < self.silence:
            return
        cur = self._cur
        if not self._connected[cur]:
            # Not connected (yet, or any more): it gets as long as an unanswered ping to connect.
            if self._ping_sent_at is None:
                self._ping_sent_at = now
            elif now - self._ping_sent_at >= self.ping_timeout and len(self.endpoints) > 1:
                self._failover(f"{self.endpoints[cur]} is not connected")
            return
        if self._ping_sent_at is None:
            ping = self._packer.pack({"v": _env.SCHEMA_VERSION, "kind": "control", "name": "ping",
                                      "id": self._ping_id, "body": {}})
            if self._send_to(cur, ping):
                self._ping_sent_at = now
            return
        if now - self._ping_sent_at >= self.ping_timeout:
            self._failover(f"{self.endpoints[cur]} answered neither a request nor a ping for "
                           f"{int((now - self._last_progress) * 1000)} ms")


def _merge(body: Optional[Mapping[str, Any]], fields: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = dict(body) if body else {}
    out.update(fields)
    return out
