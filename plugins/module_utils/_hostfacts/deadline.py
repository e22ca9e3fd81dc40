# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Calls that can hang on a dead mount, run under one deadline per run. Private: may change without notice.

A hard NFS, CIFS or FUSE mount can block ``statvfs``, ``stat`` and directory reads
uninterruptibly, deaf to signals (ansible/ansible#25046). Such calls run here in daemon
worker threads under the run's deadline: ``timeout`` seconds after the first such call,
whatever comes after it. A call that misses the deadline is reported as ``timed_out`` and
its worker is abandoned in the kernel, while the module carries on.

Three rules keep the whole run within ``timeout`` (plus what reading /proc costs):

- calls never queue behind a hung call: a worker busy for ``STALL`` seconds is left to its
  call and a fresh worker takes the calls behind it;
- a filesystem (its key, the device number) that did not answer is not asked again in the
  same run, as node_exporter's filesystem collector marks a mount point stuck;
- a call made after the deadline has passed still gets ``GRACE`` seconds, so that a healthy
  filesystem, which answers in microseconds, is not reported timed_out because another hung;
  and so does every call of a batch still waiting at the deadline because ``MAX_STUCK_WORKERS``
  workers were left in hung calls: each filesystem's first waiting call is made then, on a worker
  of its own, so that any number of hung mounts before a healthy one costs the healthy one only
  the wait.

Nothing here knows about /proc or about facts.
"""

from __future__ import annotations

import threading
import time
from collections import deque, namedtuple

# status: ok (value is the call's return value), timed_out, or error (error is the OSError's text).
CallResult = namedtuple('CallResult', ['status', 'value', 'error'])

# A worker whose call has run this long is left to it; the next calls go to a fresh worker.
STALL = 0.02
# A call made after the deadline still gets this long: statvfs or stat of a healthy filesystem
# answers in microseconds, and a slow one is not to be reported hung because another one was.
GRACE = 0.1
# Workers left in hung calls, at most, per batch of calls before the deadline; the calls beyond them wait
# for the deadline and are then made at once, one worker per filesystem, with GRACE.
MAX_STUCK_WORKERS = 16


class DeadlineRunner(object):
    """The run's deadline for calls that can hang, and the workers that make them.

    ``call_many`` takes ``(key, function, args)`` triples; ``key`` names the filesystem a call
    reaches (its device number), or None. ``abandoned`` counts the workers left in hung calls.
    """

    def __init__(self, timeout, monotonic=time.monotonic):
        self.timeout = timeout
        self.deadline = None
        self.abandoned = 0
        self.hung_keys = set()
        self._monotonic = monotonic

    def until(self, grace=GRACE):
        """The time (monotonic) the current work may go on until: the run's deadline, or ``grace`` seconds
        from now if that is later. The first call starts the run's clock."""
        now = self._monotonic()
        if self.deadline is None:
            self.deadline = now + self.timeout
        return max(self.deadline, now + grace)

    def remaining(self, grace=GRACE):
        """Seconds the current work may still take (at least ``grace``)."""
        return self.until(grace) - self._monotonic()

    def clock(self):
        """The runner's monotonic clock, for work that checks ``until()`` itself (a scan of descriptors)."""
        return self._monotonic()

    def call(self, function, *args):
        """CallResult of ``function(*args)``; an OSError becomes status error, anything else is raised."""
        return self.call_many([(None, function, args)])[0]

    def call_many(self, calls):
        """[CallResult] of ``[(key, function, args)]``, in order, every call bounded by the run's deadline."""
        results = [None] * len(calls)
        runnable = []
        for index, (key, function, _args) in enumerate(calls):
            if key is not None and key in self.hung_keys:
                results[index] = _not_asked(function, 'its filesystem did not answer earlier in this run')
            else:
                runnable.append(index)
        if runnable:
            batch = _Batch(calls, runnable)
            self._drive(batch, self.until())
            for index in runnable:
                results[index] = self._outcome(batch, index)
        return results

    def _drive(self, batch, until):
        """Feed the batch to workers until every call answered or the deadline passed.

        A worker is added when no call answered for STALL while calls wait: every worker is then in a
        call (a worker with nothing to take has ended). At most MAX_STUCK_WORKERS calls run at once.
        """
        with batch.lock:
            _Worker(batch)
            answered = 0
            last_progress = self._monotonic()
            while batch.answered < len(batch.indexes):
                now = self._monotonic()
                if now >= until:
                    break
                if batch.answered != answered:
                    answered, last_progress = batch.answered, now
                elif now - last_progress >= STALL and batch.pending and len(batch.running) < MAX_STUCK_WORKERS:
                    batch.stall_running()
                    _Worker(batch)
                    last_progress = now
                batch.lock.wait(min(STALL, until - now))
            if batch.pending:
                self._ask_the_rest(batch)
            batch.closed = True
            for index in batch.running:
                self.abandoned += 1
                if batch.calls[index][0] is not None:
                    self.hung_keys.add(batch.calls[index][0])

    def _ask_the_rest(self, batch):
        """At the deadline, the calls that never got a worker: one worker per filesystem among them, GRACE
        for all. Called with batch.lock held."""
        batch.stall_running()
        keys = [batch.calls[index][0] for index in batch.pending]
        for _worker in range(len({key for key in keys if key is not None}) + keys.count(None)):
            _Worker(batch)
        until = self._monotonic() + GRACE
        while batch.answered < len(batch.indexes):
            now = self._monotonic()
            if now >= until:
                break
            batch.lock.wait(until - now)

    def _outcome(self, batch, index):
        function = batch.calls[index][1]
        if index in batch.answers:
            status, value = batch.answers[index]
            if status == 'ok':
                return CallResult('ok', value, None)
            if isinstance(value, OSError):
                return CallResult('error', None, value.strerror or str(value))
            raise value
        if index in batch.running:
            return CallResult('timed_out', None, '%s did not return within the %g s timeout'
                              % (_name(function), self.timeout))
        if batch.calls[index][0] in self.hung_keys:
            return _not_asked(function, 'its filesystem did not answer in this run')
        return _not_asked(function, 'the %g s timeout had passed' % self.timeout)


def _name(function):
    return getattr(function, '__name__', 'the call')


def _not_asked(function, why):
    return CallResult('timed_out', None, '%s was not called: %s' % (_name(function), why))


class _Batch(object):
    """The calls of one call_many, shared by its workers under ``lock`` (a Condition)."""

    def __init__(self, calls, indexes):
        self.calls = calls
        self.indexes = indexes
        self.lock = threading.Condition()
        self.pending = deque(indexes)
        self.deferred = {}      # key -> indexes held back while a call with that key is stalled
        self.stalled_keys = set()
        self.running = set()
        self.answers = {}
        self.answered = 0
        self.closed = False

    def stall_running(self):
        """The running calls took STALL: calls with the same key wait for them instead of hanging beside them."""
        self.stalled_keys.update(self.calls[index][0] for index in self.running if self.calls[index][0] is not None)

    def take(self):
        """The next call to make, or None when there is none (or the batch is closed)."""
        with self.lock:
            while self.pending and not self.closed:
                index = self.pending.popleft()
                key = self.calls[index][0]
                if key in self.stalled_keys:
                    self.deferred.setdefault(key, []).append(index)
                    continue
                self.running.add(index)
                return index
            return None

    def answer(self, index, outcome):
        """Record a call's outcome; False when the batch closed meanwhile (the worker was abandoned)."""
        with self.lock:
            if self.closed:
                return False
            self.running.discard(index)
            self.answers[index] = outcome
            self.answered += 1
            key = self.calls[index][0]
            if key in self.stalled_keys:
                # The stalled call answered after all (a slow mount): its held-back calls may go on.
                self.stalled_keys.discard(key)
                self.pending.extendleft(reversed(self.deferred.pop(key, [])))
            self.lock.notify()
            return True


class _Worker(threading.Thread):
    """Makes the calls of one batch in order until none is left; a daemon, so a hung one never blocks exit."""

    def __init__(self, batch):
        super(_Worker, self).__init__(name='hostfacts-deadline')
        self.daemon = True
        self.batch = batch
        self.start()

    def run(self):
        while True:
            index = self.batch.take()
            if index is None:
                return
            _key, function, args = self.batch.calls[index]
            try:
                outcome = ('ok', function(*args))
            except Exception as exc:  # handed to the caller, which raises it or maps an OSError
                outcome = ('raised', exc)
            if not self.batch.answer(index, outcome):
                return
