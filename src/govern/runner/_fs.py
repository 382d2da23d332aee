"""Object storage: `s3://`, `gs://` and `abfs://` URIs through pyarrow.fs, and their identity.

Nothing else in govern knows where bytes come from: a source is either a local `Path` or
a URI string (see `is_uri`), and this module lists, opens and identifies the URIs.

Credentials come from each cloud's standard chain, never from the URI: pyarrow's
filesystems read them as the SDKs do (S3: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
`AWS_SESSION_TOKEN`, `AWS_PROFILE` and ~/.aws files, instance metadata; GCS: application
default credentials; Azure: `AZURE_*` variables / DefaultAzureCredential). The S3 endpoint
is read here from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` and the region from
`AWS_REGION` / `AWS_DEFAULT_REGION`, as the AWS SDKs document
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), because
pyarrow's `S3FileSystem(...)` constructor does not read the endpoint variable itself. A URI
carrying a secret (`s3://KEY:SECRET@bucket/...`, `?access_key=...`, a SAS token) is refused,
so no secret can reach evidence, provenance or logs.

An object's identity is its size plus its ETag (or version id, when the bucket is
versioned), read from the object's metadata (one HEAD request): S3 gives a new ETag to new
content. Stores that expose no ETag get the SHA-256 of the parquet footer read through the
filesystem instead (runner/_identity.py), as for local files.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from govern.errors import MetricInputError, UserInputError

SCHEMES = ("s3", "gs", "gcs", "abfs", "abfss")
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Query keys that carry credentials (pyarrow's from_uri options, presigned S3, Azure SAS).
_SECRET_KEYS = {
    "access_key",
    "secret_key",
    "session_token",
    "password",
    "token",
    "sig",
    "signature",
    "x-amz-credential",
    "x-amz-signature",
    "x-amz-security-token",
    "credential",
}
MAX_ATTEMPTS_ENV = "GOVERN_S3_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 5.0

_lock = threading.Lock()
_filesystems: dict[tuple[str, str], pafs.FileSystem] = {}


def log_retries() -> None:
    """Print the S3 client's warnings (each retry with its back-off) on stderr: --debug.

    Only at the Warn level, which logs failures and retries but no request headers. Takes
    effect only before the first S3 request of the process.
    """
    with contextlib.suppress(pa.ArrowException, OSError):  # already initialised: keep it
        pafs.initialize_s3(pafs.S3LogLevel.Warn)


def reset() -> None:
    """Forget the cached filesystems (they hold the environment read when first built)."""
    with _lock:
        _filesystems.clear()


def is_uri(source: object) -> bool:
    """Whether `source` is an object-storage URI (a str with one of SCHEMES)."""
    if not isinstance(source, str):
        return False
    m = _URI.match(source)
    return m is not None and m.group(1).lower() in SCHEMES


def scheme_of(text: str) -> str | None:
    """The URI scheme of `text` (any scheme, lower case), or None for a plain path."""
    m = _URI.match(text)
    return m.group(1).lower() if m else None


def redact(uri: str) -> str:
    """`uri` without user info or query (what may be printed when refusing it)."""
    parts = urlsplit(uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}"


def check_uri(uri: str) -> None:
    """Refuse unknown schemes and URIs that carry credentials (exit 2)."""
    scheme = scheme_of(uri)
    if scheme == "file":
        return
    if scheme not in SCHEMES:
        raise UserInputError(
            f"{redact(uri)}: unsupported URI scheme {scheme!r}; valid schemes are: "
            "s3, gs, abfs, abfss (or a local path)"
        )
    parts = urlsplit(uri)
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else None
    # abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/ names the container before the "@";
    # only a ":" (a password) there is a secret. Elsewhere any user info is a key.
    secret = userinfo is not None and (scheme not in ("abfs", "abfss") or ":" in userinfo)
    keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if secret or keys & _SECRET_KEYS:
        raise UserInputError(
            f"{redact(uri)}: the URI carries credentials; govern refuses them so that no "
            "secret is stored in evidence or logs. Remove them from the URI and use the "
            "standard credential chain (e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, or GOOGLE_APPLICATION_CREDENTIALS)"
        )
    if parts.query:
        raise UserInputError(
            f"{redact(uri)}: URI options (?{', '.join(sorted(keys))}) are not accepted; set "
            "the endpoint and region through the environment (AWS_ENDPOINT_URL, AWS_REGION)"
        )
    if not parts.netloc:
        raise UserInputError(f"{uri}: the URI names no bucket; e.g. s3://BUCKET/PREFIX/")


def _max_attempts() -> int:
    raw = os.environ.get(MAX_ATTEMPTS_ENV, str(DEFAULT_MAX_ATTEMPTS))
    try:
        n = int(raw)
    except ValueError as exc:
        raise UserInputError(f"{MAX_ATTEMPTS_ENV}={raw!r} is not a whole number") from exc
    if not 1 <= n <= 20:
        raise UserInputError(f"{MAX_ATTEMPTS_ENV} must be between 1 and 20, got {n}")
    return n


def s3_options() -> dict[str, Any]:
    """S3FileSystem keywords from the standard environment (never a credential value)."""
    opts: dict[str, Any] = {
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=_max_attempts()),
        "connect_timeout": CONNECT_TIMEOUT,
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserInputError(
                f"AWS_ENDPOINT_URL={endpoint!r} is not an http(s) URL, e.g. http://127.0.0.1:9000"
            )
        opts["endpoint_override"] = parts.netloc + parts.path.rstrip("/")
        opts["scheme"] = parts.scheme
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        opts["region"] = region
    return opts


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem serving `uri` (one per scheme and account), and the path in it."""
    check_uri(uri)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        key = ("s3", "")
        path = parts.netloc + parts.path
    else:
        key = (scheme, parts.netloc.rsplit("@", 1)[-1])
        path = ""
    with _lock:
        fs = _filesystems.get(key)
    if fs is None:
        try:
            if scheme == "s3":
                fs = pafs.S3FileSystem(**s3_options())
            else:
                fs, path = pafs.FileSystem.from_uri(uri)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise UserInputError(f"{redact(uri)}: cannot set up the filesystem: {exc}") from exc
        with _lock:
            _filesystems.setdefault(key, fs)
    if not path:
        _, path = pafs.FileSystem.from_uri(uri)
    return fs, path.rstrip("/") if path.endswith("/") and len(path) > 1 else path


