"""Results that TF.js code gets from async functions: a ported `async def` callback,
dataset function or map transform returns a coroutine, which treino runs to completion
where TF.js would await it."""


def resolve(value, what):
    """value itself, or the result of awaiting it when it is awaitable (a coroutine), run
    to completion on an event loop of its own. When this thread already runs a loop (a
    notebook's, or asyncio.run(main()) around fit), that loop is busy in the caller: the
    coroutine then runs on a helper thread's loop, and its exception comes back here.
    `what` names the function in errors."""
    if not hasattr(type(value), "__await__"):
        return value
    import asyncio  # only when a coroutine shows up: importing treino stays light
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wait(value))
    import threading
    out = {}

    def run():
        try:
            out["value"] = asyncio.run(_wait(value))
        except BaseException as e:  # noqa: BLE001 (re-raised in the caller's thread)
            out["error"] = e
    t = threading.Thread(target=run, name=f"treino-await ({what})", daemon=True)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


async def _wait(value):
    return await value
