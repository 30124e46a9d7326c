"""The MPI side of data parallelism: the job's processes and every exchange between them
(mpi4py, imported by tn.distributed.init() only).

Every collective goes through `Context.wait`: it is started non-blocking on a
communicator of treino's own, then waited for together with a receive that is always
posted for error messages. A process whose training raises sends its error to every
other process (`fail`, from `guard`) and raises it; the others, waiting in their next
collective, get the message and raise RemoteError naming the process and its error.
Nobody waits forever for a process that will never come, and a collective that makes no
progress for `timeout` seconds (a process stuck, killed, or that skipped a collective
the others run) ends the whole job through MPI_Abort, after saying why.

Messages carry the number of the call (fit, evaluate...) they stopped: every process
makes the same calls, so a message left over from a call that every process abandoned
together (the same bad argument everywhere) is told apart and dropped. A process that
left a collective unfinished (it raised mid-call, or stopped waiting on a message) can
no longer exchange anything: its later calls raise at once.
"""
import atexit
import contextlib
import os
import pickle
import struct
import sys
import threading
import time

import numpy as np

_ERROR_TAG = 7
_MAX_MESSAGE = 4096  # bytes of an error message sent to the other processes


class RemoteError(RuntimeError):
    """Another process of the job raised: this one stops too (its own state is intact,
    the step that was waiting did not update anything)."""


