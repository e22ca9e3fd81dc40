# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stdout callback's tables on the captured host, on hostile text and on facts of the wrong shape."""

from __future__ import annotations

import json
import unicodedata

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _hostfacts_tables as tables
from ansible_collections.hostops.fleet.plugins.plugin_utils._format import human_bytes

# What a hostile user on a managed host can put in argv (exec -a) or comm (prctl PR_SET_NAME): a forged
# row, a forged alert line and host header, and terminal commands (set title, clear screen, CSI in C1).
FORGED = '\n== web9: hostfacts all, interval 1.0 s\nALERTS: none\n'
HOSTILE = 'evil' + FORGED + '\x1b]0;pwned\x07\x1b[2J\x9b6n\u202egnp.exe\r\t\x00\x7f'


def assert_terminal_safe(text):
    """No character a terminal would act on, and no line the host wrote."""
    for char in text:
        if char != '\n':
            assert unicodedata.category(char) not in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs'), repr(char)
    assert '== web9' not in [line[:7] for line in text.splitlines()]


def test_free_h_table(facts):
    lines = tables.render_memory(facts, 10)
    assert lines[0].split() == ['total', 'used', 'free', 'shared', 'buff/cache', 'available']
    mem = lines[1].split()
    assert mem[0] == 'Mem:' and mem[1] == human_bytes(facts['memory']['total'])
    assert mem[6] == human_bytes(facts['memory']['available'])
    assert lines[2].split()[0] == 'Swap:'


def test_df_h_table_has_every_mount_right_aligned(facts):
    lines = tables.render_filesystems(facts, 10)
    assert lines[0].split()[:3] == ['Filesystem', 'Type', 'Size']
    assert len(lines) == 1 + len(facts['filesystems']['mounts'])
    ends = set(len(line.split('  ' + line.split()[-1])[0]) for line in lines[1:])
    assert len(ends) == 1  # the numeric columns end at the same place on every line
    assert lines[1].split()[-1] == facts['filesystems']['mounts'][0]['mount_point']


def test_ps_aux_table_lists_top_cpu_in_order(facts):
    lines = tables.render_processes(facts, 3)
    header = lines[1].split()
    assert header == ['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']
    pids = [int(line.split()[1]) for line in lines[2:5]]
    assert pids == [p['pid'] for p in facts['processes']['top_cpu'][:3]]
    assert 'top memory' in lines[5]


def test_interval_zero_says_cpu_is_a_lifetime_average(facts):
    for row in facts['processes']['top_cpu'] + facts['processes']['top_memory']:
        row.pop('cpu_pct', None)
    lines = tables.render_processes(facts, 3)
    assert 'lifetime average, as ps; interval was 0' in lines[0]
    assert 'lifetime average, as ps; interval was 0' in lines[5]


def _blocks(lines):
    """{heading: [rows split in columns]} of a section whose tables each follow a heading ending in ':'."""
    blocks, heading = {}, None
    for line in lines:
        if line.endswith(':'):
            heading = line
            blocks[heading] = []
        elif heading and not line.split()[0].isupper():
            blocks[heading].append(line.split())
    return blocks


def test_each_process_table_heading_names_the_order_its_rows_are_in(facts):
    """The top-memory table once carried the top-CPU heading: each heading must say what its rows are ranked by,
    and the rows must be in that order."""
    blocks = _blocks(tables.render_processes(facts, 10))
    cpu_heading, memory_heading = list(blocks)
    assert cpu_heading.startswith('top CPU, by %%CPU over the %s s interval' % facts['interval'])
    assert memory_heading.startswith('top memory, by RSS;')
    cpu = [float(row[2]) for row in blocks[cpu_heading]]
    rss = [int(row[5]) for row in blocks[memory_heading]]
    assert cpu == sorted(cpu, reverse=True) and len(set(cpu)) > 1
    assert rss == sorted(rss, reverse=True) and len(set(rss)) > 1
    assert [int(row[1]) for row in blocks[memory_heading]] == [p['pid'] for p in facts['processes']['top_memory']]


