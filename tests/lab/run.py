# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make lab`: generate scenarios for as long as it is given, shrink each failure, write what it found.

    python -m lab.run --minutes 60 [--seed N] [--out build/lab-findings.txt]

Hypothesis generates scenarios; the first failure (a comparison that differs) is shrunk to a minimal
scenario, whose script is printed and appended to the findings file. That check is then set aside as
found (so one defect does not hide the next) and generation goes on until the time is up.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Flaky

from lab import compare, scenario
from lab.strategies import scenarios


class Difference(AssertionError):
    pass


class TimeUp(Exception):
    """Raised by every example once the time is up, so that Hypothesis stops generating (it would otherwise
    go on drawing scenarios, each returning at once, up to max_examples)."""


def hunt(minutes_left, found_checks, lab_seed, max_blocks):
    """One Hypothesis search: (scenario, findings) of the minimal failure, or None when time ran out."""
    stop_at = time.monotonic() + minutes_left * 60
    state = {'failing': None, 'examples': 0}

    @seed(lab_seed)
    @settings(max_examples=1000000, deadline=None, database=None, derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(scenarios(max_blocks=max_blocks))
    def search(case):
        if time.monotonic() > stop_at and state['failing'] is None:
            raise TimeUp()
        state['examples'] += 1
        try:
            found = [f for f in scenario.run(case)['findings'] if f['check'] not in found_checks]
        except scenario.BuildError as error:
            found = [compare.finding('lab_build', str(error)[-800:])]
            found = [f for f in found if f['check'] not in found_checks]
        if found:
            state['failing'] = (case, found)
            raise Difference(found)

    try:
        search()
    except Difference:
        return state['failing'], state['examples']
    except Flaky:
        return state['failing'], state['examples']
    except TimeUp:
        pass
    return None, state['examples']


def report(case, found, out):
    text = ['=' * 100, '# finding: %s' % ', '.join(sorted({f['check'] for f in found}))]
    text += ['#   %s' % f['message'] for f in found]
    text.append(case.script())
    block = '\n'.join(text) + '\n'
    sys.stdout.write(block)
    sys.stdout.flush()
    with open(out, 'a') as handle:
        handle.write(block)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=float(os.environ.get('LAB_MINUTES', 60)))
    parser.add_argument('--seed', type=int, default=int(os.environ.get('LAB_SEED') or random.randrange(1 << 32)))
    parser.add_argument('--out', default='build/lab-findings.txt')
    parser.add_argument('--max-blocks', type=int, default=6)
    args = parser.parse_args(argv)
    scenario.reset_root()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as handle:
        handle.write('# hostfacts differential lab: seed %d, %g minutes, started %s\n' % (
            args.seed, args.minutes, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())))
    end = time.monotonic() + args.minutes * 60
    found_checks, total, findings = set(), 0, 0
    round_seed = args.seed
    while time.monotonic() < end:
        failing, examples = hunt((end - time.monotonic()) / 60, found_checks, round_seed, args.max_blocks)
        total += examples
        if failing is None:
            break
        case, found = failing[0], failing[1]
        report(case, found, args.out)
        findings += 1
        found_checks.update(f['check'] for f in found)
        round_seed += 1
    summary = '# %d scenarios, %d findings (%s), seed %d\n' % (
        total, findings, ', '.join(sorted(found_checks)) or 'none', args.seed)
    sys.stdout.write(summary)
    with open(args.out, 'a') as handle:
        handle.write(summary)
    return 0


if __name__ == '__main__':
    sys.exit(main())
