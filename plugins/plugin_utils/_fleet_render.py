# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report from options to files: which pieces each format needs, the user's columns, the writes.

Private. The action plugin reads the hosts and calls these; tests and benchmarks call them without
Ansible.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Mapping

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_files import (
    DEFAULT_MODE, csv_chunks, csv_piece_maker, json_chunks, json_piece, write_atomically,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_html import card_piece, html_chunks, row_maker
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_summary import ReportBuilder
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_view import DEFAULT_TABLE, table_columns
from ansible_collections.hostops.fleet.plugins.plugin_utils._query import QueryError, compile_query, search

FORMATS = ('html', 'json', 'csv')
LABEL_LENGTH = 64


@contextlib.contextmanager
def frozen_heap():
    """The objects alive now are left out of the cyclic garbage collector's passes until the block ends.

    The report runs in an Ansible worker process, which holds hundreds of thousands of objects of
    ansible-core's. Each host's facts make thousands of short-lived objects, which set off full
    collections that walk all of those every few dozen hosts: 4 % of the report's CPU at 5,000 hosts.
    Nothing is kept from collection: the frozen objects were alive before, and each host's objects are
    collected as usual.
    """
    if gc.get_freeze_count():
        # Frozen already by the caller, whose to thaw.
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def piece_makers(formats=FORMATS, table=DEFAULT_TABLE):
    """What to render of each host as it arrives, for these formats."""
    makers = {}
    if 'json' in formats:
        makers['json'] = json_piece
    if 'csv' in formats:
        makers['csv'] = csv_piece_maker()
    if 'html' in formats:
        makers['card'] = card_piece
        makers['row'] = row_maker(table)
    return makers


def report_builder(formats=FORMATS, table=DEFAULT_TABLE, **head):
    """A ReportBuilder for these formats and table columns; ``head`` is the title, limits, user columns..."""
    return ReportBuilder(piece_makers(formats, table), table=table, **head)


def build_report(records, formats=FORMATS, table=DEFAULT_TABLE, **head):
    """A Report from records in memory (tests, benchmarks)."""
    builder = report_builder(formats, table, **head)
    for record in records:
        builder.add(record)
    return builder.finish()


def _user_column(item, index):
    where = 'columns[%d]' % index
    label, query = item.get('label'), item.get('query')
    unknown = sorted(set(item) - {'label', 'query'})
    if unknown or not isinstance(label, str) or not label.strip() or len(label) > LABEL_LENGTH:
        raise FleetReportError('%s must be a mapping with label (text of 1 to %d characters) and query (a JMESPath '
                               'expression over the host\'s hostfacts)%s'
                               % (where, LABEL_LENGTH, '; unknown keys: %s' % ', '.join(unknown) if unknown else ''))
    try:
        compiled = compile_query(query, option='%s.query' % where)
    except QueryError as exc:
        raise FleetReportError(str(exc))
    return label, lambda facts: search(compiled, facts, option=where)


def parse_columns(spec):
    """(built-in column names, [(label, function of the facts)]) from the columns option; None is the default."""
    if spec is None:
        return DEFAULT_TABLE, []
    if not isinstance(spec, (list, tuple)):
        raise FleetReportError('columns must be a list of column names and {label, query} mappings')
    names, user = [], []
    for index, item in enumerate(spec):
        if isinstance(item, Mapping):
            user.append(_user_column(item, index))
        else:
            names.append(item)
    return table_columns(names), user


def write_report(report, dest, basename='fleet-report', formats=FORMATS, mode=DEFAULT_MODE, page_size=50,
                 template_dir=None, check_mode=False):
    """Write each format to DEST/BASENAME.FORMAT (atomically, with ``mode``); the paths by format."""
    writers = {'html': lambda: html_chunks(report, page_size, template_dir),
               'json': lambda: json_chunks(report), 'csv': lambda: csv_chunks(report)}
    files = {}
    for fmt in formats:
        files[fmt] = os.path.join(dest, '%s.%s' % (basename, fmt))
        if not check_mode:
            write_atomically(files[fmt], writers[fmt](), mode)
    return files
