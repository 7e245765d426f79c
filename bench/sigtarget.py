"""A SIGHUP target for bench/ReloaderLatency: prints CLOCK_MONOTONIC (the clock of Java's
System.nanoTime) in nanoseconds, one line per SIGHUP received. A JVM target would add its own
signal dispatch (a thread started per signal, ~1-4 ms here) to the reloader's figure."""
import signal
import sys
import time


def on_hup(signum, frame):
    sys.stdout.write("%d\n" % time.monotonic_ns())
    sys.stdout.flush()


signal.signal(signal.SIGHUP, on_hup)
print("ready", flush=True)
while True:
    signal.pause()
