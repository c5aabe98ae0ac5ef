"""A store file opened for reading, with a descriptor of our own beside SQLite's: so a
swapped-out file is freed by our close, not SQLite's (issue 25 §5)."""
import os
import sqlite3


class HeldFile:
    """A SQLite connection to a store file, and a descriptor of our own on the same file.

    When the indexer renames a new file in, the old one lives on while someone has it
    open, and whoever closes it last frees its gigabyte: SQLite does that close holding
    its global file-system mutex, so every SQLite call of the worker, on any database,
    waited for it (0.22-0.26 s at 1M records, in one worker at each swap, issue 25). With
    this descriptor open, SQLite's close is never the last one; `release` then closes the
    descriptor in plain Python (no SQLite mutex, the GIL let go), in the background
    thread where the store has one."""

    def __init__(self, path, **connect):
        # The descriptor first: if the file is replaced meanwhile, ours is the older one,
        # `identity` says so and the next look at the path opens the new one.
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, **connect)
        except BaseException:
            os.close(self.fd)
            raise
        st = os.fstat(self.fd)
        self.identity = (st.st_ino, st.st_mtime_ns, st.st_size)

    def close(self):
        self.db.close()
        self.release()

    def release(self):
        """Our descriptor closed (after the connection): what may free the file."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self):
        # A snapshot dropped on a path that did not close it: its descriptor must not
        # keep a swapped-out file (a gigabyte on disk) for the life of the worker.
        self.release()
