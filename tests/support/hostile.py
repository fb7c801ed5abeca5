"""Running a reader on hostile files: a child process with at most 1 GiB of
address space (a reader that believed a size a file claims would need far
more), unless it is built with AddressSanitizer, whose shadow memory alone
reserves terabytes of address space (sanitize.sh sets ASAN_OPTIONS)."""
import os
import resource
import subprocess


def limit_address_space():
    if "ASAN_OPTIONS" not in os.environ:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_limited(command, timeout):
    """`command`'s result (text output), its memory capped as above."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=limit_address_space)
