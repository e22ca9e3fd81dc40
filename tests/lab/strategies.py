# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies that compose scenarios from the building blocks: how many, which, in what order,
nested in which earlier filesystem, hung or removed mid-run. Shrinking removes blocks and moves every
parameter towards its simplest value (the first of each sampled_from list)."""

from __future__ import annotations

from hypothesis import strategies as st

from lab import blocks
from lab.scenario import Scenario

removed = st.booleans()


def _kernel_filesystems():
    """What this kernel mounts (a lab on a kernel without vfat leaves vfat out rather than failing)."""
    with open('/proc/filesystems') as handle:
        return {line.split()[-1] for line in handle if line.strip()}


LOOP_FSTYPES = [t for t in ('ext4', 'vfat', 'btrfs', 'xfs') if t in _kernel_filesystems()]

BLOCKS = {
    'tmpfs': st.builds(blocks.Tmpfs, removed=removed, size_kib=st.sampled_from([4096, 64, 1 << 20]),
                       nr_inodes=st.sampled_from([0, 64]), fill=st.sampled_from(['none', 'half', 'full', 'inodes_full'])),
    'loopfs': st.builds(blocks.LoopFs, removed=removed, fstype=st.sampled_from(LOOP_FSTYPES),
                        fill=st.sampled_from(['none', 'half', 'full']), readonly=st.booleans()),
    'squashfs': st.builds(blocks.Squashfs, files=st.integers(1, 4)),
    'overlay': st.builds(blocks.Overlay, removed=removed, writer=st.booleans()),
    'bind': st.builds(blocks.Bind, removed=removed, target=st.integers(0, 7), readonly=st.booleans(),
                      private=st.booleans(), move=st.booleans()),
    'btrfs_subvolumes': st.builds(blocks.BtrfsSubvolumes, subvolumes=st.integers(1, 3)),
    'fuse': st.builds(blocks.Fuse, removed=removed, hung=st.booleans(), copies=st.integers(1, 20)),
    'hidepid': st.builds(blocks.HidePid),
    'threads': st.builds(blocks.Threads, threads=st.integers(1, 40)),
    'title': st.builds(blocks.Title, title=st.sampled_from(['worker: idle', 'postgres: checkpointer',
                                                           'nginx: worker process', 'sshd: root@pts/0 [priv]'])),
    'reaped_child': st.builds(blocks.ReapedChild, mib=st.sampled_from([64, 128, 256]),
                              delay=st.sampled_from([1.0, 0.8, 1.3])),
    'writer': st.builds(blocks.Writer, how=st.sampled_from(['buffered', 'odirect', 'raw'])),
}


@st.composite
def scenarios(draw, kinds=tuple(BLOCKS), max_blocks=6):
    """A scenario of 1..max_blocks blocks of the given kinds, each nested in an earlier one (or not)."""
    chosen = draw(st.lists(st.sampled_from(kinds).flatmap(lambda kind: BLOCKS[kind]), min_size=1, max_size=max_blocks))
    placed = [(block, draw(st.integers(0, index))) for index, block in enumerate(chosen)]
    return Scenario(placed, net=draw(st.booleans()), include_pseudo=draw(st.booleans()))
