"""One entry through place → validate → check its id → hold or write, counted per file.

An id names one record in a run: a second entry with an id already read is rejected,
naming both rows, in dry runs too, and never replaces the first. Records that
de-duplication may merge are held (indexer/dedupe.py) and written by `finish`, under the
id each group keeps; the rest are written at once. Every entry ends in exactly one of the
report's outcomes (indexer/problems.py), so a file's counts add up to what was read.

An entry goes in two steps, so rows can be placed ahead while earlier ones are validated in
another process (search/embedded/load_apart.py, pipeline._load_all): `prepare` places it
and leaves the report alone; `complete`, in row order, reports, checks ids, holds or
writes, from the loaded row's stored JSON and keys (not the record itself).
"""
import json
import re
from collections import namedtuple

from marshmallow import ValidationError

from directory_service.search.embedded.load_apart import load_one
from directory_service.fast_json import loads_record
from directory_service.schemas.records import PROSE_LIMITS
from indexer.dedupe import place_key
from indexer.formats.common import Warned
from indexer.problems import Rejected, RowProblem

# One id that merged into another: `outcome` "merged" (its row joined the record),
# "written" (its row was written under the published id `into`), or "published" (a
# published id no row of this run carries).
Merge = namedtuple("Merge", "into id file row outcome")


