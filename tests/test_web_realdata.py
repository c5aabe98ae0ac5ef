"""The page over a real Meeting Guide feed (AA Southeastern Pennsylvania, ../shared/data).

A feed nobody here wrote: every online meeting with a web link gets a Join button, no
ended meeting is listed as today's, the list runs in order of start, and a Spanish
filter finds only meetings held in Spanish, each with its badge.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.web import present
from indexer import pipeline

pytestmark = pytest.mark.realdata
FEED = "data/meetings/meeting-guide-feeds/aasepia.json"
EVENING = datetime(2026, 11, 23, 18, 30, tzinfo=ZoneInfo("America/New_York"))  # a Monday


@pytest.fixture(scope="module")
def sepia(tmp_path_factory, shared_dir):
    directory = tmp_path_factory.mktemp("sepia")
    path = str(directory / "store.sqlite")
    pipeline.run([f"{shared_dir}/{FEED}"], SqliteIndexWriter(path))
    app = create_app(Settings.from_env(store_path=path,
                                       availability_path=str(directory / "avail.sqlite")))
    app.config.update(TESTING=True, PAGE_NOW=EVENING)
    yield app
    app.extensions["store"].close()


def listed(app, query, pages=3):
    """[(record, card html)] over the first `pages` pages of a page search."""
    client, store, out = app.test_client(), app.extensions["store"], []
    for page in range(1, pages + 1):
        html = client.get(f"/?{query}&page={page}").get_data(as_text=True)
        for chunk in html.split('<li class="card">')[1:]:
            record_id = re.search(r'href="/r/([^"?]+)"', chunk).group(1)
            out.append((store.get(record_id), chunk.split("</article>")[0]))
    return out


def test_meetings_today_from_a_real_feed(sepia):
    cards = listed(sepia, "near=19103&start=meetings_today")
    assert len(cards) == 30
    with sepia.test_request_context("/"):
        timings = [present.meeting_timing(record, EVENING) for record, _ in cards]
    assert all(record["day"] == 1 for record, _ in cards)
    assert not any(t["ended_today"] for t in timings)
    starts = [t["starts_in"] for t in timings]
    assert starts == sorted(starts)
    joinable = [(r, c) for r, c in cards if r["attendance"] in ("online", "hybrid")
                and present.safe_url(r.get("conference_url"))]
    assert joinable, "the feed's evening has online meetings"
    for record, chunk in joinable:
        assert 'class="button join"' in chunk, record["id"]
    assert not any("javascript:" in chunk for _, chunk in cards)


def test_spanish_filter_on_a_real_feed(sepia):
    cards = listed(sepia, "near=19103&need=meetings&language=es&radius=50", pages=1)
    assert cards, "the feed has Spanish-speaking meetings (type S)"
    for record, chunk in cards:
        assert "es" in record["languages"] and "In Spanish" in chunk