def uri_of(uri: str, path: str) -> str:
    """The URI of `path` inside the filesystem that served `uri` (listing results)."""
    parts = urlsplit(uri)
    if parts.scheme.lower() == "s3":
        return f"s3://{path}"
    if parts.scheme.lower() in ("gs", "gcs"):  # gs://BUCKET/KEY: the path starts with the bucket
        return f"gs://{path}"
    # abfs: the path starts with the container, named in the URI before "@ACCOUNT" or first
    # in its path (abfs://ACCOUNT.dfs.core.windows.net/CONTAINER/...).
    if "@" in parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/{path.split('/', 1)[1] if '/' in path else ''}"
    return f"{parts.scheme}://{parts.netloc}/{path}"


def store_error(uri: str, exc: BaseException, doing: str) -> MetricInputError:
    """An object-store failure as a clear error naming the URI (never a credential)."""
    text = " ".join(str(exc).split())
    low = text.lower()
    if any(k in low for k in ("access denied", "access_denied", "accessdenied", "forbidden")):
        cause = "permission denied; check the credentials and the bucket policy"
    elif "nosuchbucket" in low or "bucket does not exist" in low:
        cause = "the bucket does not exist"
    elif "path does not exist" in low or "nosuchkey" in low or "not found" in low:
        cause = "no such object"
    elif "network_connection" in low or "curlcode" in low or "connect" in low:
        cause = (
            "the endpoint is unreachable; check AWS_ENDPOINT_URL / the network "
            f"({_max_attempts()} attempts were made)"
        )
    else:
        cause = text
    return MetricInputError(f"cannot {doing}: {cause}", path=redact(uri))


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object: its URI, size and modification time."""

    uri: str
    size: int
    mtime: float


def info(uri: str) -> pafs.FileInfo:
    """The FileInfo of `uri` (errors name the URI)."""
    fs, path = filesystem(uri)
    try:
        return fs.get_file_info(path)
    except (pa.ArrowException, OSError) as exc:
        raise store_error(uri, exc, "read the object's metadata") from exc


def list_objects(uri: str, suffixes: tuple[str, ...]) -> list[str]:
    """Parquet objects under the prefix `uri`, or `uri` itself if it is one object.

    Hidden names (`_SUCCESS`, `.crc`, `_delta_log/`) are skipped, as for local directories.
    """
    fs, path = filesystem(uri)
    fi = info(uri)
    if fi.type == pafs.FileType.File:
        return [uri]
    if fi.type == pafs.FileType.NotFound:
        bucket = path.split("/", 1)[0]
        if (
            urlsplit(uri).scheme.lower() in ("s3", "gs", "gcs")
            and "/" in path.strip("/")
            and info(uri_of(uri, bucket)).type == pafs.FileType.NotFound
        ):
            raise MetricInputError(f"the bucket {bucket!r} does not exist", path=redact(uri))
        raise MetricInputError("no such object or prefix", path=redact(uri))
    try:
        found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    except (pa.ArrowException, OSError) as exc:
        raise store_error(uri, exc, "list the prefix") from exc
    base = path.rstrip("/")
    out = []
    for f in found:
        if f.type != pafs.FileType.File or not f.path.endswith(suffixes):
            continue
        rel = f.path[len(base) :].lstrip("/")
        if any(part.startswith(("_", ".")) for part in rel.split("/")):
            continue
        out.append(uri_of(uri, f.path))
    if not out:
        raise UserInputError(f"no parquet objects under {redact(uri)!r}")
    return sorted(out)


def glob_objects(pattern: str, suffixes: tuple[str, ...]) -> list[str]:
    """Objects matching a glob (`*`, `?`, `[...]`; `**` crosses `/`).

    The prefix before the first wildcard is listed, then filtered by the pattern.
    """
    import fnmatch

    parts = urlsplit(pattern)
    wild = min(i for i, c in enumerate(pattern) if c in "*?[")
    prefix = pattern[:wild].rsplit("/", 1)[0]
    if len(prefix) <= len(f"{parts.scheme}://"):
        raise UserInputError(
            f"{redact(pattern)}: the pattern must name a bucket before any wildcard"
        )
    regex = re.compile(
        fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
    )
    try:
        candidates = list_objects(prefix, suffixes)
    except UserInputError:
        candidates = []
    found = [u for u in candidates if regex.match(u)]
    if not found:
        raise UserInputError(f"no objects match the pattern {redact(pattern)!r}")
    return found


@dataclass(frozen=True)
class ObjectIdentity:
    """What an object was when it was looked at: size, ETag / version id, mtime."""

    path: str  # the URI (named path like FileIdentity's, for provenance)
    size: int
    mtime: float
    fingerprint: str  # "etag:<etag>", "version:<id>" or "sha256:<footer hash>"

    @property
    def key(self) -> tuple[str, int, float, str]:
        """(uri, size, mtime, version): the key of the object's stored partial states."""
        return self.path, self.size, self.mtime, self.fingerprint

    @property
    def version(self) -> str:
        """The token a worker checks (size and ETag / version id)."""
        return f"{self.fingerprint};size={self.size}"

    def differences(self, other: ObjectIdentity) -> list[str]:
        """Names of the attributes that differ (empty: the same object version)."""
        return [
            n for n in ("size", "fingerprint", "mtime") if getattr(self, n) != getattr(other, n)
        ]


