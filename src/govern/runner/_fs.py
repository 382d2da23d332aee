"""Object storage: `s3://`, `gs://` and `abfs://` URIs through pyarrow.fs, and their identity.

Nothing else in govern knows where bytes come from: a source is either a local `Path` or
a URI string (see `is_uri`), and this module lists, opens and identifies the URIs.

Credentials come from each cloud's standard chain, never from the URI: pyarrow's
filesystems read them as the SDKs do (S3: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
`AWS_SESSION_TOKEN`, `AWS_PROFILE` and ~/.aws files, instance metadata; GCS: application
default credentials; Azure: DefaultAzureCredential). The S3 endpoint is read here from
`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` and the region from `AWS_REGION` /
`AWS_DEFAULT_REGION`, as the AWS SDKs document
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), because
pyarrow's `S3FileSystem(...)` constructor does not read the endpoint variable itself. The
same holds for the other two clouds' emulator and account settings, read here in each
one's own style: `STORAGE_EMULATOR_HOST` for GCS (as Google's client libraries read it),
`AZURE_STORAGE_CONNECTION_STRING` or `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY` for
Azure (as the Azure CLI reads them). A URI carrying a secret (`s3://KEY:SECRET@bucket/...`,
`?access_key=...`, a SAS token) is refused, so no secret can reach evidence, provenance or
logs; nor does any message here repeat a variable that can hold one.

An object's identity is its size plus its version: the S3 version id or ETag, the GCS
generation, the Azure ETag, read from the object's metadata (one HEAD request); each store
gives new content a new one. Stores that expose none get the SHA-256 of the parquet footer
read through the filesystem instead (runner/_identity.py), as for local files.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
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
# How long the GCS client retries a transient error before giving up (its default is 15 min).
GCS_RETRY_SECONDS = 15.0
GCS_EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
AZURE_CONNECTION_ENV = "AZURE_STORAGE_CONNECTION_STRING"
# The Azure Storage emulator's documented development account (a public, well-known key,
# https://learn.microsoft.com/azure/storage/common/storage-use-azurite): what a connection
# string `UseDevelopmentStorage=true` stands for.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_AZURE_HOST = re.compile(r"^([a-z0-9]{3,24})\.(?:blob|dfs)\.core\.windows\.net$", re.I)

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
    """`uri` without user info or query (what may be printed when refusing it).

    The container of `abfs://CONTAINER@ACCOUNT...` is kept: it is a name, not a secret
    (a `CONTAINER:PASSWORD@` is dropped whole).
    """
    parts = urlsplit(uri)
    user, at, host = parts.netloc.rpartition("@")
    if at and parts.scheme.lower() in ("abfs", "abfss") and ":" not in user:
        host = f"{user}@{host}"
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


def _endpoint(name: str, value: str) -> tuple[str, str]:
    """(host[:port][/path], scheme) of an endpoint variable's URL (a bare host: https)."""
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserInputError(f"{name}={value!r} is not an http(s) URL, e.g. http://127.0.0.1:9000")
    return parts.netloc + parts.path.rstrip("/"), parts.scheme


def gcs_options() -> dict[str, Any]:
    """GcsFileSystem keywords from the environment.

    `STORAGE_EMULATOR_HOST` (e.g. `http://127.0.0.1:4443`, as Google's client libraries read
    it) points at an emulator, without credentials, as those libraries do; otherwise the
    application default credentials apply. Retries of transient errors stop after
    GCS_RETRY_SECONDS, so an unreachable endpoint fails the scan instead of hanging it.
    """
    opts: dict[str, Any] = {"retry_time_limit": timedelta(seconds=GCS_RETRY_SECONDS)}
    emulator = os.environ.get(GCS_EMULATOR_ENV)
    if emulator:
        opts["endpoint_override"], opts["scheme"] = _endpoint(GCS_EMULATOR_ENV, emulator)
        opts["anonymous"] = True
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project:
        opts["project_id"] = project
    return opts


