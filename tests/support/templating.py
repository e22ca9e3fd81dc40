# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render role templates with ansible-core's Templar on every ansible-core the collection supports."""

from __future__ import annotations

__all__ = ['trust_as_template']

try:
    from ansible.template import trust_as_template
except ImportError:
    # Before ansible-core 2.19 every string is a template: there is no trust to give.
    def trust_as_template(value):
        return value
