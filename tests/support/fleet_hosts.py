# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts for the fleet report's Ansible runs: this machine on the local connection, and stand-ins.

A compromised (or simulated) host controls what its Python prints. A stand-in is an interpreter, a shell
script set as ansible_python_interpreter on the local connection, that ignores the module Ansible sends
and prints the module result it was made with, as a tampered /usr/bin/python3 on a managed host would.
"""

from __future__ import annotations

import json
import os
import sys

# This machine, under any inventory name: the local connection and the Python running the tests.
LOCAL = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}


def standin_python(directory, name, facts):
    """An 'interpreter' that answers every module with these hostfacts; returns its path."""
    path = os.path.join(str(directory), 'python-%s' % name)
    with open(path, 'w', encoding='utf-8') as stream:
        stream.write("#!/bin/sh\ncat <<'JSON'\n%s\nJSON\n" % json.dumps(
            {'changed': False, 'ansible_facts': {'hostfacts': facts}}))
    os.chmod(path, 0o755)
    return path


def standin(directory, name, facts):
    """The host variables of a stand-in host answering with these hostfacts."""
    return dict(LOCAL, ansible_python_interpreter=standin_python(directory, name, facts))
