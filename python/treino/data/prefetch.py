"""Prefetching: a producer thread runs the upstream pipeline ahead of the consumer.

Numpy and the native kernels release the GIL, so producing the next batches (parsing,
decoding, stacking) overlaps with the training step that consumes the current one. The
queue is bounded, so at most `buffer_size` elements wait in memory. The thread is a
daemon and watches a stop event: when the consumer stops early (break, close, garbage
collection of the iterator) the producer closes its upstream and exits.
"""
import queue
import threading

from ..core import random as _random

_ITEM, _END, _ERROR = 0, 1, 2
_POLL = 0.05  # seconds a blocked put waits before re-checking the stop event


def _put(q, item, stop):
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL)
            return True
        except queue.Full:
            pass
    return False


def _produce(open_fn, q, stop, rng):
    _random.use_generator(rng)  # this thread's draws: its own stream (core/random.py)
    try:
        it = iter(open_fn())
        try:
            for x in it:
                if not _put(q, (_ITEM, x), stop):
                    return
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # releases the upstream's files and nested prefetch threads
        _put(q, (_END, None), stop)
    except BaseException as e:  # crosses to the consumer with its own type and traceback
        _put(q, (_ERROR, e), stop)


def prefetch_iterator(open_fn, buffer_size):
    """A generator yielding the elements of `open_fn()` produced in a background thread.
    The thread starts at the first next(), so an iterator never consumed holds none."""
    q = queue.Queue(maxsize=buffer_size)
    stop = threading.Event()
    # Split off in the consumer's thread, at the pass's first element: a fixed point of
    # the global stream, so a seeded program repeats whatever the threads' timing.
    rng = _random.split_generator()
    thread = threading.Thread(target=_produce, args=(open_fn, q, stop, rng), daemon=True,
                              name="treino-data-prefetch")
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == _ITEM:
                yield value
            elif kind == _END:
                return
            else:
                if hasattr(value, "add_note"):
                    value.add_note("tn.data: raised in the prefetch thread")
                raise value
    finally:
        stop.set()
        try:
            while True:  # frees queued elements and unblocks a producer waiting to put
                q.get_nowait()
        except queue.Empty:
            pass
        # Usually immediate; a producer busy inside a slow upstream element exits on its
        # own once that element is done, without holding the consumer up.
        thread.join(timeout=0.1)
