# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts orchestrator: subsets, the sampling schedule, alerts, and options that mean one thing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._errors import OptionError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import (
    SUBSETS, gather, resolve_subsets)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support import hybrid_host_fixtures
from support.hostfacts_fixtures import fixture_procfs, options
from support.hybrid_host_fixtures import HYBRID_A, linux_tree

VALID = ['system', 'processes', 'memory', 'filesystems', 'namespaces', 'io']


@pytest.mark.parametrize('requested, expected', [
    (None, VALID),
    (['all'], VALID),
    (['min'], ['system', 'memory', 'filesystems']),
    (['!io'], ['system', 'processes', 'memory', 'filesystems', 'namespaces']),
    (['all', '!processes', '!namespaces'], ['system', 'memory', 'filesystems', 'io']),
    (['filesystems', 'processes'], ['processes', 'filesystems']),
    (['min', 'processes', '!filesystems'], ['system', 'processes', 'memory']),
])
def test_resolve_subsets(requested, expected):
    assert resolve_subsets(requested, VALID) == expected


@pytest.mark.parametrize('requested, expected', [
    # ansible-core test/units/module_utils/facts/test_collector.py, TestGetCollectorNames:
    (['!all'], ['system', 'memory', 'filesystems']),                # test_one_minimal_with_not_all_gather_subset
    (['!all', 'io'], ['system', 'memory', 'filesystems', 'io']),    # test_gather_subset_excludes_ordering
    (['io', '!all'], ['system', 'memory', 'filesystems', 'io']),    # test_not_all_other_order
    (['io', '!all', '!min'], ['io']),                               # test_gather_subset_excludes_min_and_all
    (['!all', '!min'], []),
    (['io', '!io'], ['io']),                                        # explicitly added beats excluded
])
def test_all_exclusion_keeps_min_as_setup_does(requested, expected):
    assert resolve_subsets(requested, VALID) == expected


def test_the_registry_holds_every_subset_in_report_order():
    assert SUBSETS == ('system', 'processes', 'memory', 'filesystems', 'namespaces', 'io', 'containers')


def test_unknown_subset_lists_the_valid_ones():
    with pytest.raises(OptionError) as error:
        resolve_subsets(['memory', 'bogus'], VALID)
    assert str(error.value).startswith('gather_subset') and 'bogus' in str(error.value)
    assert 'system, processes, memory, filesystems' in str(error.value)


def test_not_all_gathers_the_min_subsets_only(tmp_path):
    facts = gather(options(gather_subset=['!all']), procfs=fixture_procfs('bookworm-container', tmp_path))
    assert facts['gather_subset'] == ['system', 'memory', 'filesystems']
    assert facts['memory']['total'] > 0 and facts['filesystems']['mounts']
    assert 'processes' not in facts


def test_sampling_schedule_with_a_fake_clock(tmp_path):
    """The k-th sample is due at k/samples of the interval from the first: time spent elsewhere (the
    collectors that do not sample, an overloaded host that oversleeps) is taken off the next sleep."""
    procfs = fixture_procfs('bookworm-container', tmp_path)
    clock = [50.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds * 2  # an overloaded host sleeps longer than asked

    facts = gather(options(interval=1.0, samples=4, process_list='top'), procfs=procfs, sleep=sleep,
                   monotonic=lambda: clock[0])
    # Due at 50.25 (slept 0.25, woke at 50.5), 50.5 (due already), 50.75 (slept 0.25, woke at 51.25), 51.0.
    assert sleeps == [0.25, 0.0, 0.25, 0.0]
    assert facts['gather_subset'] == ['processes', 'memory', 'filesystems']
    assert facts['interval'] == 1.0
    # The fixture's /proc/stat did not move: no breakdown can be computed, and none is faked.
    assert facts['processes']['cpu'] is None
    # Nothing changed in the fixture during the (fake) 1.25 s: every rate is 0, measured over 1.25 s.
    assert all(row['cpu_pct'] == 0.0 for row in facts['processes']['top_cpu'])


def test_subsets_without_rates_do_not_sleep(tmp_path):
    """min used to sleep the whole interval although none of its subsets computes a rate."""
    procfs = fixture_procfs('bookworm-container', tmp_path)

    def sleep(seconds):
        raise AssertionError('no sleep expected without a sampled subset')

    facts = gather(options(gather_subset=['min'], interval=1.0), procfs=procfs, sleep=sleep)
    assert facts['interval'] == 0.0
    assert facts['memory']['total'] > 0


def test_collectors_are_imported_only_when_selected(tmp_path):
    """A run of one subset compiles no other collector (a fresh interpreter, over an empty tree)."""
    code = ('import sys\n'
            'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import gather, options\n'
            'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS\n'
            'gather.gather(options.HostfactsOptions.from_params({"gather_subset": ["system"]}), ProcFS(sys.argv[1]))\n'
            'print(sorted(name.rsplit(".", 1)[1] for name in sys.modules if "._hostfacts.collectors." in name))\n')
    loaded = subprocess.run([sys.executable, '-c', code, str(tmp_path)], stdout=subprocess.PIPE, check=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), universal_newlines=True)
    assert loaded.stdout.strip() == "['system']"


