"""Atomic saves: a crash at any moment leaves either the previous model or the new one,
each complete, and never changes a file the save does not own.

A single file (model.treino) is written to a temporary next to it, flushed and fsynced,
then renamed over the target.

A model folder is a set of files, and a set of renames is not atomic, so no existing
file is overwritten except model.json: the shards are written under fresh names (a
random per-save token in each name; TF.js's manifest allows any relative path), fsynced
with their folder entries, and only then is model.json renamed over the old one. That
rename is the commit: before it the old model.json names the old, untouched shards;
after it the new one names the new shards. Then the shards no model.json names any more
are deleted: files whose names match the caller's strict pattern of its own shards,
never whatever else the folder holds.

Files are created with mode 0o666 minus the umask, as open() would, so a saved model is
as readable as any other file the process writes (a web server can serve it).

Two processes saving into the same folder at once are not supported (the second's
clean-up may delete shards the first has not committed yet); ModelCheckpoint and the
data-parallel trainer save from one process.
"""
import os
import re
import secrets

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | \
    getattr(os, "O_BINARY", 0)
TOKEN_HEX = 12   # 48 random bits per save


def new_token():
    return secrets.token_hex(TOKEN_HEX // 2)


def _temp_name(name, token):
    return f".{name}.{token}.tmp"


def _temp_pattern(name):
    return re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{{TOKEN_HEX}}}\.tmp")


def fsync_dir(folder):
    # A rename or a new file is durable only once the folder's entry is; not every
    # platform lets a folder be opened (Windows), and there it is as durable as it gets.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def create(path, data):
    """Writes a new file (never an existing one: O_EXCL), flushed and fsynced; on any
    failure the partial file is removed."""
    fd = os.open(path, _CREATE, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        remove_quietly(path)
        raise


def _remove_matching(folder, patterns, keep=()):
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name not in keep and any(p.fullmatch(name) for p in patterns):
            remove_quietly(os.path.join(folder, name))


def write_file(path, data):
    """One file, atomically. Temporaries of this target left by a killed save go first."""
    folder, name = os.path.split(os.path.abspath(path))
    _remove_matching(folder, [_temp_pattern(name)])
    tmp = os.path.join(folder, _temp_name(name, new_token()))
    create(tmp, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(folder)


def write_folder(folder, files, index_name, index_data, own, also_remove=()):
    """files: [(fresh name, bytes)], created exclusively; then index_name (model.json)
    is committed by a rename. Afterwards every file matching the `own` pattern (a compiled
    regex of the caller's shard names) that `files` does not hold is deleted, and so are
    the names in also_remove (the previous index's shards under an older naming) and
    temporaries a killed save left. A failure before the commit removes what this save
    created and leaves the folder as it was."""
    os.makedirs(folder, exist_ok=True)
    index_temp = _temp_pattern(index_name)
    _remove_matching(folder, [index_temp])
    tmp = os.path.join(folder, _temp_name(index_name, new_token()))
    created = []
    try:
        for name, data in files:
            path = os.path.join(folder, name)
            create(path, data)
            created.append(path)
        create(tmp, index_data)
        created.append(tmp)
        fsync_dir(folder)          # the shards' entries are durable before anything names them
        os.replace(tmp, os.path.join(folder, index_name))   # the commit
    except BaseException:
        for path in created:
            remove_quietly(path)
        raise
    fsync_dir(folder)
    keep = {name for name, _ in files}
    _remove_matching(folder, [own, index_temp], keep)
    for name in also_remove:
        if name not in keep:
            remove_quietly(os.path.join(folder, name))
