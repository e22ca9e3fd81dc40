# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The differential lab: hard hosts built for real, hostfacts compared with the tools operators trust.

blocks.py builds (shell text per building block), scenario.py composes blocks into one script that runs in
private namespaces, observe.py runs hostfacts and the oracles inside it, compare.py holds the comparisons
and their tolerances, strategies.py lets Hypothesis generate scenarios, run.py is `make lab`.
See docs/testing.md, "The differential lab".
"""
