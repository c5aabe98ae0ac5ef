"""The column arrays of one store file, kept in a file of their own beside it (issue 25 §6).

Every worker maps this file read-only, so the arrays are the page cache's pages: one copy
for all the workers of a machine, and nothing read or copied when a worker opens a store
(at a million records that was 400 MB of SQLite blobs copied per worker, at every start
and every swap). The live overlay maps it a second time copy-on-write (MAP_PRIVATE) for
the figures it writes: a worker's own memory is only the pages it wrote.

The file is `<store name>.columns-<token>` in the store's directory, the name recorded in
the store's meta, so a store renamed within its directory still finds it. It is written
whole and fsynced before the store is renamed in, and never changed afterwards; the
writer removes older ones (`stale`), keeping the previous build's for a worker that may
still be opening it (an unlinked file stays valid for the maps already made).
"""
import json
import mmap
import os
import re
import secrets

import numpy as np

from directory_service.search.store import StoreUnavailable

ALIGN = 64  # every array starts at a multiple of this: aligned for NumPy's vector loops
MARK = ".columns-"
# madvise(MADV_POPULATE_READ), Linux 5.14: the page tables of a map filled ahead, reading
# (a copy-on-write map's pages stay the file's). Without it each page a search first
# touches is a fault in that search: at 1M records the first searches after a swap took
# up to a second (issue 25).
POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)
POPULATE_SLICE = 4 << 20


def _no_pause():
    pass


def new_name(store_name):
    """A name for the column file of a new build of `store_name`."""
    return f"{store_name}{MARK}{secrets.token_hex(8)}"


def write(path, arrays):
    """Write `arrays` ({name: array}) into `path`, each at an aligned offset, and fsync
    it; returns the layout to record in the store's meta (`open_columns` reads it)."""
    layout, offset = {}, 0
    with open(path, "wb") as fh:
        for name, array in arrays.items():
            array = np.ascontiguousarray(array)
            pad = -offset % ALIGN
            fh.write(b"\0" * pad)
            offset += pad
            layout[name] = [offset, str(array.dtype), list(array.shape)]
            fh.write(array.tobytes())
            offset += array.nbytes
        fh.flush()
        os.fsync(fh.fileno())
    return json.dumps({"size": offset, "arrays": layout}, separators=(",", ":"))


class MappedColumns:
    """One column file mapped twice: read-only and shared (`arrays`), and copy-on-write
    (`writable`), for the one live state of the store file it belongs to."""

    def __init__(self, store_path, name, layout, view=None, pause=_no_pause):
        path = os.path.join(os.path.dirname(store_path), name)
        spec = json.loads(layout)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise StoreUnavailable(
                f"the column file of the store at {store_path} is missing ({name}): "
                "re-run the indexer") from None
        try:
            size = os.fstat(fd).st_size
            if size != spec["size"]:
                raise StoreUnavailable(
                    f"the column file of the store at {store_path} ({name}) has "
                    f"{size} bytes, the store expects {spec['size']}: re-run the indexer")
            self._shared = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
            self._private = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
        finally:
            os.close(fd)
        self._layout = spec["arrays"]
        populate(self._shared, 0, size, pause)
        view = view or array_view
        self.arrays = {n: view(self._shared, *where) for n, where in self._layout.items()}

    def writable(self, name, pause=_no_pause):
        """The column `name` as a writable array of this process's own: its pages are
        the shared file's until written (copy-on-write), restored from `arrays[name]`."""
        offset, dtype, shape = self._layout[name]
        array = array_view(self._private, offset, dtype, shape)
        populate(self._private, offset, array.nbytes, pause)
        return array


def populate(mapped, offset, length, pause=_no_pause):
    """Fill the page tables of `mapped[offset:offset + length]` now, a slice at a time
    with `pause()` between (the worker's requests get the GIL back), so that no search
    faults the pages in; on a kernel without MADV_POPULATE_READ, nothing is done."""
    start = offset - offset % mmap.PAGESIZE
    end = offset + length
    for at in range(start, end, POPULATE_SLICE):
        try:
            mapped.madvise(POPULATE_READ, at, min(POPULATE_SLICE, end - at))
        except OSError:
            return
        pause()


def array_view(buffer, offset, dtype, shape):
    """The array at `offset` of a mapped column file: no copy (read-only when the map is)."""
    count = int(np.prod(shape, dtype=np.int64))
    return np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)


def stale(store_path, keep):
    """Column files of `store_path` in its directory whose names are not in `keep`."""
    directory, name = os.path.split(store_path)
    pattern = re.compile(rf"^{re.escape(name)}{re.escape(MARK)}[0-9a-f]+$")
    return [os.path.join(directory, entry) for entry in sorted(os.listdir(directory))
            if pattern.match(entry) and entry not in keep]
