"""The progress display of fit: verbose=1, a per-epoch bar redrawn at a bounded rate;
verbose=2, one line per epoch."""
import sys
import time

from .base import Callback


def _fmt_value(v):
    return f"{v:.4e}" if 0 < abs(v) < 1e-3 else f"{v:.4f}"


def _fmt_time(s):
    if s < 0.1:
        return f"{s * 1e3:.0f}ms"
    if s < 60:
        return f"{s:.1f}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"


def _fmt_step(s):
    if s >= 1:
        return f"{s:.1f}s/step"
    return f"{s * 1e3:.0f}ms/step" if s >= 1e-3 else f"{s * 1e6:.0f}us/step"


def _fmt_logs(logs):
    return "".join(f" - {k}: {_fmt_value(v)}" for k, v in logs.items()
                   if k not in ("batch", "size") and isinstance(v, (int, float)))


class ProgressBar(Callback):
    """verbose=1: 'Epoch i/n', then a bar with ETA and the running means of the batch
    logs, redrawn in place at most once per `interval` seconds (time-based, so it costs
    one clock read per batch), finished by the epoch's logs. When `stream` is not a
    terminal, only the header and final line of each epoch are written.
    verbose=2: one line per epoch, 'Epoch 3/5 - 0.4s - loss: 0.1234 - acc: 0.9700'."""

    def __init__(self, verbose=1, stream=None, interval=0.1, clock=time.perf_counter,
                 width=30):
        super().__init__()
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: argument 'verbose' must be 0, 1 or 2, received "
                             f"{verbose!r}")
        self.verbose, self._stream, self.interval = verbose, stream, float(interval)
        self.clock, self.width = clock, int(width)

    def _out(self):
        return self._stream if self._stream is not None else sys.stdout

    def _write(self, text):
        out = self._out()
        out.write(text)
        out.flush()

    def on_train_begin(self, logs=None):
        out = self._out()
        try:
            self._tty = bool(out.isatty())
        except (AttributeError, ValueError):
            self._tty = False
        self._epochs = self.params.get("epochs")
        steps = self.params.get("steps")
        if steps is None and self.params.get("samples") and self.params.get("batch_size"):
            steps = -(-self.params["samples"] // self.params["batch_size"])
        self._steps = steps

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self, "_tty"):
            self.on_train_begin()
        self._start = self._last = self.clock()
        self._done, self._sums, self._weight, self._len = 0, {}, 0.0, 0
        if self.verbose == 1:
            self._write(f"Epoch {epoch + 1}/{self._epochs or '?'}\n")

    def on_batch_end(self, batch, logs=None):
        self._done += 1
        if self.verbose != 1 or not self._tty:
            return
        logs = logs or {}
        w = float(logs.get("size", 1))
        self._weight += w
        sums = self._sums
        for k, v in logs.items():
            if k != "batch" and k != "size":
                sums[k] = sums.get(k, 0.0) + v * w
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._draw(now)

    def _bar(self, done):
        steps = self._steps
        if not steps:
            return f"{done}/?"
        filled = min(self.width, int(self.width * done / steps))
        arrow = ">" if filled < self.width else ""
        return (f"{done:>{len(str(steps))}}/{steps} [" + "=" * filled + arrow
                + "." * (self.width - filled - len(arrow)) + "]")

    def _draw(self, now):
        elapsed = now - self._start
        eta = ""
        if self._steps:
            eta = f" - ETA: {_fmt_time(elapsed / self._done * max(self._steps - self._done, 0))}"
        means = {k: v / self._weight for k, v in self._sums.items()}
        self._redraw(self._bar(self._done) + eta + _fmt_logs(means), final=False)

    def _redraw(self, line, final):
        pad = " " * max(self._len - len(line), 0)  # erase what a longer line left
        self._len = 0 if final else len(line)
        self._write("\r" + line + pad + ("\n" if final else ""))

    def on_epoch_end(self, epoch, logs=None):
        elapsed = self.clock() - self._start
        logs = logs or {}
        if self.verbose == 2:
            self._write(f"Epoch {epoch + 1}/{self._epochs or '?'} - {_fmt_time(elapsed)}"
                        f"{_fmt_logs(logs)}\n")
        elif self.verbose == 1:
            done = self._done or self._steps or 0
            per = f" {_fmt_step(elapsed / done)}" if done else ""
            line = f"{self._bar(done)} - {_fmt_time(elapsed)}{per}{_fmt_logs(logs)}"
            if self._tty:
                self._redraw(line, final=True)
            else:
                self._write(line + "\n")