def _connection_string() -> dict[str, str]:
    """The `Key=Value;...` pairs of AZURE_STORAGE_CONNECTION_STRING (keys lower case).

    Errors never repeat the value: it holds the account key.
    """
    raw = os.environ.get(AZURE_CONNECTION_ENV, "").strip()
    if not raw:
        return {}
    out: dict[str, str] = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise UserInputError(
                f"{AZURE_CONNECTION_ENV} is not a connection string of Key=Value pairs "
                "separated by ';' (its value is not shown: it holds a secret)"
            )
        out[key.strip().lower()] = value.strip()
    if out.get("usedevelopmentstorage", "").lower() == "true":
        proxy = out.get("developmentstorageproxyuri", "http://127.0.0.1").rstrip("/")
        out = {
            "accountname": AZURITE_ACCOUNT,
            "accountkey": AZURITE_KEY,
            "blobendpoint": f"{proxy}:10000/{AZURITE_ACCOUNT}",
            **{k: v for k, v in out.items() if k not in ("usedevelopmentstorage",)},
        }
    return out


def azure_options(account: str | None) -> dict[str, Any]:
    """AzureFileSystem keywords for `account` (None: the account the environment names).

    From `AZURE_STORAGE_CONNECTION_STRING` (AccountName, AccountKey or
    SharedAccessSignature, BlobEndpoint or DefaultEndpointsProtocol + EndpointSuffix; an
    emulator's BlobEndpoint is `http://127.0.0.1:10000/ACCOUNT`), else `AZURE_STORAGE_ACCOUNT`
    and `AZURE_STORAGE_KEY`, else pyarrow's DefaultAzureCredential.
    """
    cs = _connection_string()
    env_account = cs.get("accountname") or os.environ.get("AZURE_STORAGE_ACCOUNT")
    if account and env_account and account.lower() != env_account.lower():
        source = AZURE_CONNECTION_ENV if cs else "AZURE_STORAGE_ACCOUNT"
        raise UserInputError(
            f"the URI names the storage account {account!r} but {source} is for "
            f"{env_account!r}; use one account, or unset {source}"
        )
    name = account or env_account
    if not name:
        raise UserInputError(
            "the abfs:// URI names no storage account: write "
            "abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH, or set "
            f"{AZURE_CONNECTION_ENV} or AZURE_STORAGE_ACCOUNT"
        )
    opts: dict[str, Any] = {"account_name": name}
    if cs.get("accountkey"):
        opts["account_key"] = cs["accountkey"]
    elif cs.get("sharedaccesssignature"):
        opts["sas_token"] = cs["sharedaccesssignature"]
    elif not cs and os.environ.get("AZURE_STORAGE_KEY"):
        opts["account_key"] = os.environ["AZURE_STORAGE_KEY"]
    if cs.get("blobendpoint"):
        authority, scheme = _endpoint("BlobEndpoint", cs["blobendpoint"])
        host, _, path = authority.partition("/")
        if host.lower().startswith(name.lower() + "."):  # https://ACCOUNT.blob.<suffix>
            blob = host[len(name) :]
            dfs = blob.replace(".blob.", ".dfs.", 1)
        elif path.strip("/") in ("", name):  # path style (emulators): host/ACCOUNT
            blob = dfs = host
        else:
            raise UserInputError(
                f"{AZURE_CONNECTION_ENV}: BlobEndpoint must be https://ACCOUNT.blob.SUFFIX "
                "or an emulator's http://HOST:PORT/ACCOUNT"
            )
        opts.update(
            blob_storage_authority=blob,
            dfs_storage_authority=dfs,
            blob_storage_scheme=scheme,
            dfs_storage_scheme=scheme,
        )
    elif cs:
        scheme = cs.get("defaultendpointsprotocol", "https").lower()
        suffix = cs.get("endpointsuffix", "core.windows.net")
        opts.update(
            blob_storage_authority=f".blob.{suffix}",
            dfs_storage_authority=f".dfs.{suffix}",
            blob_storage_scheme=scheme,
            dfs_storage_scheme=scheme,
        )
    return opts


