# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's page: the templates filled from the views, escaping, and the embedded card data.

How the page behaves in a browser (paging, filter, cards drawn by the page script) is tested in
tests/browser with headless Chromium.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import zlib

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_html as html
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError, summarize_host
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_render import build_report

HOSTILE_NAMES = ('<!--<script>', '</script><script>alert(1)</script>', '<img src=x onerror=alert(1)>',
                 'a & b', 'line\u2028separator', 'paragraph\u2029separator', ']]></style>')


def data_block(page):
    """The raw text of the inert JSON block, as the browser's parser will see it."""
    start = page.index('<script type="application/json" id="fleet-data">') + len(
        '<script type="application/json" id="fleet-data">')
    return page[start:page.index('</script>', start)]


# The empty final block (fixed Huffman codes, end of block) the page script puts after the segments.
END = b'\x03\x00'


def unpacked(*texts):
    """Packed blocks of the data, as the page script inflates them: base64 of flushed raw DEFLATE segments,
    one after the other and an empty final block making one stream, each a JSON array on a line."""
    inflater = zlib.decompressobj(-15)
    text = inflater.decompress(b''.join(base64.b64decode(t) for t in texts) + END).decode('utf-8')
    assert inflater.eof and not inflater.unused_data
    return [json.loads(line) for line in text.split('\n')[:len(texts)]]


def page_data(page):
    """The data block with the rows and the card views (faces and folds joined) unpacked."""
    data = json.loads(data_block(page))
    [data['rows']] = unpacked(data['rows'])
    faces = [face for block in unpacked(*data['faces']) for face in block]
    folds = [fold for block in unpacked(*data['folds']) for fold in block]
    data['cards'] = [dict(face, **fold) for face, fold in zip(faces, folds)]
    assert len(faces) == len(folds) == data['total']
    return data


def hostile_fleet(facts):
    records = []
    for index, name in enumerate(HOSTILE_NAMES):
        host = copy.deepcopy(facts)
        host['processes']['top_cpu'][0]['command'] = name
        host['processes']['top_cpu'][0]['args'] = name
        host['alerts'] = [{'severity': 'warning', 'subset': name, 'message': name}]
        records.append(summarize_host('%s-%d' % (name, index), host))
    return build_report(records, title='<b>fleet</b>')


def test_the_page_is_self_contained_and_fetches_nothing(facts):
    page = html.render_html(build_report([summarize_host('web1', facts)]))
    assert page.startswith('<!DOCTYPE html>')
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page)
    assert "default-src 'none'" in page
    assert page.count('<svg') >= 7
    assert page.count('<style>') == 2 and page.count('<script') == 2  # the page's own, and the no-JS style


def test_host_text_is_escaped_wherever_the_templates_place_it(facts):
    page = html.render_html(hostile_fleet(facts), page_size=len(HOSTILE_NAMES))
    # Only the two script elements of the page itself open, and nothing a host sent becomes a tag.
    assert page.count('<script') == 2 and '<img' not in page and '<!--' not in page
    assert '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in page
    assert '<title>&lt;b&gt;fleet&lt;/b&gt;</title>' in page
    assert 'data-name="&lt;img src=x onerror=alert(1)&gt;-2"' in page


def test_the_data_block_holds_no_character_that_html_or_javascript_parsers_treat_specially(facts):
    report = hostile_fleet(facts)
    page = html.render_html(report, page_size=1)
    raw = data_block(page)
    for character in ('<', '>', '&', '\u2028', '\u2029'):
        assert character not in raw
    data = page_data(page)
    names = [card['name'] for card in data['cards']]
    assert names == [host['name'] for host in report.records()]
    assert [row[3][0] for row in data['rows']] == names
    assert sorted(card['alerts'][0][2] for card in data['cards'] if card['alerts'][0][1] != 'processes') == \
        sorted(HOSTILE_NAMES)


def test_the_first_page_is_in_the_document_and_every_card_in_the_data(facts, quiet):
    records = [summarize_host('host-%d' % index, quiet(copy.deepcopy(facts))) for index in range(7)]
    page = html.render_html(build_report(records), page_size=3)
    section = page[page.index('<section class="hosts"'):page.index('<nav class="pager">')]
    assert section.count('<article') == 3
    assert 'data-total="7"' in section
    assert '<noscript><p class="muted">4 more hosts: see the JSON and CSV files' in page
    data = page_data(page)
    assert len(data['cards']) == len(data['rows']) == data['total'] == 7
    assert data['rows'][0][:2] == ['ok', 'ok'] and 'host-' in data['rows'][0][2]
    assert set(data['tables']) == {'cpu', 'io', 'fs', 'ns', 'containers'}
    table = page[page.index('<section class="table"'):page.index('</section>', page.index('<section class="table"'))]
    assert table.count('<tr class=') == 3 and '<th aria-sort="none"><button type="button" data-col="0"' in table
    assert '<option value="3" selected>3 per page</option>' in page


def test_blocks_are_cut_so_that_any_run_of_them_inflates_as_one_stream(facts, quiet, monkeypatch):
    monkeypatch.setattr(html, 'FACE_BLOCK', 2)
    monkeypatch.setattr(html, 'FOLD_BLOCK', 4)
    records = [summarize_host('host-%d' % index, quiet(copy.deepcopy(facts))) for index in range(7)]
    data = json.loads(data_block(html.render_html(build_report(records))))
    assert (len(data['faces']), len(data['folds']), data['face_block'], data['fold_block']) == (4, 2, 2, 4)
    # Blocks 3 and 1 (hosts 6 and 2-3), as a filtered page asks for them: each comes out whole, in its place.
    third, first = unpacked(data['faces'][3], data['faces'][1])
    assert [face['name'] for face in third + first] == ['host-6', 'host-2', 'host-3']
    assert 'tables' not in third[0] and set(unpacked(data['folds'][1])[0][2]) == set(html.FOLD)


def test_missing_subsets_render_as_na(facts):
    for subset in ('io', 'namespaces', 'containers', 'filesystems'):
        del facts[subset]
    del facts['processes']['cpu']
    page = html.render_html(build_report([summarize_host('partial', facts)]))
    card = page[page.index('<article'):page.index('</article>')]
    assert 'iowait · busiest disk</span><span class="v">n/a · n/a n/a' in card
    assert 'CPU busy</span><span class="v">n/a' in card
    assert '<h4>filesystems</h4>\n<p class="muted">n/a</p>' in card


def test_a_malformed_host_is_marked_and_the_others_render(facts):
    report = build_report([summarize_host('good', facts), summarize_host('broken', {'memory': {'total': 10 ** 400}})])
    page = html.render_html(report)
    assert '<span class="state">MALFORMED</span>' in page
    assert 'malformed facts: memory.total is an integer out of range' in page
    assert 'data-tile="malformed facts"><b>1</b>' in page
    good = page[page.index('data-name="good"'):]
    assert '<div class="metrics">' in good[:good.index('</article>')]


def test_page_size_must_be_positive(facts):
    with pytest.raises(FleetReportError, match='page_size must be 1 or more'):
        html.html_chunks(build_report([summarize_host('a', facts)]), page_size=0)


def test_the_templates_are_files_of_the_collection_rendered_with_autoescape():
    directory = os.path.join(html.TEMPLATES, 'fleet_report')
    assert sorted(os.listdir(directory)) == ['card.html.j2', 'charts.html.j2', 'page.html.j2', 'report.css',
                                             'report.js', 'table.html.j2']
    assert html.environment().autoescape is True
