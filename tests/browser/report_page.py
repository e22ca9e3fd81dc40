# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How quick the fleet report's page is to use, measured inside the page (the browser test and make bench-fleet).

Each action is timed from the event to the end of its drawing (window.fleetReport.drawn): the next page
(five times, the slowest counted, each 200 ms after the page before was drawn, as a reader turns pages:
the page script inflates the next page's cards meanwhile; and once at once, before that could happen),
the filter box (five words, each typed then cleared: the median and the slowest; a first page of
matches comes from cards all over the fleet), the table view, and sorting the table by iowait.
"""

from __future__ import annotations

USABILITY_JS = """(async function(){
  var api = window.fleetReport, out = {next: 0}, t0;
  async function timed(action) { t0 = performance.now(); action(); await api.drawn; return performance.now() - t0; }
  function pause(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }
  var next = document.getElementById('next'), q = document.getElementById('q'), view = document.getElementById('view');
  for (var i = 0; i < 5; i++) { await pause(200); out.next = Math.max(out.next, await timed(function(){ next.click(); })); }
  out.next_at_once = await timed(function(){ next.click(); });
  var filters = [];
  for (var word of ['unreachable', 'ffmpeg', 'postgres', 'dc2', 'web-00']) {
    filters.push(await timed(function(){ q.value = word; q.dispatchEvent(new Event('input')); }));
    if (word === 'unreachable') { out.matched = document.querySelectorAll('#hosts article.host').length; }
    out.unfilter = await timed(function(){ q.value = ''; q.dispatchEvent(new Event('input')); });
  }
  filters.sort(function (a, b) { return a - b; });
  out.filter = filters[2];
  out.filter_max = filters[4];
  out.table = await timed(function(){ view.value = 'table'; view.dispatchEvent(new Event('change')); });
  out.sort = await timed(function(){ document.querySelector('#hosttable button[data-name=iowait]').click(); });
  out.sort_desc = await timed(function(){ document.querySelector('#hosttable button[data-name=iowait]').click(); });
  out.first_row = Array.from(document.querySelector('#rows tr').cells).map(function(c){ return c.textContent; });
  out.rows = document.querySelectorAll('#rows tr').length;
  out.nodes = document.getElementsByTagName('*').length;
  out.heap = performance.memory ? performance.memory.usedJSHeapSize : null;
  await timed(function(){ view.value = 'cards'; view.dispatchEvent(new Event('change')); });
  return out;
})()"""


def usability(browser):
    """The page's timings in ms, and what it showed; the page is back on the cards, sorted by iowait."""
    return browser.evaluate(USABILITY_JS)
