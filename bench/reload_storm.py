"""A reload every INTERVAL seconds for SECONDS, without starting a process per reload: the config
file replaced by a rename, then SIGHUP to PID. (A shell loop forks mv, sleep and date each time,
about 30 processes a second on the cores the app and wrk share.) Prints the reloads asked."""
import os
import sys
import time

pid, config, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
tmp = os.path.join(os.path.dirname(config), ".storm.tmp")
end = time.monotonic() + seconds
asked = 0
while time.monotonic() < end:
    asked += 1
    with open(tmp, "w") as f:
        f.write('app:\n  greeting: "storm %d"\n' % asked)
    os.rename(tmp, config)
    os.kill(pid, 1)
    time.sleep(interval)
print(asked)
