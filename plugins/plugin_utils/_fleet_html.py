# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's HTML writer: the Jinja2 templates of templates/fleet_report/ filled from the views. Private.

The templates are files of the collection, found next to this module (a user's directory of templates
comes first when given), and rendered with autoescape on: a host's text is escaped wherever a
template places it.

Every host's card view and table row also travel, for the page script, in the inert
``<script type="application/json">`` block: compressed (raw DEFLATE, the browser's
``DecompressionStream('deflate-raw')``) and base64-encoded. A card view travels in two parts: its
face (what a page shows) in blocks of FACE_BLOCK hosts, inflated when a page needs them, and its
details fold (FOLD) in blocks of FOLD_BLOCK hosts, inflated when a fold is opened. Base64 holds no
character that could end the block; the few texts outside it (column labels) are JSON with ``<``, ``>``
and ``&`` as ``\\u`` escapes, and every non-ASCII character (U+2028 and U+2029 included) escaped by the
JSON encoder.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import zlib

import jinja2
from markupsafe import Markup

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_charts import summary_view
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_view import (
    TABLE_COLUMNS, TABLES, card_view, table_row,
)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')
PAGE_TEMPLATE = 'fleet_report/page.html.j2'
PAGE_SIZES = (25, 50, 100, 250)
FILTERS = (('critical', 'critical'), ('warning', 'warning'), ('info', 'info'), ('ok', 'ok'),
           ('unreachable', 'unreachable'), ('failed', 'failed'), ('malformed', 'malformed facts'),
           ('no_facts', 'no facts'), ('stale', 'stale'))
# The parts of a card view drawn only when its details fold is opened: 60 % of a view's bytes.
FOLD = ('tables', 'findings', 'footnote')
# Hosts per compressed block of card faces. A page in report order needs a few blocks, but a filtered or
# sorted page may need one block per card, so a block is small: faces compress 6.7 times in blocks of 5,
# 9.2 in blocks of 10, 14 in blocks of 50. Folds are opened one at a time: their blocks are larger.
FACE_BLOCK = 10
FOLD_BLOCK = 50  # a multiple of FACE_BLOCK: page_data cuts the faces of each block of folds into blocks
# zlib's default level: 6 compresses card views about 16 times at about 160 MB/s here; 9 gains 4 %
# for half the speed, 1 loses 40 %.
LEVEL = 6


@functools.lru_cache(maxsize=None)
def environment(template_dir=None):
    """The Jinja2 environment of the report's templates, made once per process and directory.

    A user's ``template_dir`` comes first: its ``fleet_report/card.html.j2`` (or any other file of
    ours, the style sheet and the script included) replaces ours by name.
    """
    loaders = [jinja2.FileSystemLoader(TEMPLATES)]
    if template_dir:
        loaders.insert(0, jinja2.FileSystemLoader(template_dir))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def asset(env, name):
    """A style sheet or script of fleet_report/, inlined as it is (ours, or the user's own)."""
    return Markup(env.loader.get_source(env, 'fleet_report/' + name)[0])


def script_json(value):
    """JSON that can stand inside a <script> element whatever strings it holds."""
    text = json.dumps(value, separators=(',', ':'))
    return Markup(text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026'))


def card_piece(record):
    """A host's card view as two JSON texts on two lines: its face, and its details fold (the keys of FOLD
    it has: a host without facts has none).

    Drawn by the template on the first page, by the script on the others. JSON escapes a newline in a
    string, so the first newline is the one between the two.
    """
    view = card_view(record)
    fold = dict((key, view.pop(key)) for key in FOLD if key in view)
    return '\n'.join(json.dumps(part, separators=(',', ':'), ensure_ascii=False) for part in (view, fold))


def card_parts(text):
    """(face, fold): the two JSON texts of a card piece."""
    return text.split('\n', 1)


def whole_card(text, rank):
    """A host's whole card view, from its card piece, as the template draws it."""
    face, fold = card_parts(text)
    return dict(json.loads(face), rank=rank, **json.loads(fold))


def row_maker(columns):
    """The maker of a host's table row (and filter index entry) for these built-in columns."""
    return lambda record: json.dumps(table_row(record, columns), separators=(',', ':'), ensure_ascii=False)


def packed(texts):
    """A JSON array of the texts and a newline, as a flushed raw DEFLATE segment, base64-encoded.

    Each segment is compressed on its own and flushed (Z_FULL_FLUSH: byte-aligned, no reference to
    anything before it), not finished: any run of segments followed by an empty final block is one
    DEFLATE stream, so the page script inflates all the blocks a page needs in one pass.
    """
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    parts = [packer.compress(b'[')]
    for number, text in enumerate(texts):
        parts.append(packer.compress((',' if number else '').encode('ascii') + text.encode('utf-8', 'replace')))
    parts.append(packer.compress(b']\n') + packer.flush(zlib.Z_FULL_FLUSH))
    return base64.b64encode(b''.join(parts)).decode('ascii')


def page_data(report, head):
    """The data block in pieces: the table head, the rows, the faces of the cards, then their folds.

    The spool is read once: the folds (about a third of the block) wait, compressed, until the faces are out.
    """
    yield Markup('{"tables":%s,"columns":%s,"face_block":%d,"fold_block":%d,"total":%d,"rows":"%s","faces":[' % (
        script_json(TABLES), script_json(head), FACE_BLOCK, FOLD_BLOCK, len(report),
        packed(text for _rank, text in report.pieces('row'))))
    folds = []
    for start in range(0, len(report), FOLD_BLOCK):
        parts = [card_parts(text) for _rank, text in report.pieces('card', start, start + FOLD_BLOCK)]
        folds.append(packed(fold for _face, fold in parts))
        yield Markup('%s%s' % (',' if start else '', ','.join(
            '"%s"' % packed(face for face, _fold in parts[first:first + FACE_BLOCK])
            for first in range(0, len(parts), FACE_BLOCK))))
    yield Markup('],"folds":["%s"]}' % '","'.join(folds) if folds else '],"folds":[]}')


def table_head(report):
    """[label, name] of the table's columns: the built-in ones chosen, then the user's (named 'user')."""
    return [[TABLE_COLUMNS[name][0], name] for name in report.head['table']] + [
        [label, 'user'] for label in report.head['columns']]


def html_chunks(report, page_size=50, template_dir=None):
    """The page in pieces: one self-contained file with inline CSS, SVG and script, nothing fetched."""
    if page_size < 1:
        raise FleetReportError('page_size must be 1 or more, got %r' % page_size)
    env = environment(template_dir)
    first_page = [whole_card(text, rank) for rank, text in report.pieces('card', 0, page_size)]
    first_rows = [json.loads(text) for _rank, text in report.pieces('row', 0, page_size)]
    head = table_head(report)
    return env.get_template(PAGE_TEMPLATE).generate(
        title=report.head['title'], generated_at=report.head['generated_at'], total=len(report),
        limits=', '.join('%s %g' % item for item in sorted(report.head['limits'].items())),
        summary=summary_view(report.summary), filters=FILTERS,
        page_sizes=sorted(set(PAGE_SIZES + (page_size,))), page_size=page_size,
        first_page=first_page, first_rows=first_rows, table_head=head, tables=TABLES,
        data=page_data(report, head), style=asset(env, 'report.css'), script=asset(env, 'report.js'),
    )


def render_html(report, page_size=50, template_dir=None):
    """The whole page as one string (tests, and callers that want it in memory)."""
    return ''.join(html_chunks(report, page_size, template_dir))
