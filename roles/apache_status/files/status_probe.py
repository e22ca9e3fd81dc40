# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request the status page from this host's loopback address and print what answered, as JSON.

Run by the apache_status role on the web server after Apache restarted. With --source the request
leaves from that local address: Apache then sees a client that "Require local" does not admit (it admits
127.0.0.0/8, ::1, and connections whose client and server address are the same; mod_authz_host), which is
how the role checks that a client outside apache_status_allow is refused.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys

BODY_LIMIT = 600


def probe(port, path, source):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request('GET', path, headers={'User-Agent': 'hostops.fleet apache_status probe'})
        response = connection.getresponse()
        body = response.read(64 * 1024).decode('utf-8', 'replace')
        return {
            'status': response.status,
            'content_type': response.getheader('Content-Type', ''),
            'location': response.getheader('Location', ''),
            'via': response.getheader('Via', ''),
            'scoreboard': any(line.startswith('Scoreboard: ') for line in body.splitlines()),
            'body': body[:BODY_LIMIT],
        }
    except (OSError, socket.timeout, http.client.HTTPException) as exc:
        return {'status': 0, 'error': str(exc)[:BODY_LIMIT], 'scoreboard': False}
    finally:
        connection.close()


def summary(result):
    """One line about what answered, for the role's error message."""
    if not result.get('status'):
        return 'nothing ({0})'.format(result.get('error', 'no answer')[:200])
    parts = [str(result['status'])]
    for label, key in (('type', 'content_type'), ('redirect to', 'location'), ('via', 'via')):
        if result.get(key):
            parts.append('{0} {1}'.format(label, result[key][:120]))
    return '{0}: "{1}"'.format(', '.join(parts), ' '.join(result.get('body', '').split())[:160])


def main(argv):
    port, path = int(argv[1]), argv[2]
    source = argv[3] if len(argv) > 3 else ''
    result = probe(port, path, source)
    result.update({'source': source or '127.0.0.1', 'url': 'http://127.0.0.1:{0}{1}'.format(port, path),
                   'summary': summary(result)})
    json.dump(result, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