class Context:
    """The processes of a data-parallel job, as seen by this one: rank, size, local
    rank, and the exchanges (allreduce, bcast, allgather of Python objects, barrier)."""

    def __init__(self, MPI, timeout):
        self.MPI = MPI
        world = MPI.COMM_WORLD
        self.rank, self.size = world.Get_rank(), world.Get_size()
        local = world.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        # treino's own communicators: its collectives never match a user's.
        self.comm, self._errors = world.Dup(), world.Dup()
        self.timeout = timeout
        self.broken = None  # why this process's collectives stopped, after an error
        self.seconds, self.calls = 0.0, 0  # time spent in collectives (bench_distributed)
        self.call = 0  # the number of the current guarded call (see the module docstring)
        self._depth, self._started = 0, False  # guard nesting; a collective in this call?
        self._message = bytearray(_MAX_MESSAGE + 8)
        self._inbox = self._post()
        self._later = []  # (call, source, text) of messages about calls still to come
        self._sent = []
        self._deadline, self._what, self._watchdog = None, None, None
        atexit.register(self._close)

    # -- waiting, errors and the timeout ----------------------------------------------
    def _post(self):
        return self._errors.Irecv([self._message, self.MPI.BYTE], source=self.MPI.ANY_SOURCE,
                                  tag=_ERROR_TAG)

    def wait(self, request, what):
        """Waits for a started collective, or for an error message from another process
        about this call (then raises RemoteError)."""
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="treino-mpi-watchdog",
                                              daemon=True)
            self._watchdog.start()
        self._started = True
        status = self.MPI.Status()
        self._what = what
        self._deadline = time.monotonic() + self.timeout
        start = time.perf_counter()
        self._later = [m for m in self._later if m[0] >= self.call]
        try:
            while True:
                for call, source, text in self._later:
                    if call == self.call:
                        self._remote(source, text, what)
                # (mpi4py releases the GIL while it waits)
                if self.MPI.Request.Waitany([request, self._inbox], status) == 0:
                    return
                n = status.Get_count(self.MPI.BYTE)
                call = struct.unpack("<q", self._message[:8])[0]
                text = bytes(self._message[8:n]).decode("utf-8", "replace")
                self._inbox = self._post()
                if call >= self.call:  # (an older call's message: every process left it)
                    self._later.append((call, status.Get_source(), text))
        finally:
            self._deadline = None
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def _remote(self, source, text, what):
        self.broken = (f"process {source} raised an error earlier ({text}); the job's "
                       f"processes no longer train together: end the job")
        raise RemoteError(f"{what}: process {source} of {self.size} raised an error, so "
                          f"every process stops: {text}")

    def _check(self, what):
        if self.broken is not None:
            raise RuntimeError(f"{what}: {self.broken}")

    def _watch(self):
        period = min(1.0, self.timeout / 4)
        while True:
            time.sleep(period)
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                sys.stdout.flush()
                sys.stderr.write(
                    f"\ntreino.distributed: process {self.rank} of {self.size} waited "
                    f"{self.timeout:g} s in {self._what} for the other processes (one is "
                    f"stuck, was killed, or did not call what every process must call: "
                    f"fit, fit_dataset, evaluate, barrier...); ending the job\n")
                sys.stderr.flush()
                # mpiexec forwards each process's output through its proxies; an abort
                # at once can end the job before the message reaches the terminal.
                time.sleep(0.5)
                self.MPI.COMM_WORLD.Abort(1)

    def fail(self, error, what):
        """Tells every other process that this one raised `error` (once per error; not
        for an error that came from another process, nor one that every process raised
        together: see agreed)."""
        if isinstance(error, RemoteError) or getattr(error, "_treino_sent", False):
            return
        try:
            error._treino_sent = True
        except AttributeError:
            pass
        text = f"{type(error).__name__} in {what}: {error}".encode("utf-8", "replace")
        if len(text) > _MAX_MESSAGE:
            text = text[:_MAX_MESSAGE - 3] + b"..."
        message = struct.pack("<q", self.call) + text
        for dest in range(self.size):
            if dest != self.rank:
                self._sent.append(self._errors.Isend([message, self.MPI.BYTE], dest=dest,
                                                     tag=_ERROR_TAG))
        if self._started:  # the others may be in a collective this process left
            self.broken = f"this process raised {type(error).__name__} in {what}"

    @staticmethod
    def agreed(error):
        """Marks an error that every process raises at the same point, after the same
        exchange (the processes found they differ): nothing to tell the others."""
        error._treino_sent = True
        return error

    @contextlib.contextmanager
    def guard(self, what):
        """Runs a call that every process makes together; an exception raised in it on
        this process is sent to the others (see the module docstring), then raised."""
        if self._depth == 0:
            self.call += 1
            self._started = False
        self._depth += 1
        try:
            yield
        except BaseException as e:
            self.fail(e, what)
            raise
        finally:
            self._depth -= 1

    def _close(self):
        """At exit: withdraw the error receive, so MPI finalizes cleanly."""
        if not self._inbox.Test():
            self._inbox.Cancel()
            self._inbox.Wait()

    # -- collectives ------------------------------------------------------------------
    def allreduce(self, buf, what):
        """Sums a contiguous float32/float64/int32 array over the processes, in place."""
        self._check(what)
        self.wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM), what)
        return buf

    def bcast(self, buf, root, what):
        """Process `root`'s values of a contiguous array, in place on every process."""
        self._check(what)
        self.wait(self.comm.Ibcast(buf, root=root), what)
        return buf

    def barrier(self, what):
        self._check(what)
        self.wait(self.comm.Ibarrier(), what)

    def allgather_object(self, obj, what):
        """[obj of process 0, obj of process 1, ...] (pickled) on every process."""
        self._check(what)
        data = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), np.uint8)
        sizes = np.zeros(self.size, np.int64)
        sizes[self.rank] = data.size
        self.allreduce(sizes, what)
        out = np.empty(int(sizes.sum()), np.uint8)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.wait(self.comm.Iallgatherv(data, [out, sizes, offsets, self.MPI.BYTE]), what)
        return [pickle.loads(out[o:o + s].tobytes()) for o, s in zip(offsets, sizes)]

    def bcast_object(self, obj, root, what):
        """Process `root`'s obj (pickled) on every process."""
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == root else b""
        size = np.array([len(data)], np.int64)
        self.bcast(size, root, what)
        buf = np.frombuffer(data, np.uint8).copy() if self.rank == root else \
            np.empty(int(size[0]), np.uint8)
        self.bcast(buf, root, what)
        return obj if self.rank == root else pickle.loads(buf.tobytes())

    def sum_totals(self, totals, count, n_values, what):
        """evaluate's (sums of values x samples, samples) summed over the processes (a
        process with no sample passes totals=None)."""
        buf = np.zeros(n_values + 1, np.float64)
        if totals is not None:
            buf[:n_values] = totals
        buf[n_values] = count
        self.allreduce(buf, what)
        return buf[:n_values], int(buf[n_values])


def threads_per_process(ctx, get_num_threads, set_num_threads):
    """Shares the machine's cores between the processes on it, unless the user chose a
    thread count (OMP_NUM_THREADS, or set_num_threads before init): two processes with
    a thread per core each would fight over the cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    if ctx.local_size > 1 and "OMP_NUM_THREADS" not in os.environ and \
            get_num_threads() == cores:
        set_num_threads(max(1, cores // ctx.local_size))