def test_interval_zero_takes_no_second_sample(tmp_path):
    procfs = fixture_procfs('bookworm-container', tmp_path)

    def sleep(seconds):
        raise AssertionError('no sleep expected with interval 0')

    facts = gather(options(interval=0.0), procfs=procfs, sleep=sleep)
    assert 'cpu' not in facts['processes']


def test_alerts_are_well_formed_and_sorted(tmp_path):
    opts = options(thresholds=dict(memory_available_pct=100.0, filesystem_use_pct=1.0, inode_use_pct=100.0))
    facts = gather(opts, procfs=fixture_procfs('bookworm-container', tmp_path))
    assert facts['alerts']
    for alert in facts['alerts']:
        assert set(alert) == {'severity', 'subset', 'message'}
        assert alert['severity'] in ('critical', 'warning', 'info')
    ranks = [{'critical': 0, 'warning': 1, 'info': 2}[a['severity']] for a in facts['alerts']]
    assert ranks == sorted(ranks)


# ---------------------------------------------------------------- one option, one meaning in every subset


@pytest.fixture(scope='module')
def hybrid_tree(tmp_path_factory):
    return linux_tree(HYBRID_A, tmp_path_factory.mktemp('gather'), 'hybrid-a')


def gather_hybrid(root, **overrides):
    """processes, namespaces and io over the capture hybrid-a (one sample: io ranks by totals)."""
    opts = hybrid_host_fixtures.options(gather_subset=['processes', 'namespaces', 'io'], interval=0, **overrides)
    return gather(opts, procfs=ProcFS(root))


@pytest.mark.parametrize('top', [0, 1, 3])
def test_top_bounds_every_ranked_list_alike(tmp_path, hybrid_tree, top):
    """top: 0 used to empty the process lists while io still returned 10 readers and writers."""
    io = gather_hybrid(hybrid_tree, top=top)['io']
    processes = gather(options(gather_subset=['processes'], top=top, process_list='top'),
                       procfs=fixture_procfs('bookworm-container', tmp_path))['processes']
    lengths = [len(processes['top_cpu']), len(processes['top_memory']), len(io['top_readers']), len(io['top_writers'])]
    assert lengths == [top] * 4


def command_lines(facts):
    """{(where, pid): text} of every command line in the facts."""
    found = {}
    for key in ('top_cpu', 'top_memory'):
        found.update((('processes', row['pid']), row['args']) for row in facts['processes'][key])
    for key in ('top_readers', 'top_writers', 'd_state'):
        found.update((('io ' + key, row['pid']), row['command']) for row in facts['io'][key])
    found.update((('namespaces', entry['type'], entry['inode']), entry['command'])
                 for entry in facts['namespaces']['namespaces'])
    return found


def test_cmdline_length_cuts_every_command_line_alike(hybrid_tree):
    """Process args, io and state D commands, namespace holders: cmdline_length used to cut only the first."""
    full = command_lines(gather_hybrid(hybrid_tree, top=5))
    cut = command_lines(gather_hybrid(hybrid_tree, top=5, cmdline_length=8))
    assert set(cut) == set(full)
    long_ones = set(key[0].split()[0] for key, text in full.items() if text and len(text) > 8)
    assert long_ones == {'processes', 'io', 'namespaces'}
    for key, text in full.items():
        assert cut[key] == (text[:8] if text is not None else None), key


def test_secrets_are_masked_in_every_command_line(tmp_path):
    """Processes, io readers, writers and state D, namespace holders: each masks --token's value."""
    root = linux_tree(HYBRID_A, tmp_path, 'hybrid-secrets')
    for pid in os.listdir(os.path.join(root, 'proc')):
        path = os.path.join(root, 'proc', pid, 'cmdline')
        if pid.isdigit() and os.path.isfile(path) and os.path.getsize(path):
            with open(path, 'ab') as handle:
                handle.write(b'--token\0tok-5ecret\0')
            in_d = pid  # one user process in state D, for io's d_state
    with open(os.path.join(root, 'proc', in_d, 'stat'), 'rb') as handle:
        stat = handle.read()
    close = stat.rfind(b')')
    with open(os.path.join(root, 'proc', in_d, 'stat'), 'wb') as handle:
        handle.write(stat[:close + 2] + b'D' + stat[close + 3:])
    facts = gather_hybrid(root, top=5)
    texts = command_lines(facts)
    assert 'tok-5ecret' not in repr(facts)
    masked = set(key[0].split()[0] for key, text in texts.items() if text and text.endswith('--token ********'))
    assert masked == {'processes', 'io', 'namespaces'}
    assert any(key[0] == 'io d_state' for key in texts)
    assert 'tok-5ecret' in repr(gather_hybrid(root, top=5, redact_secrets=False))
