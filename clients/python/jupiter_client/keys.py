"""CurveZMQ certificates and the cluster folder, as the C++ side writes them.

Certificates are CZMQ ``zcert`` files in ZPL (ZeroMQ Property Language, rfc.zeromq.org/spec/4):
``NAME.key`` holds the public key and metadata, ``NAME.key_secret`` both keys, Z85-encoded, e.g.::

    #   ****  Generated on 2026-11-28 12:00:00 by CZMQ  ****
    #   ZeroMQ CURVE **Secret** Certificate
    metadata
        name = "admin"
        role = "admin"
    curve
        public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        secret-key = "<40 Z85 characters>"

The cluster folder holds ``jupiter.toml`` (written by ``jupiter up``); its ``[security] keys_dir``
(default ``keys``, relative to the file's folder) holds every node's ``NODE.key`` (the gateways'
public keys, which a client must trust) and the client keys of ``jupiter client add NAME`` (the
default client key is ``admin.key_secret``, or ``$JUPITER_KEY``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

from .errors import ConfigError, KeyFileError

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Debian 12 has 3.11
    _toml = None

Z85_KEY_LENGTH = 40

PathLike = Union[str, os.PathLike]


# ---- ZPL -----------------------------------------------------------------------------------

def parse_zpl(text: str) -> Dict[str, str]:
    """Parses ZPL text into a flat dict of ``section/sub/name -> value`` (values unquoted).

    Indentation is four spaces per level (ZPL also accepts any consistent indent: a deeper line
    is a child of the last shallower one). ``#`` starts a comment line; values may be quoted with
    ``"`` or ``'`` or bare (a bare value ends at ``#``).
    """
    out: Dict[str, str] = {}
    stack: List[tuple] = []  # (indent, name)
    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        name, sep, value = stripped.partition("=")
        name = name.strip()
        path = "/".join([n for _, n in stack] + [name])
        if sep:
            value = value.strip()
            if value[:1] in ("\"", "'"):
                q = value[0]
                end = value.find(q, 1)
                value = value[1:end] if end > 0 else value[1:]
            else:
                value = value.split("#", 1)[0].strip()
            out[path] = value
        else:
            out.setdefault(path, "")
        stack.append((indent, name))
    return out


@dataclass
class Certificate:
    """A zcert: the public key, the secret key (secret certificates only) and the metadata."""
    public_key: str
    secret_key: Optional[str] = None
    meta: Dict[str, str] = field(default_factory=dict)
    path: Optional[str] = None

    def __repr__(self) -> str:  # never show the secret
        return f"Certificate(public_key={self.public_key!r}, meta={self.meta!r}, path={self.path!r})"


def _key_field(values: Dict[str, str], name: str, file: Path) -> str:
    key = values.get(f"curve/{name}", "")
    if len(key) != Z85_KEY_LENGTH:
        raise KeyFileError(f"{file} has no valid curve/{name} (a ZeroMQ certificate holds 40 Z85 characters there)")
    return key


def _read_zpl(file: Path, what: str) -> Dict[str, str]:
    if not file.exists():
        raise KeyFileError(f"no {what} at {file} (`jupiter up` creates node keys; `jupiter client add` client keys)")
    try:
        return parse_zpl(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(f"cannot read the {what} {file}: {e}") from None


def load_public_certificate(path: PathLike) -> Certificate:
    """Reads NAME.key (a secret certificate works too: only its public key is used)."""
    file = Path(path)
    values = _read_zpl(file, "public certificate")
    meta = {k[len("metadata/"):]: v for k, v in values.items() if k.startswith("metadata/")}
    return Certificate(_key_field(values, "public-key", file), None, meta, str(file))


def check_secret_file_mode(path: PathLike) -> None:
    """Refuses a secret key file that group or others can read (as the C++ side does)."""
    file = Path(path)
    try:
        st = file.stat()
    except OSError as e:
        raise KeyFileError(f"cannot read the secret key {file}: {e.strerror}") from None
    if st.st_mode & 0o077:
        raise KeyFileError(f"the secret key {file} is readable by group or others (mode "
                           f"{stat.S_IMODE(st.st_mode):04o}); it must be private to its owner: run `chmod 600 {file}`")


def load_secret_certificate(path: PathLike) -> Certificate:
    """Reads NAME.key_secret (``NAME.key`` is taken to mean ``NAME.key_secret``, as the CLI does)."""
    file = Path(path)
    if file.name.endswith(".key"):
        file = file.with_name(file.name + "_secret")
    if file.exists():
        check_secret_file_mode(file)
    values = _read_zpl(file, "secret key")
    meta = {k[len("metadata/"):]: v for k, v in values.items() if k.startswith("metadata/")}
    return Certificate(_key_field(values, "public-key", file), _key_field(values, "secret-key", file), meta, str(file))


def write_certificate(path_base: PathLike, public_key: str, secret_key: Optional[str] = None,
                      meta: Optional[Dict[str, str]] = None) -> None:
    """Writes ``BASE.key`` (and ``BASE.key_secret`` when a secret key is given, mode 0600) in the
    zcert format. For tests and tools; registering a client is `jupiter client add`'s job."""
    base = Path(path_base)
    meta = meta or {}

    def render(kind: str, with_secret: bool) -> str:
        lines = ["#   ****  Generated by jupiter_client (Python)  ****",
                 f"#   ZeroMQ CURVE {kind} Certificate", ""]
        if meta:
            lines.append("metadata")
            lines += [f"    {k} = \"{v}\"" for k, v in meta.items()]
        lines.append("curve")
        lines.append(f"    public-key = \"{public_key}\"")
        if with_secret:
            lines.append(f"    secret-key = \"{secret_key}\"")
        return "\n".join(lines) + "\n"

    pub = base.with_name(base.name + ".key")
    pub.write_text(render("**Public**", False), encoding="utf-8")
    if secret_key is not None:
        sec = base.with_name(base.name + ".key_secret")
        fd = os.open(sec, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render("**Secret**", True))
        os.chmod(sec, 0o600)