def _azure_parts(uri: str) -> tuple[str | None, str, str]:
    """(account or None, container, key) of an abfs URI, in any of its three forms.

    `abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/KEY`,
    `abfs://ACCOUNT.blob.core.windows.net/CONTAINER/KEY` and `abfs://CONTAINER/KEY`
    (the account from the environment).
    """
    parts = urlsplit(uri)
    path = parts.path.lstrip("/")
    if "@" in parts.netloc:
        container, host = parts.netloc.split("@", 1)
        m = _AZURE_HOST.match(host)
        if not m:
            raise UserInputError(
                f"{redact(uri)}: expected abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH "
                "(an emulator's endpoint comes from AZURE_STORAGE_CONNECTION_STRING)"
            )
        return m.group(1), container, path
    m = _AZURE_HOST.match(parts.netloc)
    if m:
        container, _, key = path.partition("/")
        if not container:
            raise UserInputError(f"{redact(uri)}: the URI names no container")
        return m.group(1), container, key
    return None, parts.netloc, path


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem serving `uri` (one per scheme and account), and the path in it."""
    check_uri(uri)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    account: str | None = None
    if scheme in ("s3", "gs", "gcs"):
        key = ("gs" if scheme == "gcs" else scheme, "")
        path = parts.netloc + parts.path
    else:
        account, container, obj = _azure_parts(uri)
        key = ("abfs", (account or "").lower())
        path = f"{container}/{obj}"
    with _lock:
        fs = _filesystems.get(key)
    if fs is None:
        try:
            if scheme == "s3":
                fs = pafs.S3FileSystem(**s3_options())
            elif scheme in ("gs", "gcs"):
                fs = pafs.GcsFileSystem(**gcs_options())
            else:
                fs = pafs.AzureFileSystem(**azure_options(account))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise UserInputError(f"{redact(uri)}: cannot set up the filesystem: {exc}") from exc
        with _lock:
            _filesystems.setdefault(key, fs)
    return fs, path.rstrip("/") if path.endswith("/") and len(path) > 1 else path


def uri_of(uri: str, path: str) -> str:
    """The URI of `path` inside the filesystem that served `uri` (listing results)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in ("s3", "gs", "gcs"):  # the path starts with the bucket
        return f"{parts.scheme}://{path}"
    # abfs: the path starts with the container; keep the URI's own form.
    container, _, key = path.partition("/")
    if "@" in parts.netloc:
        return f"{parts.scheme}://{container}@{parts.netloc.split('@', 1)[1]}/{key}"
    if _AZURE_HOST.match(parts.netloc):
        return f"{parts.scheme}://{parts.netloc}/{path}"
    return f"{parts.scheme}://{path}"


def store_error(uri: str, exc: BaseException, doing: str) -> MetricInputError:
    """An object-store failure as a clear error naming the URI (never a credential)."""
    text = " ".join(str(exc).split())
    low = text.lower()
    if any(
        k in low
        for k in (
            "access denied",
            "access_denied",
            "accessdenied",
            "forbidden",
            "permission_denied",
            "authorizationfailure",
            "authenticationfailed",
            "failed to authenticate",
        )
    ):
        cause = "permission denied; check the credentials and the bucket policy"
    elif "nosuchbucket" in low or "bucket does not exist" in low:
        cause = "the bucket does not exist"
    elif "path does not exist" in low or "nosuchkey" in low or "not found" in low:
        cause = "no such object"
    elif "network_connection" in low or "curlcode" in low or "connect" in low:
        scheme = scheme_of(uri)
        if scheme in ("gs", "gcs"):
            where = (
                f"{GCS_EMULATOR_ENV} (if set) / the network (retried for {GCS_RETRY_SECONDS:g} s)"
            )
        elif scheme in ("abfs", "abfss"):
            where = f"{AZURE_CONNECTION_ENV} (if set) / the network"
        else:
            where = f"AWS_ENDPOINT_URL / the network ({_max_attempts()} attempts were made)"
        cause = f"the endpoint is unreachable; check {where}"
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
        if "/" in path.strip("/") and info(uri_of(uri, bucket)).type == pafs.FileType.NotFound:
            what = "container" if urlsplit(uri).scheme.lower() in ("abfs", "abfss") else "bucket"
            raise MetricInputError(f"the {what} {bucket!r} does not exist", path=redact(uri))
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
    """The version tag, or None when the store exposes none.

    "version:<id>" (a versioned S3 bucket), "generation:<n>" (GCS), else "etag:<etag>".
    """
    if meta is None:
        return None
    md = {(k.decode() if isinstance(k, bytes) else str(k)).lower(): v for k, v in meta.items()}
    for key, prefix in (("versionid", "version"), ("generation", "generation"), ("etag", "etag")):
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
    raw = md.get("last-modified") or md.get("updated")  # S3 and Azure; GCS
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
