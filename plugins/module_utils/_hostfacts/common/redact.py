# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Well-known secrets in command lines, masked before a command line leaves the host. Private.

Command lines reach the controller, the fleet report and the baselines; any user of a host can read
them in /proc, but the operator's files and terminals should not collect them. What is masked (each
value becomes ``********``; docs/security.md lists the same):

- an option naming a secret, with its value attached or in the next argument: ``--password=V``,
  ``--password V``, ``--token V``, ``--db-password=V``, ``-secret V`` (the option's last word is
  password, passwd, token or secret; ``--no-password`` and ``--skip-token`` take no value);
- a variable assignment naming one: ``MYSQL_ROOT_PASSWORD=V``, ``CATTLE_TOKEN=V``, ``AWS_SECRET=V``
  (``*_PASSWORD=``, ``*_PASSWD=``, ``*_TOKEN=``, ``*_SECRET=``, any case);
- the password of a URL: ``scheme://user:V@host`` keeps the user;
- mysql's attached password, ``-pV``, after a program named mysql* or mariadb* (mysqldump,
  mariadb-dump...), as a separate argument or inside a shell command string.

Inside one argument that holds a whole shell command (``sh -c '...'``) the same patterns apply to
each word; an argument that is itself ``--password=V`` is masked to its end, spaces included.
"""

from __future__ import annotations

import re

MASK = '********'

_SECRET_NAME = r'(?:[a-z0-9]+[-_.])*(?:password|passwd|token|secret)'
_ANY_CASE = re.IGNORECASE
# (pattern, flags) by name. They are compiled on first use, through re's own cache: most runs never meet a
# command line that needs them, and the module compiles what it imports on every run.
_PATTERNS = {
    # The option alone (its value is the next argument); --no-password and --skip-token take none.
    'flag': (r'--?(?!no-|skip-)' + _SECRET_NAME + r'\Z', _ANY_CASE),
    # An argument that is an option or assignment with its value: everything after '=' is the value.
    'argument': (r'(-{0,2}(?!no-|skip-)' + _SECRET_NAME + r'=).+', _ANY_CASE | re.DOTALL),
    # The same inside a shell command string, where a value ends at white space: an option with its
    # value attached or as the next word, or an assignment.
    'word': (r'(?<![\w.-])((?:--?(?!no-|skip-)' + _SECRET_NAME + r'(?:=|\s+))|(?:' + _SECRET_NAME
             + r'=))(?![\s-])\S+', _ANY_CASE),
    # scheme://user:password@ (the last '@' before the path, so an unescaped '@' in the password is masked too).
    'url_password': (r'([a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s/]*@', _ANY_CASE),
    'mysql_program': (r'(?:^|/)(?:mysql|mariadb)[\w-]*\Z', _ANY_CASE),
    'mysql_in_shell': (r'(?:^|[\s/;&|(])(?:mysql|mariadb)[\w-]*\s', _ANY_CASE),
    'mysql_short_password': (r'(?<!\S)-p(?=\S)\S+', 0),
}


def _pattern(name):
    return re.compile(*_PATTERNS[name])


# A cheap test first: most command lines hold none of these and are returned as they are.
_HINTS = ('pass', 'token', 'secret', '://', 'mysql', 'mariadb')


def may_hold_secret(text):
    """False when ``text`` cannot match any pattern (the common case, decided without a regex)."""
    lowered = text.lower()
    for hint in _HINTS:
        if hint in lowered:
            return True
    return False


def redact_argv(argv):
    """argv with the values of well-known secrets masked (a new list; argv is not changed)."""
    result = []
    mask_next = False
    mysql = False
    for argument in argv:
        if mask_next:
            result.append(MASK)
            mask_next = False
            continue
        if _pattern('flag').match(argument):
            mask_next = True
            result.append(argument)
            continue
        if mysql and argument.startswith('-p') and len(argument) > 2:
            result.append('-p' + MASK)
            continue
        mysql = mysql or bool(_pattern('mysql_program').search(argument))
        result.append(_redact_words(argument))
    return result


def _redact_words(argument):
    masked = _pattern('argument').match(argument)
    if masked:
        return masked.group(1) + MASK
    if not may_hold_secret(argument):
        return argument
    argument = _pattern('word').sub(lambda match: match.group(1) + MASK, argument)
    argument = _pattern('url_password').sub(lambda match: match.group(1) + MASK + '@', argument)
    program = _pattern('mysql_in_shell').search(argument)
    if program:
        rest = _pattern('mysql_short_password').sub('-p' + MASK, argument[program.end():])
        argument = argument[:program.end()] + rest
    return argument