def _cut_prose(item):
    """Prose longer than the record allows (records.PROSE_LIMITS: a description pasted
    with a whole web page in it) cut at a word before the bound, with a warning for each:
    the record still loads. Returns the warnings."""
    warnings = []
    for name, limit in PROSE_LIMITS.items():
        value = item.get(name)
        if isinstance(value, str) and len(value) > limit:
            cut = value[:limit - 1]
            cut = cut[:cut.rfind(" ")] if " " in cut[limit // 2:] else cut
            item[name] = cut.rstrip() + "…"
            warnings.append(Warned("text:cut", f"{name} of {len(value):,} characters cut "
                                                 f"to {len(item[name]):,} (at most {limit:,})"))
    return warnings


class RowStep:
    def __init__(self, schema, writer, placer, deduper, serving, run_time, dry_run):
        self.schema, self.writer, self.placer = schema, writer, placer
        self.deduper, self.serving = deduper, serving
        self.run_time, self.dry_run = run_time, dry_run
        self.files = []         # paths, so `first_read` can hold a small int per id
        self.first_read = {}    # id -> file index << 32 | row, for every validated entry
        self.alias_owner = {}   # alias -> the id it redirects to, for aliases written
        self.kept_published = set()  # published ids kept by a group none of whose rows had it
        self._row, self._gave_entry, self._warned = None, False, False

    def prepare(self, path, number, item):
        """Place a row (the report untouched, so rows can be prepared ahead of the ones
        still being validated): (whether to load it, the placer's warnings, its
        rejection reason or None)."""
        if not isinstance(item, dict):
            return not isinstance(item, (Warned, RowProblem)), (), None
        try:
            reason = self.placer.place(item) if item.get("kind") else None
        except (TypeError, AttributeError, ValueError, KeyError):
            # An address or point of a shape no record has (a number, a list): left to the
            # record's validation, which rejects the row naming the field.
            reason = None
        warnings = self.placer.take_warnings()
        if reason:
            return False, warnings, reason
        if not item.get("updated_at"):
            item["updated_at"] = item.get("source_updated_at") or self.run_time
        return True, warnings + _cut_prose(item), None

    def complete(self, report, path, number, item, prepared, loaded=None):
        """The rest of the row, in row order: `prepared` is what `prepare` returned,
        `loaded` the row's load_apart.Loaded when it was to be loaded."""
        _load, warnings, reason = prepared
        self._track(report, path, number, item)
        if isinstance(item, Warned):
            return self._warn(report, path, number, item)
        if isinstance(item, RowProblem):
            return self._reject(report, path, number, None, item.errors)
        for warned in warnings:
            # About a row that is still loaded (a re-placed point, a zone): a warning
            # message, not the "warned" outcome of a row skipped with a warning.
            self._warn(report, path, number, warned, item.get("id"))
        if reason:
            return self._reject(report, path, number, item.get("id"), {"location": [reason]})
        if loaded.messages is not None:
            record_id = item.get("id") if isinstance(item, dict) else None
            return self._reject(report, path, number, record_id, loaded.messages)
        record_id, kind, _lat, _lon, loaded_aliases, _state = loaded.key
        earlier = self.first_read.get(record_id)
        if earlier is not None:
            first_file = self.files[earlier >> 32]
            hint = "" if first_file == path else " (give each feed its own --feed)"
            return self._reject(report, path, number, record_id, {"id": [
                f"{record_id} was already read at {first_file}:{earlier & 0xFFFFFFFF}; "
                f"an id names one record in a run, so this row is not loaded{hint}"]})
        if not self.files or self.files[-1] != path:
            self.files.append(path)
        self.first_read[record_id] = (len(self.files) - 1) << 32 | number
        if self.deduper is not None and kind != "meeting":
            self.deduper.add_loaded(record_id, (path, number), loaded.doc.decode("ascii"),
                                    loaded.extra)
            return
        loaded_aliases = list(loaded_aliases or ())
        aliases = self._claim(report, record_id, loaded_aliases
                              + list(self.serving.aliases.get(record_id, ()))
                              + self._legacy(record_id))
        if aliases == loaded_aliases:
            # The document encoded with the row still holds (every record has `aliases`:
            # schemas/records.py, BaseRecord, load_default=list).
            return self._write(report, path, record_id, loaded)
        record = loads_record(loaded.doc)
        record["aliases"] = aliases
        self._write(report, path, record_id, record)

    def __call__(self, report, path, number, item):
        """One entry at once: prepared, loaded here, completed."""
        prepared = self.prepare(path, number, item)
        loaded = load_one(self.schema, item, place_key) if prepared[0] else None
        self.complete(report, path, number, item, prepared, loaded)

    def end_file(self, report):
        self._close_row(report)
        self._row = None

    def finish(self, report):
        """Write the held groups under their kept ids; count and list every merge."""
        if self.deduper is None:
            return
        report.warnings += self.deduper.warnings
        kept_ids = self.deduper.kept_ids()
        for group in self.deduper.finish():
            kept = group.record["id"]
            if kept != group.primary.id:
                self.kept_published.add(kept)
            own = {m.id for m in group.merged} | set(group.published) | {group.primary.id}
            carried = [a for a in group.record["aliases"] if a not in own
                       and a not in self.first_read and a not in kept_ids]
            aliases = sorted(own - {kept}) + carried
            record = self._validated(report, group, dict(group.record, aliases=aliases))
            record["aliases"] = self._claim(report, kept, record["aliases"], trusted=own)
            path, number = group.primary.where
            if group.primary.id != kept:
                report.merged.append(Merge(kept, group.primary.id, path, number, "written"))
            for member in group.merged:
                report.merged.append(Merge(kept, member.id, *member.where, "merged"))
                report.count(member.where[0], "merged")
            report.merged += [Merge(kept, pid, None, None, "published")
                              for pid in group.published]
            self._write(report, path, record["id"], record)

    def published_not_kept(self):
        """Published ids this run neither writes nor keeps as aliases: they will 404."""
        return [i for i in self.serving.ids if i not in self.first_read
                and i not in self.alias_owner and i not in self.kept_published]

    def _validated(self, report, group, record):
        if not group.merged:
            return record
        try:
            return self.schema.load(record)
        except ValidationError as exc:
            # Cannot happen with valid members; if it does, the kept row stands alone.
            report.warnings.append(f"merged record {record['id']} is invalid ({exc.messages}); "
                                   f"written as {group.primary.id}'s row alone")
            return dict(json.loads(group.primary.doc), id=record["id"],
                        aliases=record["aliases"])

    def _claim(self, report, record_id, aliases, trusted=()):
        """The aliases this record may keep: each claimed once in the run, and never the
        id of another entry read in this run (unless `trusted`: it merged into this one)."""
        out = []
        for alias in dict.fromkeys(aliases):
            owner = self.alias_owner.get(alias)
            if alias == record_id or owner == record_id:
                continue
            if owner is not None or (alias in self.first_read and alias not in trusted):
                what = f"an alias of {owner}" if owner else "a record"
                report.warnings.append(f"alias {alias} of {record_id} dropped: it is {what} "
                                       "in this run")
                continue
            self.alias_owner[alias] = record_id
            out.append(alias)
        return out

    def _legacy(self, record_id):
        """The id this record was published under before Meeting Guide ids carried the
        feed (`mg:<slug>` for `mg:<feed>:<slug>`), while that id still serves: it becomes
        an alias, so links made before the change keep working. When two feeds share the
        slug, the first claims it and the other is warned (`_claim`)."""
        parts = record_id.split(":")
        if parts[0] != "mg" or len(parts) < 3:
            return []
        old = ":".join([parts[0]] + parts[2:])
        return [old] if old in self.serving.aliases and old not in self.first_read else []

    def _write(self, report, path, record_id, record):
        """`record`: the record, or the load_apart.Loaded whose document it is."""
        published = record_id in self.serving.aliases
        report.count(path, "replaced" if published else "loaded")
        if self.dry_run:
            return
        if isinstance(record, dict):
            self.writer.add(record)
        elif hasattr(self.writer, "add_encoded"):
            self.writer.add_encoded(record.key, record.doc)
        else:
            self.writer.add(loads_record(record.doc))

    def _track(self, report, path, number, item):
        """Note whether the current source row gave an entry or only warnings."""
        if (path, number) != self._row:
            self._close_row(report)
            self._row, self._gave_entry, self._warned = (path, number), False, False
        if isinstance(item, Warned):
            self._warned = True
        else:
            self._gave_entry = True

    def _close_row(self, report):
        # Row 0 is the file itself: its warnings are about the file, not a skipped row.
        if self._row and self._row[1] != 0 and self._warned and not self._gave_entry:
            report.count(self._row[0], "warned")

    @staticmethod
    def _warn(report, path, number, warned, record_id=None):
        where = f"{path}:{number}" + (f" ({record_id})" if record_id else "")
        report.warnings.append(f"{where} {warned.code}: {warned.message}")
        report.count(path, "warnings")
        report.file(path)["warnings"][warned.code] += 1

    @staticmethod
    def _reject(report, path, number, record_id, errors):
        report.rejected.append(Rejected(path, number, record_id, errors))
        report.count(path, "rejected")
        tally = report.file(path)
        for line in Rejected(path, number, None, errors).lines():
            tally["rejected"][_reason(line)] += 1


def _reason(line):
    """'file:row field: message' → 'field: message' with numbers and quoted values dropped."""
    reason = line.split(" ", 1)[1] if " " in line else line
    return re.sub(r"'[^']*'|\d+", "…", reason)[:120]
