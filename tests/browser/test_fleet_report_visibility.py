# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person sees of the fleet report in headless Debian chromium, in every view.

An attribute says what the page script meant, not what is on screen: ``hidden`` on the cards once lost to
``.hosts{display:grid}``, and the cards and the table showed together while the test that read the
attribute passed. So these tests read what the browser computed: the display and visibility of an
element and of every ancestor, its box (an area, inside the viewport's width, inside the card or panel
it belongs to), and whether its content is wider than its box (clipped or spilling out). Each view gets
such a test: the cards, the table, page 2, the filter, expand all, the hostfacts warnings' text, a cut
command line opened by a click and by the Tab key, a view restored from the URL's hash, and the page at
375, 800, 1024, 1400 and 1920 px wide.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host  # noqa: E402
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_view import (  # noqa: E402
    WARNINGS_SHOWN, search_text,
)
from cdp import Browser, act, wait_ready  # noqa: E402
from test_fleet_report_browser import (  # noqa: E402
    PAGE_SIZE, choose, ensure_chromium, expand_all, fleet_facts, write_report,
)

WIDTHS = (375, 800, 1024, 1400, 1920)
# A host that ranks first (three critical alerts) and carries what a page has to show whole or open on
# demand: five hostfacts warnings, one with markup and one longer than the report keeps, and a command,
# command line and mount point too long for their boxes.
LONG = 'long-' * 30
WARNED_NAME = 'warned.example.net'
WARNINGS = ['<b>not bold</b> & <script>document.title="owned"</script> stays text',
            'could not read 72 /proc or /sys file(s): permission denied; ' + 'x' * 400,
            'third warning', 'fourth warning', 'fifth warning']

# seen(node): what a person sees. The node and every ancestor are displayed (not display:none) and not
# transparent, the node is visibility:visible, and its box has an area that reaches into the viewport's width.
SEEN_JS = """
function seen(node) {
  for (var n = node; n && n.nodeType === 1; n = n.parentElement) {
    var style = getComputedStyle(n);
    if (style.display === 'none' || style.opacity === '0') { return false; }
  }
  if (getComputedStyle(node).visibility !== 'visible') { return false; }
  var box = node.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.right > 0 && box.left < document.documentElement.clientWidth;
}
function frames() { return new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); }); }
function all(selector) { return Array.from(document.querySelectorAll(selector)); }
function describe(node) {
  return node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') + (node.className && node.className.baseVal === undefined
    ? '.' + node.className.trim().split(/\\s+/).join('.') : '') + ' "' + node.textContent.trim().slice(0, 40) + '"';
}
"""

# Which of the views' parts are seen, and how many of the elements that carry a hidden attribute are.
VIEW_JS = """
return {cards: all('#hosts article.host').filter(seen).map(function (c) { return c.dataset.name; }),
        rows: all('#rows tr').filter(seen).map(function (r) { return r.cells[0].textContent; }),
        expand: seen(document.getElementById('expand')), table: seen(document.getElementById('hosttable')),
        hidden_seen: all('[hidden]').filter(seen).map(describe),
        hash: location.hash};
"""

# What does not fit: the page wider than the viewport; an element seen outside the viewport's width, or
# outside the card, tile, panel or bar it belongs to; a box whose content is wider than the box (spilled
# or clipped), except text cut on purpose (.cut, which opens on focus) and the boxes that scroll (the
# details fold's tables, the table of hosts): their own boxes must fit, what is inside is theirs to cut or scroll.
FITS_JS = """
var width = document.documentElement.clientWidth;
var out = {page: [document.documentElement.scrollWidth, width], outside: [], spilled: [], seen: 0};
all('body *').forEach(function (node) {
  if (!seen(node) || node.closest('svg') && node.tagName.toLowerCase() !== 'svg') { return; }
  if (node.parentElement && node.parentElement.closest('.tables, .table, .cut')) { return; }
  out.seen++;
  var box = node.getBoundingClientRect();
  if (box.left < -0.5 || box.right > width + 0.5) { out.outside.push(describe(node)); }
  var owner = node.parentElement && node.parentElement.closest('.tile, .panel, article.host, .toolbar, header.top, nav.pager, .fsrow, .metric');
  if (owner) {
    var room = owner.getBoundingClientRect();
    if (box.left < room.left - 0.5 || box.right > room.right + 0.5) { out.outside.push(describe(node) + ' in ' + describe(owner)); }
  }
  var style = getComputedStyle(node);
  if (style.display !== 'inline' && node.clientWidth > 0 && node.scrollWidth > node.clientWidth + 1
      && !node.classList.contains('cut') && !/auto|scroll/.test(style.overflowX)) {
    out.spilled.push(describe(node) + ' ' + node.scrollWidth + ' > ' + node.clientWidth);
  }
});
// Table cells, in the boxes that scroll too: the text inside its cell, not over the next one.
out.overlaps = all('td, th').filter(function (cell) { return seen(cell) && !cell.classList.contains('cut'); })
  .filter(function (cell) {
    var range = document.createRange();
    range.selectNodeContents(cell);
    var text = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
    return text.width > 0 && (text.left < box.left - 0.5 || text.right > box.right + 0.5);
  }).map(describe);
return out;
"""

