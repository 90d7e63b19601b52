"""Credentials at rest: MultiFernet over the keys of FUSIONHUB_SECRET_KEYS or a generated key file.

Keys are listed newest first: the newest encrypts, every key decrypts, so a rotation is
"add a key in front, re-encrypt everything, drop the old key later". A value no key can
decrypt raises SecretsError naming where the keys came from; nothing is ever overwritten
with data that could not be read back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from fusionhub.credentials import Credentials
from fusionhub.errors import FusionHubError

ENV_KEYS = "FUSIONHUB_SECRET_KEYS"
ENV_KEY_FILE = "FUSIONHUB_SECRET_KEY_FILE"


class SecretsError(FusionHubError):
    default_message = "Stored credentials cannot be decrypted with the configured keys."


def default_key_file() -> Path:
    from fusionhub.storage.url import data_dir

    return Path(os.environ.get(ENV_KEY_FILE) or data_dir() / "secret.keys")


def _parse(keys: Sequence[str], source: str) -> list[Fernet]:
    fernets = []
    for index, key in enumerate(k.strip() for k in keys):
        if not key:
            continue
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise SecretsError(
                f"key #{index + 1} in {source} is not a Fernet key (32 url-safe base64 bytes); "
                "generate one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`"
            ) from None
    return fernets


class Keyring:
    """The keys in use and where they came from (for error messages, never the keys themselves)."""

    def __init__(self, keys: Sequence[str], source: str, key_file: Path | None = None) -> None:
        self._keys = [k.strip() for k in keys if k.strip()]
        self.source = source
        self.key_file = key_file
        fernets = _parse(self._keys, source)
        if not fernets:
            raise SecretsError(f"no secret key in {source}")
        self._fernet = MultiFernet(fernets)

    @classmethod
    def load(cls, key_file: Path | None = None, *, create: bool = True) -> Keyring:
        """Keys from FUSIONHUB_SECRET_KEYS, else from the key file (generated with mode 0600 if absent)."""
        env = os.environ.get(ENV_KEYS)
        if env:
            return cls(env.split(","), f"${ENV_KEYS}")
        path = key_file or default_key_file()
        if not path.exists():
            if not create:
                raise SecretsError(f"no secret key: set {ENV_KEYS} or restore the key file {path}")
            _write_key_file(path, [Fernet.generate_key().decode()], exclusive=True)
        if path.stat().st_mode & 0o077:
            raise SecretsError(f"key file {path} is readable by others; run `chmod 600 {path}`")
        lines = path.read_text(encoding="ascii").split()
        return cls(lines, f"key file {path}", key_file=path)

    @property
    def size(self) -> int:
        return len(self._keys)

    def encrypt(self, credentials: Mapping[str, str]) -> str:
        values = credentials.reveal() if isinstance(credentials, Credentials) else dict(credentials)
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")

    def decrypt(self, token: str, *, what: str = "credentials") -> Credentials:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise SecretsError(
                f"cannot decrypt {what}: none of the {self.size} key(s) in {self.source} fits. "
                f"Put the key they were encrypted with into {ENV_KEYS} (newest first) or restore the key file."
            ) from None
        return Credentials(json.loads(plain))

    def rotate(self, token: str, *, what: str = "credentials") -> str:
        """The same plaintext encrypted under the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretsError(f"cannot re-encrypt {what}: none of the keys in {self.source} fits") from None

    def with_new_key(self) -> Keyring:
        """A keyring with a fresh key in front; a key file is rewritten (0600) to hold it."""
        keys = [Fernet.generate_key().decode(), *self._keys]
        if self.key_file is None:
            raise SecretsError(
                f"keys come from {self.source}: add a new key at the front of {ENV_KEYS} yourself, then rotate"
            )
        _write_key_file(self.key_file, keys, exclusive=False)
        return Keyring(keys, self.source, key_file=self.key_file)

    def __repr__(self) -> str:
        return f"Keyring(keys={self.size}, source={self.source!r})"


def _write_key_file(path: Path, keys: Sequence[str], *, exclusive: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("\n".join(keys) + "\n")
        return
    # Replace atomically so a crash never leaves a half-written key file.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("\n".join(keys) + "\n")
    os.replace(tmp, path)
