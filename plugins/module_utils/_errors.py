# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors of hostops.fleet's module code. Private: may change without notice.

One base class, caught once in a module's ``main()`` and turned into ``fail_json``
with its message (the single exception path of kubernetes.core's modules). Every
message names the option or the file it is about, so that it can be shown as is.
"""

from __future__ import annotations


class FleetError(Exception):
    """A failure the user can act on: bad input, a file that cannot be written, a missing dependency."""


class OptionError(FleetError):
    """An option value that cannot be used; the message starts with the option's name."""
