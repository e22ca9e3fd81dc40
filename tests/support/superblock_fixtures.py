# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The superblock fixtures (tests/fixtures/superblocks, made by tests/fixtures/capture_superblocks.py) and blkid's
``-o export`` text, decoded."""

from __future__ import annotations

import os

from support import paths

DIRECTORY = os.path.join(paths.CHECKOUT, 'tests', 'fixtures', 'superblocks')
NAMES = tuple(sorted(name[:-len('.hex')] for name in os.listdir(DIRECTORY) if name.endswith('.hex')))


def blkid_value(text):
    """A value as ``blkid -o export`` prints it (safe_print: a backslash before shell characters, bytes of
    128 and more as ``M-`` and control characters as ``^X``, as cat -v does), back to its string."""
    data = bytearray()
    index = 0
    while index < len(text):
        high = 0
        if text.startswith('M-', index):
            high, index = 128, index + 2
        char = text[index]
        if char == '^' and index + 1 < len(text):
            data.append(high | (ord(text[index + 1]) ^ 0x40))
            index += 2
            continue
        if char == '\\' and index + 1 < len(text):
            index += 1
            char = text[index]
        data.append(high | ord(char))
        index += 1
    return data.decode('utf-8', 'replace')


def blkid_export(text):
    """{KEY: value} of ``blkid -p -o export`` output."""
    pairs = (line.split('=', 1) for line in text.splitlines() if '=' in line)
    return dict((key, blkid_value(value)) for key, value in pairs)


def load(name):
    """(image bytes, blkid's {KEY: value}) of one fixture: the rows it keeps, zeros elsewhere."""
    rows, export = [], []
    with open(os.path.join(DIRECTORY, name + '.hex')) as handle:
        for line in handle:
            if line.startswith('# '):
                export.append(line[2:].rstrip('\n'))
            elif line.strip():
                offset, hexdata = line.split()
                rows.append((int(offset, 16), bytes.fromhex(hexdata)))
    image = bytearray(max(offset + len(data) for offset, data in rows))
    for offset, data in rows:
        image[offset:offset + len(data)] = data
    return bytes(image), blkid_export('\n'.join(export))
