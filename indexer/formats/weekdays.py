"""Weekdays as meeting lists write them, to Meeting Guide's numbers (0 = Sunday).

Feeds give `day` as 1, "1", "Monday" or a list; lists kept in spreadsheets and by groups in
Quebec or Puerto Rico also write "Mon/Wed/Fri", "Monday - Friday", "Weekdays", "Daily",
"Lunes", "miércoles" or "samedi". Each of those names days; a meeting held on several is
one record per day, as a list is. Anything else is None, and the row is rejected naming it.
"""
import re
import unicodedata

NAMES = (
    ("sunday", "sun", "su", "domingo", "dom", "dimanche", "dim"),
    ("monday", "mon", "mo", "lunes", "lun", "lundi"),
    ("tuesday", "tue", "tues", "tu", "martes", "mar", "mardi"),
    ("wednesday", "wed", "we", "miercoles", "mie", "mier", "mercredi", "mer"),
    ("thursday", "thu", "thur", "thurs", "th", "jueves", "jue", "jeudi", "jeu"),
    ("friday", "fri", "fr", "viernes", "vie", "vendredi", "ven"),
    ("saturday", "sat", "sa", "sabado", "sab", "samedi", "sam"),
)
DAY = {name: number for number, names in enumerate(NAMES) for name in names}
GROUPS = {
    "daily": range(7), "every day": range(7), "everyday": range(7), "7 days": range(7),
    "seven days": range(7), "all week": range(7), "diario": range(7), "todos los dias": range(7),
    "tous les jours": range(7), "weekdays": range(1, 6), "m-f": range(1, 6),
    "weekends": (0, 6), "weekend": (0, 6),
}
LIST_SEPARATOR = re.compile(r"\s*(?:,|/|&|;|\+|\band\b|\by\b|\bet\b)\s*")
RANGE = re.compile(r"^(\w+)\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b|\ba\b|\bau\b)\s*(\w+)$")


def fold(text):
    """'Miércoles.' → 'miercoles'."""
    text = unicodedata.normalize("NFKD", text.strip().lower().rstrip("."))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def _name(folded):
    """One day's number from its folded name or plural ("mondays"), else None."""
    if folded in DAY:
        return DAY[folded]
    if folded.isdigit() and int(folded) < 7:  # "1, 3" in one cell
        return int(folded)
    return DAY.get(folded[:-1]) if folded.endswith("s") else None


def days_named(text):
    """The day numbers a piece of text names, in order, or None when it names none."""
    folded = fold(text)
    if folded in GROUPS:
        return list(GROUPS[folded])
    if (day := _name(folded)) is not None:
        return [day]
    if m := RANGE.match(folded):
        first, last = _name(m.group(1)), _name(m.group(2))
        if first is not None and last is not None:
            return [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    parts = [p for p in LIST_SEPARATOR.split(folded) if p]
    if len(parts) > 1:
        found = [days_named(p) for p in parts]
        if all(found):
            return [d for days in found for d in days]
    return None
