# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The attribute descriptions every module of the collection declares.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
  platform:
    description: Target OS/families that can be operated against.
"""

    # One of the PLATFORM_* fragments goes with DOCUMENTATION in every module's extends_documentation_fragment.
    PLATFORM_LINUX = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: linux
    details:
      - Linux, where every subset is read from C(/proc) and C(/sys). On other POSIX systems (BSD, macOS) only
        V(processes), V(memory) and V(filesystems) are gathered, through psutil on the managed host.
      - Needs Python 3.7 or later on the managed host.
"""

    PLATFORM_POSIX = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: posix
    details:
      - Needs Python 3.7 or later on the managed host, and nothing else installed there.
"""

    PLATFORM_CONTROLLER = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: all
    details:
      - Runs on the controller only; the managed hosts are not contacted.
"""

    # hostops.fleet.hostfacts: its action plugin evaluates query on the controller and runs the module under
    # async_wrapper when the task says async.
    ACTION_ASYNC = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: full
    details:
      - O(query) cannot be combined with C(async) (the task fails before the module runs); register the facts
        and select from them instead.
"""

    # Use together with DOCUMENTATION for modules that only read.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""

    # Use together with DOCUMENTATION for fact-returning modules.
    FACTS = r"""
options: {}
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
"""
