"""Reading a model's files without trusting them.

A model folder may come from anywhere, so its model.json decides nothing about where or
what the loader reads: a manifest path must stay inside the folder once every symlink
is resolved, must name a regular file (never a device that reads forever or a FIFO that
blocks), and is opened first and checked on the open descriptor (so the file checked is
the file read). Every read is bounded by a size decided beforehand, never by the file.
A .treino zip is held to the same rules: its member list and member sizes are checked
before a byte is inflated, and a member is read to its declared size and no further.

Every problem becomes a LoadError (a ValueError) naming the file (`where`) and the field.
"""
import json
import os
import stat
import struct
import zipfile
import zlib

from . import limits

PREFIX = "load_layers_model"
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) |
               getattr(os, "O_BINARY", 0))


class LoadError(ValueError):
    """The loaders' error: the file is not a model they can load, and why."""


def fail(where, message):
    return LoadError(f"{PREFIX}: {where}: {message}")


def short(value, n=120):
    """repr(value) cut to n characters, for error messages about untrusted values."""
    try:
        r = repr(value)
    except RecursionError:
        r = f"<{type(value).__name__}>"
    return r if len(r) <= n else r[:n] + "..."


def clip(text, n=2000):
    """A message part cut to n characters (a hostile file can make lists of any length)."""
    return text if len(text) <= n else text[:n] + "..."