# ---- the cluster folder --------------------------------------------------------------------

@dataclass
class NodeInfo:
    name: str
    role: str
    endpoint: str


@dataclass
class ClusterConfig:
    """What a client needs from DIR/jupiter.toml."""
    source: Path
    dir: Path
    security: str            # "curve" or "none"
    keys_dir: Path
    nodes: List[NodeInfo]
    client_timeout_ms: int = 10000

    def endpoints_of(self, role: str) -> List[str]:
        return [n.endpoint for n in self.nodes if n.role == role]

    def node_at(self, endpoint: str) -> Optional[NodeInfo]:
        for n in self.nodes:
            if n.endpoint == endpoint:
                return n
        return None

    @property
    def gateways(self) -> List[str]:
        return self.endpoints_of("gateway")

    def server_key(self, endpoint: str) -> str:
        """The public key of the node at ``endpoint`` (from keys_dir/NODE.key)."""
        node = self.node_at(endpoint)
        if node is None:
            raise ConfigError(f"{endpoint} is the endpoint of no node in {self.source}: its public key is unknown, so "
                              f"it cannot be reached securely")
        return load_public_certificate(self.keys_dir / f"{node.name}.key").public_key

    def default_key_file(self) -> Path:
        """$JUPITER_KEY, else keys_dir/admin.key_secret (the CLI's rule)."""
        env = os.environ.get("JUPITER_KEY")
        return Path(env) if env else self.keys_dir / "admin.key_secret"


def find_config(dir_or_file: PathLike) -> Path:
    p = Path(dir_or_file)
    return p if p.is_file() else p / "jupiter.toml"


def load_cluster(dir_or_file: PathLike) -> ClusterConfig:
    """Reads the cluster folder's jupiter.toml (or the file given)."""
    if _toml is None:  # pragma: no cover
        raise ConfigError("reading jupiter.toml needs Python 3.11 (tomllib)")
    file = find_config(dir_or_file)
    try:
        with open(file, "rb") as f:
            doc = _toml.load(f)
    except FileNotFoundError:
        raise ConfigError(f"no {file}: is there a cluster in {file.parent}? (`jupiter up --dir {file.parent}` "
                          f"creates one)") from None
    except (OSError, _toml.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {file}: {e}") from None
    cluster = doc.get("cluster", {}) if isinstance(doc.get("cluster"), dict) else {}
    cdir = Path(cluster.get("dir") or file.parent)
    if not cdir.is_absolute():
        cdir = file.parent / cdir
    sec = doc.get("security", {}) if isinstance(doc.get("security"), dict) else {}
    mode = sec.get("mode", "curve")
    if mode not in ("curve", "none"):
        raise ConfigError(f"{file}: [security] mode = \"{mode}\" (accepted: curve, none)")
    keys = sec.get("keys_dir") or ""
    if keys:
        keys_dir = Path(keys)
        if not keys_dir.is_absolute():
            keys_dir = file.parent / keys_dir
    else:
        keys_dir = cdir / "keys"
    nodes = []
    for n in doc.get("node", []) or []:
        if isinstance(n, dict) and isinstance(n.get("name"), str) and isinstance(n.get("endpoint"), str):
            nodes.append(NodeInfo(n["name"], str(n.get("role", "")), n["endpoint"]))
    gw = doc.get("gateway", {}) if isinstance(doc.get("gateway"), dict) else {}
    timeout = gw.get("client_timeout_ms", 10000)
    return ClusterConfig(file, cdir, mode, keys_dir, nodes, int(timeout) if isinstance(timeout, int) else 10000)
