# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small Chrome DevTools Protocol client over websocket-client, for headless Debian chromium."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--remote-debugging-port=0', '--remote-allow-origins=*')


class Browser(object):
    """One chromium process with one page; events are kept so the test can look at console errors."""

    def __init__(self, executable='chromium', width=1400, height=1800):
        self.profile = tempfile.mkdtemp(prefix='fleet-report-chromium-')
        self.process = subprocess.Popen([executable] + list(FLAGS) + ['--user-data-dir=' + self.profile,
                                                                      '--window-size=%d,%d' % (width, height),
                                                                      'about:blank'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._devtools_port()
        deadline = time.monotonic() + 30
        while True:
            targets = json.load(urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port, timeout=10))
            pages = [t for t in targets if t.get('type') == 'page']
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=120,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        for domain in ('Page', 'Runtime', 'Log'):
            self.call(domain + '.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=False)

    def _devtools_port(self):
        path = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as stream:
                    first = stream.readline().strip()
                if first.isdigit():
                    return int(first)
            if self.process.poll() is not None:
                raise RuntimeError('chromium exited with %s before DevTools was up' % self.process.returncode)
            time.sleep(0.1)
        raise RuntimeError('chromium did not open its DevTools port within 60 s')

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({'id': my_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get('id') == my_id:
                if 'error' in message:
                    raise RuntimeError('%s: %s' % (method, message['error']))
                return message.get('result', {})
            self.events.append(message)

    def wait_event(self, method, timeout=120):
        for index, event in enumerate(self.events):
            if event.get('method') == method:
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get('method') == method:
                return message
            self.events.append(message)
        raise TimeoutError(method)

    def open(self, url, timeout=120):
        self.events = [e for e in self.events if e.get('method') != 'Page.loadEventFired']
        self.call('Page.navigate', url=url)
        self.wait_event('Page.loadEventFired', timeout)

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise RuntimeError('page script failed: %s' % result['exceptionDetails'])
        return result['result'].get('value')

    def resize(self, width, height, mobile=False):
        """The viewport a person would have: a phone is ``mobile`` (the page's viewport meta applies)."""
        self.call('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def click(self, x, y):
        """A real left click at a point of the viewport, as the mouse gives it (focus moves, events fire)."""
        for kind in ('mousePressed', 'mouseReleased'):
            self.call('Input.dispatchMouseEvent', type=kind, x=x, y=y, button='left', clickCount=1)

    def press(self, key, code, key_code, shift=False):
        """A real key press (keydown then keyup), e.g. ('Tab', 'Tab', 9) or ('Enter', 'Enter', 13)."""
        for kind in ('rawKeyDown', 'keyUp'):
            self.call('Input.dispatchKeyEvent', type=kind, key=key, code=code, windowsVirtualKeyCode=key_code,
                      modifiers=8 if shift else 0)

    def errors(self):
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event.get('method'), event.get('params', {})
            if method == 'Runtime.consoleAPICalled' and params.get('type') in ('error', 'assert'):
                found.append(' '.join(str(a.get('value', a.get('description'))) for a in params.get('args', [])))
            elif method == 'Runtime.exceptionThrown':
                found.append(params['exceptionDetails'].get('text', 'exception'))
            elif method == 'Log.entryAdded' and params['entry'].get('level') == 'error':
                found.append(params['entry'].get('text'))
        return found

    def screenshot(self, path, full_page=False):
        params = {'format': 'png'}
        if full_page:
            metrics = self.call('Page.getLayoutMetrics')['cssContentSize']
            params['clip'] = {'x': 0, 'y': 0, 'width': metrics['width'], 'height': metrics['height'], 'scale': 1}
            params['captureBeyondViewport'] = True
        data = self.call('Page.captureScreenshot', **params)['data']
        with open(path, 'wb') as stream:
            stream.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def act(browser, expression):
    """Run an action on the page (a click, an input event) and wait until the page script has drawn it."""
    return browser.evaluate('(function(){%s;})(); window.fleetReport.drawn.then(function(){return true;})'
                            % expression)


def wait_ready(browser, timeout=120):
    """Until the page script has inflated the table rows and the first block of cards (it sets body[data-ready]);
    returns the seconds waited."""
    started = time.perf_counter()
    while browser.evaluate("document.body.dataset.ready") != '1':
        assert time.perf_counter() - started < timeout, 'the page script never finished'
        time.sleep(0.02)
    return time.perf_counter() - started
