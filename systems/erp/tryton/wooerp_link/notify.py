"""Tell wooerp, after commit, that stock, a shipment or an invoice moved.

Configured in the server's trytond.conf, or in its environment the trytond
way (`TRYTOND_WOOERP__URL`, `TRYTOND_WOOERP__SECRET`, ...):

    [wooerp]
    url = https://wooerp.example.com/webhooks/erp/tryton
    secret = <shared secret>        # or: secret_file = /run/secrets/wooerp
    timeout = 3                      # seconds per POST
    attempts = 3                     # per notification, then it is dropped

Without a url and a secret nothing is sent and the hooks cost nothing.

Events are collected by a data manager joined to the transaction, the way
trytond sends e-mail (trytond.sendmail.SMTPDataManager): `tpc_finish` runs
only once the database has committed, `tpc_abort` drops everything when the
transaction rolls back, and a transaction that trytond retries starts with
a fresh manager. At commit the events are handed to one background thread
per process that POSTs them, so no request waits for wooerp and no Tryton
transaction fails because wooerp is down. A notification that cannot be
delivered is only a delay: wooerp polls the ERP as a backstop.

Each POST carries one JSON event (README.md) signed like WooCommerce signs
its webhooks: `X-Wooerp-Signature: base64(HMAC-SHA256(secret, body))`.
"""
import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

from trytond import config
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = 'X-Wooerp-Signature'
EVENT_HEADER = 'X-Wooerp-Event-Id'
PAYLOAD_VERSION = 1
MAX_ITEMS = 500  # ids per event; a bigger change is split into several
MAX_PENDING = 10_000  # events waiting for the sender; more are dropped
RETRY_PAUSE_S = 0.5


@dataclass(frozen=True)
class Settings:
    url: str
    secret: str
    timeout: float = 3.0
    attempts: int = 3

    def __repr__(self):  # never shows the secret
        return f'Settings(url={_safe_url(self.url)!r})'


def settings():
    "The configured target, or None when notifications are off."
    url = config.get('wooerp', 'url')
    if not url:
        return None
    secret = config.get('wooerp', 'secret')
    if not secret and (path := config.get('wooerp', 'secret_file')):
        secret = _read_secret(path)
    if not secret:
        _warn_once('wooerp notifications are off: [wooerp] url is set '
            'but no secret or secret_file')
        return None
    if urllib.parse.urlsplit(url).scheme not in ('http', 'https'):
        _warn_once('wooerp notifications are off: [wooerp] url must be '
            'http(s)')
        return None
    timeout = min(max(config.getfloat('wooerp', 'timeout', default=3.0), 0.1), 30.0)
    attempts = min(max(config.getint('wooerp', 'attempts', default=3), 1), 10)
    return Settings(url=url, secret=secret, timeout=timeout, attempts=attempts)


def notify(kind, model, state, records, skus, refs):
    """Queue an event on the current transaction; sent only if it commits.

    `records` are the ids that moved, `skus` and `refs` map each id to the
    product codes and wooerp references it concerns.
    """
    target = settings()
    if target is None or not records:
        return
    transaction = Transaction()
    manager = transaction.join(NotificationDataManager(target))
    manager.put(transaction.database.name, kind, model, state, records, skus, refs)


def moving(Model, records, state):
    """The records a transition to `state` will move: those
    Workflow.transition lets through that are not there already."""
    return [r for r in records
        if r.state != state and (r.state, state) in Model._transitions]