# The gaps between the texts of neighbouring header cells, in px, in every table seen: the texts ran
# together ("TYPENS") when the header cells had no padding.
HEADER_GAPS_JS = """
var gaps = [];
all('table').filter(seen).forEach(function (table) {
  var cells = Array.from(table.tHead.rows[0].cells);
  var texts = cells.map(function (cell) { var range = document.createRange(); range.selectNodeContents(cell);
                                         var r = range.getBoundingClientRect(); return [r.left, r.right]; });
  for (var i = 1; i < texts.length; i++) {
    gaps.push([cells[i - 1].textContent + '|' + cells[i].textContent, texts[i][0] - texts[i - 1][1]]);
  }
});
return gaps;
"""


def look(browser, body):
    """The value of body, a function body run in the page with the helpers of SEEN_JS, after two frames: what
    was drawn has been laid out and painted (cards off screen, content-visibility:auto, settle at a frame)."""
    return browser.evaluate('new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); })'
                            '.then(async function(){%s\n%s})' % (SEEN_JS, body))


@pytest.fixture(scope='module')
def browser():
    executable = ensure_chromium()
    assert executable, 'chromium is not installed and could not be installed'
    session = Browser(executable, width=1400, height=900)
    yield session
    session.close()


def warned_host():
    with open(fleet_facts.FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    facts['warnings'] = list(WARNINGS)
    facts['alerts'] = [{'severity': 'critical', 'subset': 'memory', 'message': 'alert %d' % i} for i in range(3)]
    top = facts['processes']['top_cpu'][0]
    top.update(command='command-' + LONG, args='/usr/bin/' + LONG + ' --option ' + LONG, cpu_pct=1.0)
    for number, mount in enumerate(facts['filesystems']['mounts']):
        mount['mount_point'] = '/mnt/%s%d' % (LONG, number)
    return summarize_host(WARNED_NAME, copy.deepcopy(facts))


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    """A 122-host report (hostile names, a malformed host and the warned host among them): its URL and records."""
    path, written = write_report(str(tmp_path_factory.mktemp('visibility')), 119, hostile=True, extra=[warned_host()])
    return 'file://' + path, written


def open_page(browser, url, width=1400, height=900):
    browser.resize(width, height, mobile=width < 600)
    # A navigation that changes only the hash stays in the document and fires no load event: leave it first.
    browser.open('about:blank')
    browser.open(url)
    wait_ready(browser)


def test_cards_view_shows_the_cards_and_not_the_table(browser, fleet):
    url, report = fleet
    open_page(browser, url)
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == [h['name'] for h in report.hosts[:PAGE_SIZE]]
    assert shown['rows'] == [] and not shown['table'] and shown['expand']
    assert shown['hidden_seen'] == [] and shown['hash'] == ''
    assert browser.errors() == []


def test_table_view_shows_the_table_and_not_the_cards(browser, fleet):
    url, report = fleet
    open_page(browser, url)
    choose(browser, 'view', 'table', 'change')
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == [] and shown['table'] and not shown['expand']
    assert shown['rows'] == [h['name'] for h in report.hosts[:PAGE_SIZE]]
    assert shown['hidden_seen'] == [] and shown['hash'] == '#view=table'
    # And back: the cards again, the table gone.
    choose(browser, 'view', 'cards', 'change')
    shown = look(browser, VIEW_JS)
    assert len(shown['cards']) == PAGE_SIZE and shown['rows'] == [] and not shown['table']
    assert shown['hidden_seen'] == []
    assert browser.errors() == []


def test_page_two_shows_the_next_cards_at_the_top_of_the_screen(browser, fleet):
    url, report = fleet
    open_page(browser, url)
    act(browser, "document.getElementById('next').click()")
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == [h['name'] for h in report.hosts[PAGE_SIZE:2 * PAGE_SIZE]]
    assert shown['hash'] == '#page=2'
    # The page turned to its first card: it is on screen, not below the fold.
    top = look(browser, "return document.querySelector('#hosts article.host').getBoundingClientRect().top;")
    assert 0 <= top < 900
    assert browser.errors() == []


def test_the_filter_shows_only_the_matching_cards_and_rows(browser, fleet):
    url, report = fleet
    open_page(browser, url)
    choose(browser, 'q', 'ffmpeg', 'input')
    expected = [h['name'] for h in report.hosts if 'ffmpeg' in search_text(h)][:PAGE_SIZE]
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == expected and expected
    assert shown['hash'] == '#q=ffmpeg'
    choose(browser, 'view', 'table', 'change')
    shown = look(browser, VIEW_JS)
    assert shown['rows'] == expected and shown['cards'] == []
    assert browser.errors() == []


# Each fold where a person would see it, scrolled to (cards far off screen are laid out as they come near:
# content-visibility:auto): whether its tables are seen, and their height.
FOLDS_JS = """var folds = [];
for (var d of all('#hosts details')) {
  d.scrollIntoView();
  await frames();
  var tables = d.querySelector('.tables');
  folds.push([seen(tables), tables.getBoundingClientRect().height]);
}
return folds;"""


def wait_for(browser, condition, timeout=30):
    started = time.perf_counter()
    while not browser.evaluate(condition):
        assert time.perf_counter() - started < timeout, 'never true: %s' % condition
        time.sleep(0.05)


def test_expand_all_shows_every_fold_and_its_header_cells_apart(browser, fleet):
    url, _report = fleet
    open_page(browser, url)
    expand_all(browser)
    folds = look(browser, FOLDS_JS)
    assert len(folds) >= PAGE_SIZE // 2 and all(f[0] and f[1] > 100 for f in folds), [f for f in folds if not (f[0] and f[1] > 100)]
    assert look(browser, "return location.hash;") == '#expand=1'
    gaps = look(browser, HEADER_GAPS_JS)
    assert len(gaps) > 1000
    assert min(gap for _pair, gap in gaps) >= 6, sorted(gaps, key=lambda g: g[1])[:5]
    # Page 2 shows its folds open too, as the button says, drawn by the page script.
    act(browser, "document.getElementById('next').click()")
    wait_for(browser, "Array.from(document.querySelectorAll('#hosts details .tables'))"
                      ".every(function (t) { return t.childNodes.length > 0; })")
    folds = look(browser, FOLDS_JS)
    assert len(folds) >= PAGE_SIZE // 2 and all(f[0] and f[1] > 100 for f in folds)
    assert look(browser, "return location.hash;") == '#page=2&expand=1'
    # The table of hosts: its column heads apart too.
    choose(browser, 'view', 'table', 'change')
    gaps = look(browser, HEADER_GAPS_JS)
    assert len(gaps) == 10 and min(gap for _pair, gap in gaps) >= 6, gaps
    assert browser.errors() == []


WARNINGS_JS = """
var card = document.querySelector('#hosts article.host[data-name="%s"]');
var items = all('#hosts article.host[data-name="%s"] ul.warnings li');
var room = card.getBoundingClientRect();
return {texts: items.map(function (li) { return li.textContent; }),
        seen: items.filter(seen).length,
        inside: items.every(function (li) { var box = li.getBoundingClientRect();
                                            return box.left >= room.left && box.right <= room.right && li.scrollWidth <= li.clientWidth; }),
        more: all('#hosts article.host[data-name="%s"] p.muted').filter(seen).map(function (p) { return p.textContent; }),
        bold: card.querySelectorAll('ul.warnings b, ul.warnings script').length, title: document.title};
""" % ((WARNED_NAME,) * 3)


def test_the_hostfacts_warnings_show_as_text_on_the_card(browser, fleet):
    url, report = fleet
    record = next(h for h in report.hosts if h['name'] == WARNED_NAME)
    assert record['rank'] == 1, 'the warned host ranks first, so the template draws it'
    kept = record['warnings'][:WARNINGS_SHOWN]
    assert kept[0] == WARNINGS[0] and len(kept[1]) < len(WARNINGS[1])
    open_page(browser, url)
    from_template = look(browser, WARNINGS_JS)
    # The page script draws the same card once the filter brings it back.
    choose(browser, 'q', 'warned.example', 'input')
    from_script = look(browser, WARNINGS_JS)
    for shown in (from_template, from_script):
        assert shown['texts'] == ['hostfacts ' + text for text in kept]
        assert shown['seen'] == WARNINGS_SHOWN and shown['inside']
        assert 'and %d more warning(s) in the JSON report' % (len(WARNINGS) - WARNINGS_SHOWN) in shown['more']
        assert shown['bold'] == 0 and shown['title'] == report.title
    alerts = look(browser, "return all('#hosts article.host ul.alerts li').map(function (li) { return li.textContent; });")
    assert 'facts facts are partial: %d warning(s) from hostfacts' % len(WARNINGS) in alerts
    assert browser.errors() == []


# Each kind of text cut with an ellipsis: the fold's long cells, the top processes, the mount points, and
# the cells of the table of hosts (out of the Tab order: tabindex -1).
CUT_KINDS = ('#hosts td.args.cut', '#hosts dl.hogs dd.cut', '#hosts .fsrow .mp.cut', '#rows td.cut')

CUT_STATE_JS = """
var node = all('%s')[%d];
var box = node.getBoundingClientRect();
return {cut: node.scrollWidth > node.clientWidth, height: box.height, focused: document.activeElement === node,
        x: box.left + Math.min(box.width / 2, 40), y: box.top + box.height / 2, text: node.textContent, title: node.title,
        whiteSpace: getComputedStyle(node).whiteSpace};
"""


def cut_state(browser, selector, index):
    return look(browser, CUT_STATE_JS % (selector, index))


@pytest.mark.parametrize('selector', CUT_KINDS)
def test_a_cut_text_opens_whole_on_a_click_and_on_the_tab_key(browser, fleet, selector):
    url, _report = fleet
    open_page(browser, url)
    expand_all(browser)
    if selector.startswith('#rows'):
        choose(browser, 'view', 'table', 'change')
    # The warned host's card comes first: its long texts are cut.
    index = look(browser, "return all('%s').findIndex(function (n) { return seen(n) && n.scrollWidth > n.clientWidth; });"
                 % selector)
    assert index >= 0, 'no text of %s is cut' % selector
    look(browser, "all('%s')[%d].scrollIntoView({block: 'center'});" % (selector, index))
    before = cut_state(browser, selector, index)
    assert before['cut'] and before['whiteSpace'] == 'nowrap' and before['title'].startswith(before['text'].split(' ')[0])
    browser.click(before['x'], before['y'])
    opened = cut_state(browser, selector, index)
    assert opened['focused'] and not opened['cut'] and opened['height'] > before['height'] * 1.5, (before, opened)
    # Tab moves on, and what was opened is cut again; shift+Tab comes back and opens it.
    browser.press('Tab', 'Tab', 9)
    assert cut_state(browser, selector, index)['cut']
    assert browser.errors() == []
    if not selector.startswith('#rows'):
        browser.press('Tab', 'Tab', 9, shift=True)
        back = cut_state(browser, selector, index)
        assert back['focused'] and not back['cut']


def test_a_view_in_the_hash_is_the_view_shown_on_load_and_on_hashchange(browser, fleet):
    url, report = fleet
    open_page(browser, url)
    # A view made by hand: table, a filter, a severity, sorted by iowait highest first, 25 per page, page 2.
    choose(browser, 'view', 'table', 'change')
    choose(browser, 'pagesize', '25', 'change')
    choose(browser, 'q', 'dc', 'input')
    choose(browser, 'sev', 'warning', 'change')
    for _click in range(2):
        act(browser, "document.querySelector('#hosttable button[data-name=iowait]').click()")
    act(browser, "document.getElementById('next').click()")
    made = look(browser, VIEW_JS)
    state = dict(urllib.parse.parse_qsl(made['hash'][1:]))
    assert state == {'view': 'table', 'q': 'dc', 'sev': 'warning', 'sort': 'iowait', 'order': 'desc', 'page': '2',
                     'size': '25'}
    matching = [h for h in report.hosts if 'dc' in search_text(h) and h['severity'] == 'warning']
    ranked = sorted(matching, key=lambda h: (h['iowait_pct'] is None, -(h['iowait_pct'] or 0), h['rank']))
    assert made['rows'] == [h['name'] for h in ranked[25:50]] and made['rows']

    # The same URL in a new page shows the same view, with its controls set.
    open_page(browser, url + made['hash'])
    restored = look(browser, VIEW_JS)
    assert restored['rows'] == made['rows'] and restored['cards'] == [] and restored['hash'] == made['hash']
    controls = look(browser, """return ['view', 'q', 'sev', 'pagesize'].map(function (id) { return document.getElementById(id).value; })
      .concat([document.querySelector('#hosttable th[aria-sort=descending]').textContent,
               document.getElementById('pageinfo').textContent]);""")
    assert controls[:5] == ['table', 'dc', 'warning', '25', 'iowait'] and '(page 2 of' in controls[5]

    # A hash pasted into the open page: the cards, page 2, every fold open.
    act(browser, "location.hash = '#page=2&expand=1'")
    expand_all_seen = look(browser, """return all('#hosts details').filter(seen).every(function (d) { return d.open; });""")
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == [h['name'] for h in report.hosts[PAGE_SIZE:2 * PAGE_SIZE]] and shown['rows'] == []
    assert expand_all_seen and shown['hash'] == '#page=2&expand=1'
    # A hash edited by hand into nonsense falls back to the page as written.
    open_page(browser, url + '#view=nope&sev=nope&page=-3&size=7&sort=nope')
    shown = look(browser, VIEW_JS)
    assert shown['cards'] == [h['name'] for h in report.hosts[:PAGE_SIZE]] and shown['hash'] == ''
    assert browser.errors() == []


@pytest.mark.parametrize('width', WIDTHS)
def test_every_view_fits_the_width(browser, fleet, width):
    url, _report = fleet
    open_page(browser, url, width)
    fits = {'cards': look(browser, FITS_JS)}
    expand_all(browser)
    fits['expanded'] = look(browser, FITS_JS)
    choose(browser, 'view', 'table', 'change')
    fits['table'] = look(browser, FITS_JS)
    for view, found in fits.items():
        assert found['page'][0] <= found['page'][1], (view, found['page'])
        assert found['outside'] == [] and found['spilled'] == [] and found['overlaps'] == [], (view, found)
        assert found['seen'] > (20 if view == 'table' else 300), view
    # The counters are whole: every tile's number and label inside the tile.
    tiles = look(browser, """return all('.tile').map(function (t) { var box = t.getBoundingClientRect();
      var range = document.createRange(); range.selectNodeContents(t); var text = range.getBoundingClientRect();
      return seen(t) && text.left >= box.left && text.right <= box.right && t.scrollWidth <= t.clientWidth; });""")
    assert len(tiles) >= 9 and all(tiles), tiles
    assert browser.errors() == []


# Filter texts that mean something in a URL or its query syntax (hypothesis is not installed in the shared
# venv, so these are listed): each comes back from the hash as it was typed.
AWKWARD_FILTERS = ('a&b=c', '#page=9', '100 % used', 'a+b', '%41', 'é€😀', '<b>x</b>', ' dc2 ', '?view=table')


def test_any_filter_text_survives_the_hash(browser, fleet):
    url, _report = fleet
    for text in AWKWARD_FILTERS:
        open_page(browser, url)
        choose(browser, 'q', text, 'input')
        made = look(browser, "return [location.hash, document.getElementById('pageinfo').textContent];")
        open_page(browser, url + made[0])
        restored = look(browser, "return [document.getElementById('q').value, document.getElementById('view').value,"
                                 " document.getElementById('pageinfo').textContent];")
        assert restored == [text, 'cards', made[1]], (text, made)
    assert browser.errors() == []