def open_regular(path, where, what, nofollow=False):
    """A descriptor for path, checked (on the descriptor) to be a regular file.
    O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer."""
    flags = _OPEN_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise fail(where, f"cannot open {what}: {e.strerror}") from None
    except (ValueError, UnicodeError) as e:   # a NUL byte or an unencodable name
        raise fail(where, f"cannot open {what}: {e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail(where, f"{what} is not a regular file (a folder, device, FIFO or "
                              f"socket); a model's files must be regular files")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_limited(fd, limit, where, what):
    """All of fd's bytes, refusing at limit + 1 (the size fstat reports is a hint only)."""
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise fail(where, f"{what} is larger than the {limit} bytes a loader reads "
                              f"(treino.models.saving.limits)")


def read_limited_stream(f, limit, where, what):
    """read_limited for a file object (a zip member)."""
    data = f.read(limit + 1)
    if len(data) > limit:
        raise fail(where, f"{what} is larger than the {limit} bytes a loader reads")
    return data


def read_exact_into(readinto, view, where, what):
    """Fills view from readinto(memoryview) and checks that the source then ends: a file
    that changed size since it was checked is refused, not read on."""
    n = 0
    while n < len(view):
        k = readinto(view[n:])
        if not k:
            raise fail(where, f"{what} ended after {n} of its {len(view)} bytes (it changed "
                              f"while being read)")
        n += k
    if readinto(memoryview(bytearray(1))):
        raise fail(where, f"{what} holds more than the {len(view)} bytes it had when checked")


def parse_json(data, where, what):
    """The JSON value in data (UTF-8), with its nesting checked."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail(where, f"{what} is not UTF-8 text (invalid byte at offset {e.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise fail(where, f"{what} nests deeper than {limits.MAX_JSON_DEPTH} levels") from None
    except ValueError as e:   # JSONDecodeError, and ints longer than Python converts
        raise fail(where, f"{what} is not valid JSON ({clip(str(e), 200)})") from None
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > limits.MAX_JSON_DEPTH:
            raise fail(where, f"{what} nests deeper than {limits.MAX_JSON_DEPTH} levels")
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
    return value


def check_relative(rel, where, field):
    """A manifest path as TF.js writes them: a relative path of plain components."""
    if not isinstance(rel, str) or not rel:
        raise fail(where, f"{field} must be a non-empty string, received {short(rel)}")
    parts = rel.replace("\\", "/").split("/")
    if rel.startswith(("/", "\\")) or os.path.isabs(rel) or os.path.splitdrive(rel)[0] or \
            any(p in ("", "..") for p in parts) or "\0" in rel or len(rel) > 4096:
        raise fail(where, f"{field} is {short(rel)}; a weight path must be relative to the "
                          f"model's folder and stay inside it (no '..', no absolute path)")
    try:
        os.fsencode(rel)
    except UnicodeError:
        raise fail(where, f"{field} is {short(rel)}, which is not a valid file name") from None


class FolderSource:
    """The shard files of a model folder. size() checks and measures, read_into() reads;
    a file is opened afresh by each and must be the same file both times."""

    def __init__(self, folder, where):
        self.root = os.path.realpath(folder)
        self.where = where
        self._checked = {}      # rel -> (device, inode, size)
        self._identities = {}   # (device, inode) -> the field that named it first

    def open_inside(self, rel, field, what=None):
        """(descriptor, stat) of the regular file rel, which must resolve inside the folder."""
        what = what or f"weight shard {short(rel)} ({field})"
        check_relative(rel, self.where, field)
        full = os.path.realpath(os.path.join(self.root, rel))
        if os.path.commonpath([self.root, full]) != self.root or full == self.root:
            raise fail(self.where, f"{field} ({short(rel)}) leads outside the model's folder "
                                   f"(through a symlink); a loader reads only inside it")
        # O_NOFOLLOW: the resolved path has no symlink left, so one appearing now is refused.
        fd, st = open_regular(full, self.where, what, nofollow=True)
        if not self._still_inside(fd):
            os.close(fd)
            raise fail(self.where, f"{field} ({short(rel)}) moved outside the model's folder "
                                   f"while it was being opened")
        return fd, st

    def _still_inside(self, fd):
        # Where the platform says which file a descriptor is (Linux), check the opened
        # file too: a folder swapped for a symlink after realpath is caught here.
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return True
        return os.path.commonpath([self.root, real]) == self.root

    def size(self, rel, field):
        fd, st = self.open_inside(rel, field)
        os.close(fd)
        ident = (st.st_dev, st.st_ino)
        if ident in self._identities:
            raise fail(self.where, f"{field} ({short(rel)}) is the same file as "
                                   f"{self._identities[ident]}; every shard may be listed once")
        self._identities[ident] = field
        self._checked[rel] = ident + (st.st_size,)
        return st.st_size

    def read_into(self, rel, view, field):
        fd, st = self.open_inside(rel, field)
        with os.fdopen(fd, "rb", buffering=0) as f:
            if (st.st_dev, st.st_ino, st.st_size) != self._checked.get(rel):
                raise fail(self.where, f"{field} ({short(rel)}) changed while the model was "
                                       f"being loaded")
            read_exact_into(f.readinto, view, self.where, f"weight shard {short(rel)}")


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
               RuntimeError, ValueError, struct.error, UnicodeDecodeError)


def _zip_directory_size(f, size, where):
    """The central directory's size as zipfile will read it (the same end records, found
    the same way), so that it is checked before zipfile parses the directory."""
    tail_len = min(size, _EOCD.size + 65536)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = len(tail) - _EOCD.size
    if at < 0 or tail[at:at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise fail(where, "is not a readable .treino file (a zip): no end of central "
                          "directory; it may be truncated or corrupted")
    cd_size = _EOCD.unpack_from(tail, at)[5]
    end = size - tail_len + at
    if end >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size:
        f.seek(end - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size)
        rec = f.read(_ZIP64_EOCD.size + _ZIP64_LOCATOR.size)
        if rec[_ZIP64_EOCD.size:_ZIP64_EOCD.size + 4] == b"PK\x06\x07" and rec[:4] == b"PK\x06\x06":
            cd_size = _ZIP64_EOCD.unpack_from(rec)[8]
    return cd_size


class ZipSource:
    """The members of a .treino zip: the directory checked before zipfile parses it,
    each member's declared size before it is read, and each read bounded by it."""

    def __init__(self, path, where):
        self.where = where
        fd, st = open_regular(path, where, "the .treino file")
        self._file = os.fdopen(fd, "rb")
        try:
            cd_size = _zip_directory_size(self._file, st.st_size, where)
            if cd_size > limits.MAX_ZIP_DIRECTORY_BYTES:
                raise fail(where, f"the zip declares a {cd_size}-byte list of members; a "
                                  f".treino file's is a few hundred bytes (at most "
                                  f"{limits.MAX_ZIP_DIRECTORY_BYTES} are read)")
            self._file.seek(0)
            try:
                self._zip = zipfile.ZipFile(self._file)
                infos = self._zip.infolist()
            except LoadError:
                raise
            except _ZIP_ERRORS as e:
                raise fail(where, f"is not a readable .treino file (a zip): {clip(str(e), 200)}; "
                                  f"it may be truncated or corrupted") from None
            if len(infos) > limits.MAX_ZIP_MEMBERS:
                raise fail(where, f"the zip holds {len(infos)} members; a .treino file has "
                                  f"at most {limits.MAX_ZIP_MEMBERS}")
            self.members = {}
            for info in infos:
                self._check_member(info)
        except BaseException:
            self.close()
            raise
        self._checked = set()   # shard members already measured

    def _check_member(self, info):
        name = info.filename
        if name in self.members:
            raise fail(self.where, f"the zip holds two members named {short(name)}")
        if info.flag_bits & 0x1:
            raise fail(self.where, f"member {short(name)} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise fail(self.where, f"member {short(name)} uses compression method "
                                   f"{info.compress_type}; a .treino file is stored or deflated")
        if info.file_size > limits.MAX_COMPRESSION_RATIO * info.compress_size + (1 << 20):
            raise fail(self.where, f"member {short(name)} declares {info.file_size} bytes "
                                   f"from {info.compress_size} compressed, more than "
                                   f"{limits.MAX_COMPRESSION_RATIO} to 1: a decompression "
                                   f"bomb or a corrupted file")
        self.members[name] = info

    def close(self):
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _info(self, name, field):
        info = self.members.get(name) if isinstance(name, str) else None
        if info is None:
            named = "" if field == name else f" (named by {field})"
            raise fail(self.where, f"the .treino file lacks {short(name)}{named}; it is not a "
                                   f"complete .treino file")
        return info

    def _read(self, info, view_or_limit):
        """Into a view (exactly its size), or up to a limit (returns the bytes)."""
        what = f"member {short(info.filename)}"
        try:
            with self._zip.open(info) as f:
                if isinstance(view_or_limit, int):
                    return read_limited_stream(f, view_or_limit, self.where, what)
                read_exact_into(f.readinto, view_or_limit, self.where, what)
        except LoadError:
            raise
        except _ZIP_ERRORS as e:
            raise fail(self.where, f"{what} is corrupted ({clip(str(e), 200)})") from None

    def read_json(self, name, what):
        info = self._info(name, what)
        if info.file_size > limits.MAX_JSON_BYTES:
            raise fail(self.where, f"{what} declares {info.file_size} bytes; a loader reads "
                                   f"at most {limits.MAX_JSON_BYTES} (treino.models.saving.limits)")
        data = self._read(info, limits.MAX_JSON_BYTES)
        if len(data) != info.file_size:
            raise fail(self.where, f"{what} holds {len(data)} bytes but its zip entry declares "
                                   f"{info.file_size}; the file is corrupted")
        return parse_json(data, self.where, what)

    def size(self, name, field):
        info = self._info(name, field)
        if name in self._checked:
            raise fail(self.where, f"{field} names {short(name)} a second time; every shard "
                                   f"may be listed once")
        self._checked.add(name)
        return info.file_size

    def read_into(self, name, view, field):
        self._read(self._info(name, field), view)

