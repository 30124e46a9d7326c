"""Atomic writes: every file goes to a temporary in the same folder (so the final rename
stays on one file system), is flushed and fsynced, and only then renamed over the target.
A crash before the renames leaves the previous files untouched.

For a group of files (model.json and its shards) the renames happen after every
temporary is complete, model.json last: a reader that finds a model.json always finds
the shards it names complete. The renames themselves are the only window in which a
crash could mix an old and a new shard of a multi-shard model (os.replace of each file
is atomic; a set of renames is not).
"""
import os
import tempfile


def _fsync_dir(folder):
    # The rename is durable only once the folder's entry is; not every platform lets a
    # folder be opened (Windows), and there the rename is as durable as it gets.
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


def write_temporary(folder, name, data):
    """Writes data to a new temporary file next to folder/name; returns its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def write_files(folder, files):
    """files: [(name, bytes)] written atomically into folder, renamed in the given order
    (put model.json last). If anything fails before the renames, the temporaries are
    removed and the folder is as it was."""
    os.makedirs(folder, exist_ok=True)
    temps = []
    try:
        for name, data in files:
            temps.append((write_temporary(folder, name, data), name))
    except BaseException:
        for tmp, _ in temps:
            _remove_quietly(tmp)
        raise
    done = 0
    try:
        for tmp, name in temps:
            os.replace(tmp, os.path.join(folder, name))
            done += 1
    finally:
        for tmp, _ in temps[done:]:
            _remove_quietly(tmp)
    _fsync_dir(folder)


def write_file(path, data):
    """One file, atomically."""
    folder, name = os.path.split(os.path.abspath(path))
    write_files(folder, [(name, data)])
