#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: php_mail_log_info
short_description: Find the PHP scripts that call mail() most, from PHP's mail.log
version_added: 0.1.0
description:
  - Reads the log PHP writes when C(mail.log) is set (the role C(hostops.fleet.php_mail_log) sets it), one line per
    mail() call with the calling script, recipients, headers and subject.
  - Returns the calls in a time window and a ranking of the calling scripts by number of calls, with the
    recipients they reached and when they were last seen, so that the script sending spam stands out.
  - Every PHP script on the host writes to this log, so its content is not trusted. Only a regular file is read
    (a FIFO, a device or a directory is refused, also behind a symlink, without opening it), and only up to the
    size it had when it was opened, so a log that grows while it is read cannot keep the module going.
  - Streams the file line by line; memory stays bounded whatever the file holds. Lines longer than 64 KiB are
    malformed, script names are cut at 512 characters (a cut name ends with its length and a digest, so that
    distinct names stay distinct) and the To, headers and subject of returned entries at 512 characters; at most
    the last O(max_entries) entries and 10,000 distinct scripts are kept (calls from further scripts are counted in
    RV(untracked_calls)), and at most 64 time zone names are looked up.
  - Measured peak RSS of the module process on Python 3.11 (figures and method on the security page of the
    collection's docs) is 24.5 MiB for a 1 GiB log of 7 million lines (as for a one-line log), 34 MiB for 10,000
    distinct 64 KiB script names (650 MiB before names were cut), 49 MiB at most with the default options and 94 MiB
    at most with O(max_entries=1000) and O(top=1000), on the most expensive hostile lines.
  - Lines that are not mail() lines (for example PHP warnings when C(error_log) is the same file) are counted in
    RV(malformed_lines) and skipped.
  - Also reads syslog lines (C(mail.log = syslog)) that carry an RFC 3339 timestamp, as written by rsyslog or
    C(journalctl -o short-iso).
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_POSIX
  - hostops.fleet.attributes.INFO_MODULE
options:
  path:
    description: The mail log to read (the value of C(mail.log)).
    type: path
    default: /var/log/php-mail.log
  since:
    description:
      - Only count calls at or after this moment.
      - A duration back from now (V(30m), V(24h), V(7d), V(2w)) or a date and time (V(2026-11-28),
        V(2026-11-28 23:00:00), V(2026-11-28T23:00:00+01:00)); a time without an offset is UTC.
      - Without it, the whole file counts.
    type: str
  max_entries:
    description:
      - How many of the most recent calls in the window to return in RV(entries), from V(0) to V(1000); V(0)
        returns none, only counts and the ranking.
      - Entries hold recipients and headers, which are personal data; keep this low when results are logged.
    type: int
    default: 100
  top:
    description: Length of the ranking in RV(top_scripts), from V(1) to V(1000).
    type: int
    default: 10
notes:
  - PHP does not escape the C( -- Headers:) and C( -- Subject:) separators; a header or subject that contains them is
    split at the first occurrence.
  - PHP names the time zone of each line after C(date.timezone); names are resolved with Python's zoneinfo
    (Python 3.9 and later). Names that cannot be resolved are read as UTC and listed in RV(unresolved_timezones).
"""

EXAMPLES = r"""
- name: Rank the scripts that called mail() in the last 24 hours
  hostops.fleet.php_mail_log_info:
    since: 24h
    max_entries: 0
  register: php_mail

- name: Show the script that sends the most mail
  ansible.builtin.debug:
    msg: "{{ php_mail.top_scripts[0].script }} called mail() {{ php_mail.top_scripts[0].calls }} times"
  when: php_mail.top_scripts | length > 0
"""

RETURN = r"""
path:
  description: The log that was read.
  returned: always
  type: str
  sample: /var/log/php-mail.log
since:
  description: Start of the window in UTC, or null for the whole file.
  returned: always
  type: str
  sample: "2026-11-28T00:00:00Z"
lines_read:
  description: Lines in the file.
  returned: always
  type: int
  sample: 100000
entries_matched:
  description: mail() calls in the window.
  returned: always
  type: int
  sample: 99990
entries_before_since:
  description: mail() calls before O(since), skipped.
  returned: always
  type: int
  sample: 0
malformed_lines:
  description:
    - Non-empty lines that are not mail() lines, or longer than 64 KiB, or whose time is impossible (V(99:99:99))
      or names a 65th time zone, or whose line number has more than ten digits; skipped.
  returned: always
  type: int
  sample: 10
first_malformed_line_numbers:
  description: Line numbers of the first five malformed lines, to look at them.
  returned: always
  type: list
  elements: int
  sample: [2]
untracked_calls:
  description: Calls from scripts beyond the first 10,000 distinct ones, counted but not ranked.
  returned: always
  type: int
  sample: 0
unresolved_timezones:
  description: Time zone names from the log that could not be resolved and were read as UTC.
  returned: always
  type: list
  elements: str
  sample: []
first_seen:
  description: Time of the earliest call in the window, UTC.
  returned: always
  type: str
  sample: "2026-11-28T23:57:53Z"
last_seen:
  description: Time of the latest call in the window, UTC.
  returned: always
  type: str
  sample: "2026-11-28T23:58:06Z"
entries:
  description: The last O(max_entries) calls in the window, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    time:
      description: When the call happened, UTC.
      type: str
      returned: always
      sample: "2026-11-28T23:57:53Z"
    logged_time:
      description: The timestamp as PHP wrote it, with its zone.
      type: str
      returned: always
      sample: "28-Nov-2026 23:57:53 UTC"
    script:
      description:
        - The file that called mail(), or PHP's name for code without one (C(Command line code)).
        - Cut at 512 characters; a cut name ends with C(...[truncated <length> chars, sha256 <16 hex digits>]).
      type: str
      returned: always
      sample: "/var/www/app/contact.php"
    line:
      description: Line number of the call in RV(entries[].script).
      type: int
      returned: always
      sample: 3
    to:
      description: The recipients as passed to mail(), cut at 512 characters like RV(entries[].script).
      type: str
      returned: always
      sample: "owner@example.org"
    recipients:
      description: Number of comma-separated recipients in RV(entries[].to), counted before it is cut.
      type: int
      returned: always
      sample: 1
    headers:
      description: The additional headers, with line breaks replaced by PHP, cut at 512 characters.
      type: str
      returned: always
      sample: "From: web@example.org  Reply-To: visitor@example.net"
    subject:
      description: The subject, cut at 512 characters.
      type: str
      returned: always
      sample: "Contact form"
  sample:
    - time: "2026-11-28T23:57:53Z"
      logged_time: 28-Nov-2026 23:57:53 UTC
      script: /var/www/app/contact.php
      line: 3
      to: owner@example.org
      recipients: 1
      headers: "From: web@example.org  Reply-To: visitor@example.net"
      subject: Contact form
top_scripts:
  description: The scripts with the most calls in the window, most calls first (ties by latest call).
  returned: always
  type: list
  elements: dict
  contains:
    script:
      description: The calling file, cut as RV(entries[].script) is.
      type: str
      returned: always
      sample: "/var/www/app/lib/mailer.php"
    calls:
      description: Number of mail() calls.
      type: int
      returned: always
      sample: 3
    recipients:
      description: Total recipients of those calls.
      type: int
      returned: always
      sample: 3
    first_seen:
      description: Earliest call in the window, UTC.
      type: str
      returned: always
      sample: "2026-11-28T23:57:53Z"
    last_seen:
      description: Latest call in the window, UTC.
      type: str
      returned: always
      sample: "2026-11-28T23:57:53Z"
    lines:
      description: Line numbers the calls came from (at most 20).
      type: list
      elements: int
      returned: always
      sample: [3]
  sample:
    - script: /var/www/app/lib/mailer.php
      calls: 3
      recipients: 3
      first_seen: "2026-11-28T23:57:53Z"
      last_seen: "2026-11-28T23:57:53Z"
      lines: [3]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostops.fleet.plugins.module_utils._php_mail_log import PhpMailLogError, read_log


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/var/log/php-mail.log'),
            since=dict(type='str'),
            max_entries=dict(type='int', default=100),
            top=dict(type='int', default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = read_log(params['path'], since=params['since'], max_entries=params['max_entries'], top=params['top'])
    except PhpMailLogError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
