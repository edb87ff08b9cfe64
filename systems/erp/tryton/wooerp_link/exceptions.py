"""Errors wooerp_link raises, in words a person reads and a code a program reads.

Over JSON-RPC a WooerpError arrives as
`["UserError", [message, "wooerp:<code>[:<detail>]", null]]`: the message is
the translated ir.message, the description the stable code wooerp's adapter
classifies on (README.md lists them).
"""
from trytond import backend
from trytond.exceptions import ConcurrencyException, UserError
from trytond.i18n import gettext


class WooerpError(UserError):

    def __init__(self, code, detail=None, **variables):
        description = f'wooerp:{code}' + (f':{detail}' if detail is not None else '')
        super().__init__(gettext(f'wooerp_link.msg_{code}', **variables), description)
        self.wooerp_code = code


def lost_race(Model, error):
    """Handle a unique-constraint error from creating a `Model` record.

    A racer committed the same record first. `Model.lock()` raises a
    TransactionError unless the table is locked already: trytond's
    dispatcher then rolls back and runs the whole call again with the table
    locked from the start (trytond 8.2), so the retry finds the winner's
    record instead of colliding. If the table was locked and we still
    collided, only a backend without table locks (SQLite) let a writer
    through: the caller may simply try again.
    """
    if not isinstance(error.__cause__, backend.DatabaseIntegrityError):
        raise error
    Model.lock()
    raise ConcurrencyException(
        f'{Model.__name__}: a concurrent call created the same record; '
        'try again') from error
