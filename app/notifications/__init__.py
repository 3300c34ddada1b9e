"""The sending side of the outbox: senders per channel and the worker that delivers due messages.

Services write :class:`~app.models.OutboxMessage` rows in their own transaction
(:mod:`app.services.outbox`); :mod:`app.notifications.worker` claims them and hands them to
:mod:`app.notifications.senders`. ``flask outbox send`` (:mod:`app.commands.outbox`) runs it.
"""