def sign(body, secret):
    "base64(HMAC-SHA256(secret, body)), what wooerp's ingress verifies."
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class NotificationDataManager:
    "Holds a transaction's events until it commits (see the module docstring)."

    def __init__(self, target):
        self.target = target
        self._events = {}

    def __eq__(self, other):
        if not isinstance(other, NotificationDataManager):
            return NotImplemented
        return self.target == other.target

    def put(self, database, kind, model, state, records, skus, refs):
        # One event per (kind, model, state) and transaction: a shipment of
        # five moves is one stock event, not five.
        event = self._events.setdefault((database, kind, model, state), {})
        for record in records:
            entry = event.setdefault(record, (set(), set()))
            entry[0].update(s for s in skus.get(record, ()) if s)
            entry[1].update(r for r in refs.get(record, ()) if r)

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        # trytond may call commit twice on one transaction: send once.
        events, self._events = self._events, {}
        bodies = [body for key, event in events.items()
            for body in _bodies(*key, event)]
        if bodies:
            SENDER.submit(self.target, bodies)

    def tpc_abort(self, transaction):
        self._events = {}


def _bodies(database, kind, model, state, event):
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    ids = sorted(event)
    for start in range(0, len(ids), MAX_ITEMS):
        chunk = ids[start:start + MAX_ITEMS]
        skus = sorted({s for i in chunk for s in event[i][0]})
        refs = sorted({r for i in chunk for r in event[i][1]})
        yield json.dumps({
                'version': PAYLOAD_VERSION,
                'event_id': uuid.uuid4().hex,
                'database': database,
                'kind': kind,
                'model': model,
                'state': state,
                'ids': chunk,
                'skus': skus,
                'external_refs': refs,
                'occurred_at': now,
                }, separators=(',', ':')).encode()


class Sender:
    """One daemon thread per process that POSTs events in order.

    Started on first use and again after a fork (a pre-forking server's
    workers do not inherit the parent's thread).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._queue = None
        self._thread = None

    def submit(self, target, bodies):
        pending = self._ensure_running()
        for body in bodies:
            try:
                pending.put_nowait((target, body))
            except queue.Full:
                logger.warning('wooerp notification dropped: %d waiting '
                    '(wooerp down?); its poll will catch up', MAX_PENDING)

    def _ensure_running(self):
        with self._lock:
            if (self._pid != os.getpid() or self._thread is None
                    or not self._thread.is_alive()):
                self._pid = os.getpid()
                self._queue = queue.Queue(MAX_PENDING)
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,),
                    name='wooerp-notify', daemon=True)
                self._thread.start()
            return self._queue

    def _run(self, pending):
        while True:
            target, body = pending.get()
            try:
                deliver(target, body)
            except Exception:  # the thread must outlive any one event
                logger.exception('wooerp notification failed')


def deliver(target, body):
    "POST one event, a few times at most; True when wooerp took it."
    event_id = json.loads(body)['event_id']
    request = urllib.request.Request(target.url, data=body, method='POST',
        headers={
            'Content-Type': 'application/json',
            'User-Agent': 'wooerp_link (Tryton)',
            SIGNATURE_HEADER: sign(body, target.secret),
            EVENT_HEADER: event_id,
            })
    for attempt in range(1, target.attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=target.timeout) as response:
                response.read(1024)
            return True
        except urllib.error.HTTPError as error:
            retry = error.code == 429 or error.code >= 500
            reason = f'HTTP {error.code}'
        except (OSError, ValueError) as error:  # refused, timeout, DNS
            retry, reason = True, repr(error)
        if not retry or attempt == target.attempts:
            logger.warning('wooerp notification %s not delivered to %s '
                'after %d attempt(s): %s', event_id, _safe_url(target.url),
                attempt, reason)
            return False
        time.sleep(RETRY_PAUSE_S * attempt)
    return False


def _safe_url(url):
    parts = urllib.parse.urlsplit(url)
    return f'{parts.scheme}://{parts.hostname}:{parts.port or ""}{parts.path}'


@functools.cache
def _read_secret(path):
    try:
        with open(path) as fp:
            return fp.read().strip()
    except OSError:
        logger.error('wooerp notifications are off: cannot read %s', path)
        return None


@functools.cache
def _warn_once(message):
    logger.warning(message)


SENDER = Sender()
