# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ps and top formatting shared by the collectors: TIME, TTY, the Tasks: line, %Cpu(s), command lines."""

from __future__ import annotations

from collections import namedtuple

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import psformat
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions


@pytest.mark.parametrize('seconds, text', [(0, '00:00:00'), (59.9, '00:00:59'), (3725, '01:02:05'),
                                           (90061, '1-01:01:01')])
def test_cpu_time_str_is_ps_time(seconds, text):
    assert psformat.cpu_time_str(seconds) == text


@pytest.mark.parametrize('tty_nr, name', [(0, '?'), (34816, 'pts/0'), (34817, 'pts/1'), (1025, 'tty1'),
                                          (1088, 'ttyS0'), ((137 << 8) | 3, 'pts/259')])
def test_tty_name(tty_nr, name):
    assert psformat.tty_name(tty_nr) == name


def test_count_tasks_follows_top():
    counts = psformat.count_tasks(['R', 'S', 'D', 'I', 'T', 't', 'Z', 'S'])
    assert counts == {'total': 8, 'running': 1, 'sleeping': 4, 'stopped': 2, 'zombie': 1,
                      'uninterruptible': 1, 'idle': 1}


def test_cpu_breakdown_takes_proc_stat_and_psutil_samples_alike():
    """/proc/stat's CpuTimes and psutil's scputimes share field names; fields a platform lacks count as 0."""
    bsd_times = namedtuple('scputimes', ['user', 'nice', 'system', 'idle', 'irq'])
    first, last = bsd_times(10.0, 0.0, 5.0, 80.0, 0.0), bsd_times(40.0, 0.0, 15.0, 140.0, 0.0)
    assert psformat.cpu_breakdown(first, last) == {'us': 30.0, 'sy': 10.0, 'ni': 0.0, 'id': 60.0, 'wa': 0.0,
                                                   'hi': 0.0, 'si': 0.0, 'st': 0.0}
    assert psformat.cpu_breakdown(first, first) is None
    assert psformat.cpu_breakdown(None, last) is None


@pytest.mark.parametrize('argv, fallback, length, text', [
    (['/usr/bin/python3', '-m', 'http.server'], '[python3]', 256, '/usr/bin/python3 -m http.server'),
    (['/usr/bin/python3', '-m', 'http.server'], '[python3]', 10, '/usr/bin/p'),
    ([], '[kthreadd]', 256, '[kthreadd]'),
    (None, '[sleep] <defunct>', 7, '[sleep]'),
    (['anything'], '[x]', 0, ''),
])
def test_command_line_is_cut_the_same_way_for_args_and_fallbacks(argv, fallback, length, text):
    options = HostfactsOptions.from_params({'cmdline_length': length})
    assert psformat.command_line(argv, fallback, options) == text


@pytest.mark.parametrize('length, text', [
    (256, 'agent --server https://r.example --token ******** --ca-checksum ff'),
    # The cut comes after the mask: never the first characters of the token.
    (40, 'agent --server https://r.example --token'),
    (45, 'agent --server https://r.example --token ****'),
])
def test_secrets_are_masked_before_the_cut(length, text):
    argv = ['agent', '--server', 'https://r.example', '--token', 'tok-4f9a2c', '--ca-checksum', 'ff']
    options = HostfactsOptions.from_params({'cmdline_length': length})
    assert psformat.command_line(argv, '[agent]', options) == text


def test_redact_secrets_false_returns_the_command_line_as_it_is():
    argv = ['agent', '--token', 'tok-4f9a2c']
    options = HostfactsOptions.from_params({'redact_secrets': False})
    assert psformat.command_line(argv, '[agent]', options) == 'agent --token tok-4f9a2c'
