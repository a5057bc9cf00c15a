"""What an importer reads: one file on disk, or one member of a zip archive."""

from __future__ import annotations

import functools
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote

from shizu.chat.media import contained_file
from shizu.store import file_sha256


@dataclass(frozen=True)
class LocalFile:
    """A local file an export refers to: its resolved path, or why there is none."""

    path: str | None
    refused: bool = False  # the reference pointed outside the export's folder


@dataclass(frozen=True)
class Source:
    path: Path  # the file on disk (the archive, for zip members)
    member: str | None = None  # the path inside the zip archive

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def filename(self) -> str:
        return PurePosixPath(self.member).name if self.member else self.path.name

    @property
    def parts(self) -> tuple[str, ...]:
        """Path components, inside the archive for zip members (for layout-based detection)."""
        return PurePosixPath(self.member).parts if self.member else self.path.parts

    def size(self) -> int:
        if self.member:
            return archive(self.path).getinfo(self.member).file_size
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        """The file's bytes as a stream; an archive member only within the expansion limits."""
        if self.member:
            check_member(self)
        return self._open()

    def _open(self) -> BinaryIO:
        if self.member:
            return archive(self.path).open(self.member)  # zipfile never yields more than the declared size
        return open(self.path, "rb")

    def sha256(self) -> str:
        """The hash recorded for this source (a zip member: the archive's hash and the member's name)."""
        digest = file_sha256(self.path)
        return f"{digest}!{self.member}" if self.member else digest

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def head(self, n: int = 65536) -> bytes:
        with self._open() as fh:
            return fh.read(n)

    def sibling(self, name: str) -> Source | None:
        """A file next to this one (same folder, same archive), or None if it does not exist."""
        if self.member:
            member = str(PurePosixPath(self.member).with_name(name))
            return Source(self.path, member) if member in archive_names(self.path) else None
        candidate = self.path.with_name(name)
        return Source(candidate) if candidate.is_file() else None

    def local_file(self, reference: str) -> LocalFile:
        """The file an export names by a local path (relative, absolute, ``\\`` or %-encoded).

        Only a regular file that stays inside this export's folder, symlinks followed, is
        returned (:func:`shizu.chat.media.contained_file`, the one rule); a reference that
        resolves outside is ``refused`` (reason code ``media-path-outside-export``). Zip members
        have no local files.
        """
        if self.member or not reference or "://" in reference or reference.startswith("data:") or "\0" in reference:
            return LocalFile(None)
        folder = self.path.parent
        text = reference.replace("\\", "/")
        refused = False
        for candidate in (text, unquote(text)) if "%" in text else (text,):
            try:
                outside = not (folder.resolve() / candidate).resolve().is_relative_to(folder.resolve())
            except (OSError, RuntimeError, ValueError):
                continue
            if outside:
                refused = True
                continue
            found = contained_file(candidate, folder)
            if found is not None:
                return LocalFile(str(found))
        return LocalFile(None, refused=refused)

    def relative(self, *parts: str) -> Source | None:
        """A file at ``parts`` relative to this file's folder ('..' allowed), or None."""
        if self.member:
            base = PurePosixPath(self.member).parent
            target = _normalise(base.joinpath(*parts))
            return Source(self.path, str(target)) if str(target) in archive_names(self.path) else None
        candidate = self.path.parent.joinpath(*parts).resolve()
        return Source(candidate) if candidate.is_file() else None


def _normalise(path: PurePosixPath) -> PurePosixPath:
    out: list[str] = []
    for part in path.parts:
        if part == "..":
            if out:
                out.pop()
        elif part != ".":
            out.append(part)
    return PurePosixPath(*out)


def is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)
    except OSError:
        return False


def zip_members(path: Path) -> list[Source]:
    return [Source(path, info.filename) for info in archive(path).infolist() if not info.is_dir()]


def archive(path: Path) -> zipfile.ZipFile:
    """The zip archive at ``path``, opened once: a data package holds thousands of members, and
    opening the archive again for each one would parse its whole directory each time (100 s for
    6,000 members, against 0.03 s). Reopened when the file changes."""
    stat = path.stat()
    return _open_archive(path.resolve(), stat.st_mtime_ns, stat.st_size)


def archive_names(path: Path) -> frozenset[str]:
    stat = path.stat()
    return _archive_names(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _open_archive(path: Path, mtime_ns: int, size: int) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


@functools.lru_cache(maxsize=8)
def _archive_names(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    return frozenset(_open_archive(path, mtime_ns, size).namelist())


def text_stream(source: Source) -> io.TextIOWrapper:
    """The source as text (UTF-8, BOM stripped, newlines kept as written)."""
    return io.TextIOWrapper(source.open(), encoding="utf-8-sig", newline="")


MAX_MEMBER_MB_ENV = "SHIZU_MAX_MEMBER_MB"
MAX_RATIO_ENV = "SHIZU_MAX_ZIP_RATIO"
MAX_MEMBER_MB = 4096  # the largest archive member read (expanded)
MAX_RATIO = 100  # expanded / compressed size above which a large member is refused (zip bombs: 1000x and more)
RATIO_FLOOR_MB = 64  # members smaller than this may compress as well as they like


def check_member(source: Source) -> None:
    """Refuse an archive member that would expand beyond the limits, before reading any of it.

    The declared size is what :mod:`zipfile` will yield at most (it stops there), so checking it
    bounds the memory a whole-file read can take. Limits: ``$SHIZU_MAX_MEMBER_MB`` (default
    4096) and ``$SHIZU_MAX_ZIP_RATIO`` (default 100, for members over 64 MB).
    """
    from shizu.errors import IngestError

    info = archive(source.path).getinfo(source.member or "")
    max_mb = _limit(MAX_MEMBER_MB_ENV, MAX_MEMBER_MB)
    size_mb = info.file_size / 1e6
    if size_mb > max_mb:
        raise IngestError(
            source.name, f"expands to {size_mb:,.0f} MB, over the {max_mb:,.0f} MB limit for one archive member",
            hint=f"Unzip the archive and ingest the folder, or raise the limit: {MAX_MEMBER_MB_ENV}={int(size_mb) + 1} shizu ingest ...",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    max_ratio = _limit(MAX_RATIO_ENV, MAX_RATIO)
    if size_mb > RATIO_FLOOR_MB and ratio > max_ratio:
        raise IngestError(
            source.name,
            f"expands {ratio:,.0f}x (from {info.compress_size / 1e6:,.1f} MB to {size_mb:,.0f} MB), over the {max_ratio:,.0f}x"
            " limit for archive members: real exports compress far less, so the archive is damaged or crafted (a zip bomb)",
            hint=f"If it is a real export, unzip it and ingest the folder, or raise the limit: {MAX_RATIO_ENV}={int(ratio) + 1} shizu ingest ...",
        )


def _limit(env: str, default: float) -> float:
    try:
        return float(os.environ.get(env, "")) or default
    except ValueError:
        return default