def test_io_table_with_rates_is_ranked_and_headed_by_bytes_per_second(facts):
    io = facts['io']
    io['top_writers'] = [dict(io['top_writers'][0], pid=11, read_bytes_s=0.0, write_bytes_s=4096.0, read_bytes=9e9)]
    io['top_readers'] = [dict(io['top_writers'][0], pid=12, read_bytes_s=1048576.0, write_bytes_s=0.0, read_bytes=1)]
    lines = tables.render_io(facts, 10)
    start = lines.index('top I/O, by bytes per second (iotop):')
    assert lines[start + 1].split()[:6] == ['PID', 'USER', 'DISK', 'READ', 'DISK', 'WRITE']
    assert [line.split()[0] for line in lines[start + 2:start + 4]] == ['12', '11']
    assert '/s' in lines[start + 2]


def test_io_table_of_a_snapshot_is_ranked_and_headed_by_totals(facts):
    """With interval 0 there are no rates: the table shows, and ranks by, bytes since each process started,
    and says so, instead of a column of n/a."""
    io = facts['io']
    row = dict((k, v) for k, v in io['top_writers'][0].items() if not k.endswith('_s'))
    io['top_writers'] = [dict(row, pid=11, read_bytes=0, write_bytes=4096)]
    io['top_readers'] = [dict(row, pid=12, read_bytes=1048576, write_bytes=0)]
    io.pop('iowait_pct', None)
    lines = tables.render_io(facts, 10)
    heading = [line for line in lines if line.startswith('top I/O')]
    assert heading == ['top I/O, by bytes since each process started (iotop -a); interval was 0:']
    start = lines.index(heading[0])
    assert lines[start + 1].split()[:6] == ['PID', 'USER', 'READ', 'TOTAL', 'WRITE', 'TOTAL']
    rows = [line.split() for line in lines[start + 2:start + 4]]
    assert [r[0] for r in rows] == ['12', '11']
    assert 'n/a' not in ' '.join(lines[start + 2:start + 4])


def test_lsns_table_lists_non_default_namespaces(facts):
    lines = tables.render_namespaces(facts, 50)
    non_default = [n for n in facts['namespaces']['namespaces'] if not n['default']]
    assert "%d not the host's" % len(non_default) in lines[0]
    assert lines[1].split()[:4] == ['NS', 'TYPE', 'NPROCS', 'PID']
    assert set(int(line.split()[0]) for line in lines[2:]) == set(n['inode'] for n in non_default)


def test_rows_option_bounds_tables(facts):
    lines = tables.render_namespaces(facts, 2)
    assert len(lines) == 1 + 1 + 2 + 1 and lines[-1].startswith('... and ')


def test_alerts_come_first_and_missing_subsets_are_left_out(facts):
    facts['alerts'] = [{'severity': 'critical', 'subset': 'memory', 'message': 'memory available 3 %'}]
    for subset in ('io', 'namespaces', 'containers'):
        del facts[subset]
    text = tables.render_hostfacts('web1', facts)
    assert text.splitlines()[0].startswith('== web1: hostfacts')
    assert text.splitlines()[1] == 'ALERTS'
    assert 'CRITICAL' in text.splitlines()[2] and 'memory available 3 %' in text
    assert 'iowait' not in text and 'namespaces:' not in text


def test_na_for_missing_values():
    assert tables.render_memory({'memory': {'total': 1024}}, 10)[1].split()[2] == 'n/a'


def test_hostile_command_line_stays_in_its_row_and_is_shown_escaped(facts):
    facts['processes']['top_cpu'][0]['args'] = HOSTILE
    facts['processes']['top_cpu'][0]['command'] = HOSTILE[:15]
    text = tables.render_hostfacts('web1', facts, rows=3)
    assert_terminal_safe(text)
    lines = text.splitlines()
    row = [line for line in lines if 'evil' in line]
    assert len(row) == 1 and row[0].split()[1] == str(facts['processes']['top_cpu'][0]['pid'])
    assert r'evil\x0a== web9: hostfacts all' in row[0] and r'\x1b]0;pwned\x07\x1b[2J\x9b6n\u202egnp' in row[0]
    assert lines.count('ALERTS: none') == 1 and not [line for line in lines if line.startswith('== web9')]


