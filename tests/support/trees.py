# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing small /proc and /sys trees by hand, in the kernel's documented formats, for the readers to read."""

from __future__ import annotations

import os


def write_file(root, rel, content):
    """Write ``content`` to ``root/rel``, creating the directories on the way."""
    path = os.path.join(root, rel)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'w') as handle:
        handle.write(content)
