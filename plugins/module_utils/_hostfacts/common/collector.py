# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape every hostfacts collector has, and the report of alerts and warnings they share. Private."""

from __future__ import annotations

SEVERITY_ORDER = {'critical': 0, 'warning': 1, 'info': 2}


class Report(object):
    """Alerts an operator reads and warnings about partial facts, collected across collectors."""

    def __init__(self):
        self.alerts = []
        self.warnings = []

    def alert(self, severity, subset, message):
        self.alerts.append({'severity': severity, 'subset': subset, 'message': message})

    def warn(self, message):
        self.warnings.append(message)

    def sorted_alerts(self):
        return sorted(self.alerts, key=lambda a: (SEVERITY_ORDER.get(a['severity'], 9), a['subset']))


class Collector(object):
    """One subset of hostfacts (ansible-core's fact collector shape: a ``name`` and a method that returns facts).

    For a collector with ``takes_samples`` true, the orchestrator calls ``begin()`` (first sample), then
    ``tick()`` ``options.samples`` times spread across ``options.interval`` (only when the
    interval is above 0), then ``finish(elapsed)``, which returns the facts. ``elapsed`` is
    the measured seconds between the first and the last sample, or None when the interval
    is 0: rate fields must then be left out, not faked. A collector without samples only has
    ``finish(None)`` called, once.

    ``procfs`` is the reader (readers.procfs.ProcFS, or one over a fixture tree), ``options``
    a validated options.HostfactsOptions, ``report`` the shared Report.
    """

    name = None
    # True for collectors that compute rates from samples across the interval (processes, io); the
    # others run once, inside the sampling window.
    takes_samples = False

    def __init__(self, procfs, options, report):
        self.procfs = procfs
        self.options = options
        self.report = report

    def begin(self):
        """Take the first sample; collectors without rates do nothing."""

    def tick(self):
        """Take an intermediate sample during the interval."""

    def finish(self, elapsed):
        raise NotImplementedError