@pytest.mark.parametrize('place', ['mount_point', 'device', 'fstype'])
def test_hostile_mount_text_is_escaped(facts, place):
    facts['filesystems']['mounts'][0][place] = HOSTILE
    text = tables.render_hostfacts('web1', facts, sections=['filesystems'])
    assert_terminal_safe(text)
    assert len(text.splitlines()) == 1 + 1 + len(facts['filesystems']['mounts'])


def test_every_section_escapes_what_the_host_sent(facts):
    """Every string a host sent, in every place, replaced by the hostile text: nothing reaches the terminal."""
    def poison(value):
        if isinstance(value, dict):
            return dict((key, poison(item)) for key, item in value.items())
        if isinstance(value, list):
            return [poison(item) for item in value]
        return HOSTILE if isinstance(value, str) else value
    text = tables.render_hostfacts('web1', poison(facts), sections=tables.SECTIONS, rows=50)
    assert_terminal_safe(text)
    assert 'not shown' not in text  # strings everywhere are not a wrong shape


@pytest.mark.parametrize('subset, value', [
    ('processes', {'top_cpu': [1, 'x', None, {'pid': [1], 'start_time': 5}], 'tasks': [], 'load': 'high'}),
    ('memory', ['total']), ('filesystems', {'mounts': 'all', 'du': [{'path': None}]}),
    ('io', {'disks': {'sda': 1}, 'top_writers': [{'pid': {}, 'write_bytes_s': 'fast'}], 'findings': 'x'}),
    ('namespaces', {'namespaces': [{'inode': [], 'type': None, 'pinned_by': 'fd'}], 'counts': [1, 2]}),
    ('containers', 'docker'), ('alerts', {'severity': 'critical'}), ('warnings', 'one'),
])
def test_facts_of_the_wrong_shape_never_stop_the_other_sections(facts, subset, value):
    facts[subset] = value
    text = tables.render_hostfacts('web1', facts, sections=tables.SECTIONS)
    assert text.startswith('== web1: hostfacts')
    assert 'Mem:' in text or subset == 'memory'
    assert 'Mounted on' in text or subset == 'filesystems'


def test_a_section_that_fails_says_so_on_one_line():
    class Exploding(dict):
        def get(self, key, default=None):
            raise TypeError('boom')
    text = tables.render_hostfacts('web1', {'memory': Exploding(total=1), 'alerts': []}, sections=['alerts', 'memory'])
    assert text.splitlines()[-1] == 'memory: not shown, the facts have an unexpected shape (TypeError)'


@pytest.mark.parametrize('value, body', [
    (4242, ['4242']), (None, ['null']), ('sleep', ['sleep']),
    ({'pid': 1, 'cmd': 'init'}, ['{', '  "cmd": "init",', '  "pid": 1', '}']),
    ([HOSTILE], None),
])
def test_query_answer_is_printed_under_a_heading(value, body):
    text = tables.render_query('web1', 'processes.top_cpu[0].pid', value)
    lines = text.splitlines()
    assert lines[0] == '== web1: query processes.top_cpu[0].pid'
    assert_terminal_safe(text)
    if body is not None:
        assert lines[1:] == body
    else:
        assert json.loads('\n'.join(lines[1:]).replace('\\x', '\\u00'))  # still JSON, escapes aside


def test_a_hostile_string_answer_stays_on_its_line():
    lines = tables.render_query('web1', 'processes.top_cpu[0].args', HOSTILE).splitlines()
    assert len(lines) == 2 and lines[1].startswith(r'evil\x0a== web9')


@pytest.mark.parametrize('args, command, shown', [
    ('sleep 100', 'sleep', 'sleep 100'), ('', 'python3', '[python3]'), ('   ', 'spin', '[spin]'),
    (None, '[kthreadd]', '[kthreadd]'), ('[kthreadd]', '[kthreadd]', '[kthreadd]'),
])
def test_a_blank_command_line_shows_comm_in_brackets_as_ps_does(facts, args, command, shown):
    facts['processes']['top_cpu'] = [dict(facts['processes']['top_cpu'][0], args=args, command=command)]
    row = tables.render_processes(facts, 1)[2]
    assert row.endswith('  ' + shown)
