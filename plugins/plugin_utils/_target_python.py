# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python on the managed host: the collection's minimum, and a clear failure when a host's is older.

Private: may change without notice. A Python that cannot compile the module fails before the module
can say anything: ansible-core then reports ``MODULE FAILURE`` (2.16 to 2.18) or ``Module result
deserialization failed: No start of json char found`` (2.19 and later), with the SyntaxError only in
``module_stderr``. Every module of the collection starts with ``from __future__ import annotations``
(Python 3.7), which Python 2.7 and 3.6 reject with ``future feature annotations is not defined``; an
ansible-core too new for the host fails the same way in its own AnsiballZ code.
"""

from __future__ import annotations

import re

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import printable

MINIMUM = (3, 7)
# The version in `Python 3.6.15` (the probe) or in a traceback's `.../lib/python3.6/...` path.
_VERSION = re.compile(r'(?:^|/lib/python|Python )(\d+)\.(\d+)')
_SYNTAX_ERROR = re.compile(r'^\s*SyntaxError: .*$', re.M)
# Prints the version on Python 2 and 3 alike.
VERSION_PROBE = "import sys; sys.stdout.write('%d.%d.%d' % tuple(sys.version_info[:3]))"


def minimum_text():
    return '%d.%d' % MINIMUM


def could_not_compile(result):
    """The SyntaxError line when the module's output says the host's Python could not compile it, else None."""
    if not result.get('failed') or 'module_stderr' not in result:
        return None
    output = '%s\n%s' % (result.get('module_stderr') or '', result.get('module_stdout') or '')
    match = _SYNTAX_ERROR.search(output)
    return match.group(0).strip() if match else None


def version_in(text):
    """(major, minor) found in the probe's answer or a traceback, or None."""
    match = _VERSION.search(text or '')
    return (int(match.group(1)), int(match.group(2))) if match else None


def too_old_message(module, syntax_error, version, ansible_version):
    """What to tell the user: the minimum, what the host has (when known) and what to set."""
    found = 'Python %d.%d' % version if version else 'its Python'
    if version and version < MINIMUM:
        why = '%s needs Python %s or later on the managed host; the host ran it with %s' % (
            module, minimum_text(), found)
    else:
        why = ('%s could not be compiled by %s on the managed host; hostops.fleet needs Python %s or later there, '
               'and ansible-core %s may need a newer one for its own code'
               % (module, found, minimum_text(), ansible_version))
    return '%s (%s). Set ansible_python_interpreter for this host to a newer Python.' % (
        why, printable(syntax_error)[:200])
