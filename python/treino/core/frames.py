"""tn.next_frame: TF.js's nextFrame, which yields to the browser's event loop so a
long training loop can repaint. Python has no frame to wait for: it does nothing, and
is awaitable so that ported `await tf.nextFrame()` lines keep working."""


class _Done:
    """An awaitable that completes at once (and does nothing when not awaited)."""
    __slots__ = ()

    def __await__(self):
        return iter(())

    def __repr__(self):
        return "<next_frame: done>"


def next_frame():
    """Does nothing; `await tn.next_frame()` completes at once."""
    return _Done()
