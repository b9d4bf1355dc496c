"""Peak resident sets, for `make bench`'s rows: the bench process's own and those of the processes a case
starts (a Celery worker and its pool, gunicorn and its workers).

Linux keeps each process's peak (VmHWM in /proc/<pid>/status; ru_maxrss for the process itself) and lets
its owner reset it to the present resident set (writing 5 to /proc/<pid>/clear_refs), so that one step of
a case can be measured on its own: reset, run the step, read the peak.
"""

import os
import resource
from pathlib import Path


def processes_in_group(group: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[2]) == group:
            pids.append(int(entry))
    return pids


def peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (Linux gives ru_maxrss in kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _status_kb(pid: int | str, field: str) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone, or not ours to read
        return None
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def rss_mb(pid: int | str = "self") -> float:
    """A process's present resident set, in MB."""
    return round((_status_kb(pid, "VmRSS") or 0) / 1024, 1)


def peak_mb_since_reset(pid: int | str = "self") -> float:
    """A process's peak resident set since it started or since its last reset_peak, in MB."""
    return round((_status_kb(pid, "VmHWM") or 0) / 1024, 1)


def reset_peak(pids: list[int | str]) -> None:
    """Start these processes' peaks again from their present resident sets."""
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:  # a process that exited meanwhile has no peak left to reset
            continue


def largest_peak_in_group_mb(group: int) -> float:
    """The largest peak resident set of one process in a process group (a worker's pool child doing the
    work, say): what one process needs, which a machine's memory must hold."""
    peaks = [_status_kb(pid, "VmHWM") or 0 for pid in processes_in_group(group)]
    return round(max(peaks, default=0) / 1024, 1)
