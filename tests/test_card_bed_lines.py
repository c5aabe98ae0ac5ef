"""A card shows every bed figure when two fit, else the most telling one and a link to the
rest on the place's page (web/bed_figures.card_bed_lines): all named, none added up, and the
first Call still on a phone's first screen (tests/browser/test_first_screen.py)."""
import re

from directory_service.web import bed_figures


def group(open_, freshness="fresh"):
    return {"open": open_, "freshness": freshness}


def test_two_lines_fit_and_both_are_shown():
    lines = [{"text": "a"}, {"text": "b"}]
    assert bed_figures.card_bed_lines(lines, [group(0), group(None, "unknown")]) == (lines, 0)


def test_more_lines_keep_the_open_figure_and_count_the_rest():
    lines = [{"text": "unreported"}, {"text": "stale"}, {"text": "full"}, {"text": "open"}]
    groups = [group(None, "unknown"), group(3, "stale"), group(0), group(2, "aging")]
    assert bed_figures.card_bed_lines(lines, groups) == ([{"text": "open"}], 3)
    # With no open bed, a full figure says more than a stale or unreported one.
    assert bed_figures.card_bed_lines(lines[:3], groups[:3]) == ([{"text": "full"}], 2)


def test_a_card_links_to_the_figures_it_leaves_out(client):
    html = client.get("/?near=60540&start=treatment").get_data(as_text=True)
    cards = html.split('<li class="card">')[1:]
    more = [c for c in cards if 'class="more-beds"' in c]
    assert more, "the seed has facilities with more than two bed figures"
    for card in more:
        shown = card.count('<li class="bed ')
        count = int(re.search(r'class="more-beds"[^>]*>(\d+) more bed figure', card).group(1))
        record = re.search(r'class="more-beds" href="(/r/[^"]+)"', card).group(1)
        page = client.get(record).get_data(as_text=True)
        assert shown == 1 and page.count('<li class="bed ') == shown + count
