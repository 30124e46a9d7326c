"""Results that TF.js code gets from async functions: a ported `async def` callback,
dataset function or map transform returns a coroutine, which treino runs to completion
where TF.js would await it."""


def resolve(value, what):
    """value itself, or the result of awaiting it when it is awaitable (a coroutine). In
    a thread already running an event loop (a notebook's), a coroutine cannot be waited
    for synchronously: that raises, naming `what`."""
    if not hasattr(type(value), "__await__"):
        return value
    import asyncio  # only when a coroutine shows up: importing treino stays light
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wait(value))
    close = getattr(value, "close", None)
    if close is not None:
        close()  # never awaited: closed, instead of leaving a warning behind
    raise RuntimeError(f"{what} returned a coroutine, and this thread already runs an "
                       f"event loop (a notebook's?), so treino cannot wait for it; "
                       f"use a plain (non-async) function here")


async def _wait(value):
    return await value
