# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UUID and label from captured superblocks, against what blkid -p printed for the same images."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers import superblock

from support.superblock_fixtures import NAMES, blkid_value, load

FSTYPE = {'ext2': 'ext2', 'ext3': 'ext3', 'ext4': 'ext4', 'xfs': 'xfs', 'btrfs': 'btrfs', 'vfat16': 'vfat',
          'vfat16-root-label': 'vfat', 'vfat32': 'vfat'}


def reader(image):
    return lambda offset, size: image[offset:offset + size]


def test_every_type_blkid_reads_has_a_fixture():
    assert set(FSTYPE[name] for name in NAMES) == {'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat'}


@pytest.mark.parametrize('name', NAMES)
def test_uuid_and_label_are_those_blkid_read_from_the_same_image(name):
    image, blkid = load(name)
    assert superblock.identify(FSTYPE[name], reader(image)) == (blkid['UUID'], blkid['LABEL'])


def test_the_root_directory_label_wins_over_the_boot_sector_no_name():
    image, blkid = load('vfat16-root-label')
    assert image[43:54] == b'NO NAME    ' and 'LABEL_FATBOOT' not in blkid
    assert superblock.identify('vfat', reader(image)).label == blkid['LABEL'] == 'HFVFAT16'


def test_the_boot_sector_label_serves_when_the_root_directory_has_none():
    image, _blkid = load('vfat16')
    root = image.find(b'HFVFAT16   \x08')
    assert root > 512
    without = image[:root] + b'\xe5' + image[root + 1:]  # the label entry deleted
    assert superblock.identify('vfat', reader(without)).label == 'HFVFAT16'


@pytest.mark.parametrize('name', NAMES)
def test_bytes_of_another_type_or_a_blank_disk_give_nothing(name):
    image, _blkid = load(name)
    others = set(FSTYPE.values()) - {FSTYPE[name]} - ({'ext2', 'ext3', 'ext4'} if FSTYPE[name].startswith('ext') else set())
    for fstype in others:
        assert superblock.identify(fstype, reader(image)) is None, fstype
    assert superblock.identify(FSTYPE[name], reader(bytes(len(image)))) is None
    assert superblock.identify(FSTYPE[name], reader(image[:100])) is None  # a short read
    assert superblock.identify('squashfs', reader(image)) is None


def test_an_all_zero_uuid_and_an_empty_label_are_none_as_blkid_leaves_them_out():
    image, _blkid = load('ext4')
    blank = bytearray(image)
    blank[1024 + 0x68:1024 + 0x88] = bytes(32)
    assert superblock.identify('ext4', reader(bytes(blank))) == (None, None)


@pytest.mark.parametrize('text, value', [
    ('plain', 'plain'), ('a\\ b', 'a b'), ('cafM-CM-)', 'caf\u00e9'), ('tab^Ihere', 'tab\there'), ('q\\"', 'q"')])
def test_blkid_export_values_decode(text, value):
    assert blkid_value(text) == value
