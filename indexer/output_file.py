"""Writing an export to a file so that a failure never leaves a cut one behind.

An export streams for as long as the directory is large; a store that goes away, a full
disk or Ctrl-C half-way would leave a GeoJSON file that stops mid-feature and looks like
a smaller directory. So the text goes to a temporary file in the target's own directory
(the same file system, so the final rename is atomic), which replaces the target only
once every chunk is written and flushed to disk; on any failure it is removed and a file
already at the target is left as it was.
"""
import os
import tempfile


def write_atomically(path, chunks):
    """Write the text `chunks` to `path` (UTF-8) all at once or not at all; returns the
    number of characters written."""
    target = os.path.abspath(path)
    directory, name = os.path.split(target)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory,
                                         prefix=f".{name}.", suffix=".part", delete=False)
    written = 0
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600); the export gets the mode any new file would.
        os.chmod(handle.name, 0o666 & ~_umask())
        os.replace(handle.name, target)
    except BaseException:
        try:
            os.remove(handle.name)
        except FileNotFoundError:
            pass
        raise
    return written


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
