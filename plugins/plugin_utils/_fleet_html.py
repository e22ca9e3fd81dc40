# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's HTML writer: the Jinja2 templates of templates/fleet_report/ filled from the views. Private.

The templates are files of the collection, found next to this module, and rendered with autoescape
on: a host's text is escaped wherever a template places it. The card views of every host also go
into an inert ``<script type="application/json">`` block for the page script; inside it, ``<``,
``>`` and ``&`` are written as ``\\u`` escapes (and every non-ASCII character, U+2028 and U+2029
included, by the JSON encoder), so no host text can end the block, open a comment or a script, or
break the script that reads it.
"""

from __future__ import annotations

import functools
import json
import os

import jinja2
from markupsafe import Markup

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_charts import summary_view
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_view import TABLES, card_view, search_text

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')
PAGE_TEMPLATE = 'fleet_report/page.html.j2'
PAGE_SIZES = (25, 50, 100, 250)
FILTERS = (('critical', 'critical'), ('warning', 'warning'), ('info', 'info'), ('ok', 'ok'),
           ('unreachable', 'unreachable'), ('failed', 'failed'), ('malformed', 'malformed facts'),
           ('no_facts', 'no facts'))


@functools.lru_cache(maxsize=None)
def environment():
    """The Jinja2 environment of the report's templates, made once per process (templates compile once)."""
    # A user's own templates (a later option) would come first here, in a ChoiceLoader before this one.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@functools.lru_cache(maxsize=None)
def asset(name):
    """A style sheet or script of templates/fleet_report/, inlined as it is (it is ours, not a host's)."""
    with open(os.path.join(TEMPLATES, 'fleet_report', name), encoding='utf-8') as stream:
        return Markup(stream.read())


def script_json(value):
    """JSON that can stand inside a <script> element whatever strings it holds."""
    text = json.dumps(value, separators=(',', ':'))
    return Markup(text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026'))


def page_data(hosts):
    """The JSON block, one host's card view per piece: {"tables": ..., "cards": [...], "index": [...]}.

    ``index`` holds what the filter and the severity selector match: [severity, state, search text].
    """
    yield Markup('{"tables":%s,"cards":[' % script_json(TABLES))
    index = []
    for number, record in enumerate(hosts):
        yield Markup(',' if number else '') + script_json(card_view(record))
        index.append([record['severity'], record['state'], search_text(record)])
    yield Markup('],"index":%s}' % script_json(index))


def html_chunks(report, page_size=50):
    """The page in pieces: one self-contained file with inline CSS, SVG and script, nothing fetched."""
    if page_size < 1:
        raise FleetReportError('page_size must be 1 or more, got %r' % page_size)
    hosts = report['hosts']
    template = environment().get_template(PAGE_TEMPLATE)
    return template.generate(
        title=report['title'], generated_at=report['generated_at'], total=len(hosts),
        limits=', '.join('%s %g' % item for item in sorted(report['limits'].items())),
        summary=summary_view(report['summary']), filters=FILTERS,
        page_sizes=sorted(set(PAGE_SIZES + (page_size,))), page_size=page_size,
        first_page=[card_view(record) for record in hosts[:page_size]], tables=TABLES,
        data=page_data(hosts), style=asset('report.css'), script=asset('report.js'),
    )


def render_html(report, page_size=50):
    """The whole page as one string (tests, and callers that want it in memory)."""
    return ''.join(html_chunks(report, page_size))