def identify_object(uri: str) -> ObjectIdentity:
    """Size, mtime and ETag (or version id, or footer hash) of an object, one HEAD request."""
    fs, path = filesystem(uri)
    try:
        with fs.open_input_file(path) as f:
            meta = f.metadata()
            size = f.size()
            tag = _version_tag(meta)
            if tag is None:  # no ETag exposed: hash the parquet footer through the fs
                from govern.runner._identity import footer_digest

                tag = footer_digest(lambda n, off: f.read_at(n, off), size, redact(uri))
    except (pa.ArrowException, OSError) as exc:
        raise store_error(uri, exc, "open the object") from exc
    mtime = _mtime(meta)
    if mtime is None:
        fi = info(uri)
        mtime = fi.mtime.timestamp() if isinstance(fi.mtime, datetime) else 0.0
    return ObjectIdentity(uri, size, mtime, tag)


def _version_tag(meta: Any) -> str | None:
    """The version tag: "version:<id>" (versioned bucket), else "etag:<etag>", else None."""
    if meta is None:
        return None
    md = {(k.decode() if isinstance(k, bytes) else str(k)).lower(): v for k, v in meta.items()}
    for key, prefix in (("versionid", "version"), ("etag", "etag")):
        v = md.get(key)
        if v:
            text = v.decode() if isinstance(v, bytes) else str(v)
            if text and text != "null":
                return prefix + ":" + text.strip('"')
    return None


def _mtime(meta: Any) -> float | None:
    if meta is None:
        return None
    md = {(k.decode() if isinstance(k, bytes) else str(k)).lower(): v for k, v in meta.items()}
    raw = md.get("last-modified")
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def open_object(uri: str) -> pa.NativeFile:
    """A random-access reader of the object (its reads are ranged GETs)."""
    fs, path = filesystem(uri)
    try:
        return fs.open_input_file(path)
    except (pa.ArrowException, OSError) as exc:
        raise store_error(uri, exc, "open the object") from exc
