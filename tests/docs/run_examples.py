#!/usr/bin/env python3
"""Runs the shell examples of README.md and docs/*.md that are marked runnable, on loopback, and
checks each one's output against the output printed under it, numbers masked.

The marker is an HTML comment right before a fenced block (GitHub does not render it):

    <!-- runnable -->                          the block needs nothing started
    <!-- runnable                              or: commands to start first, one a line, in the
    connperf server --listen 127.0.0.1:8888 -t 1 -q      background (their output is not shown);
    -->                                        each --listen / --stats-listen is waited for

In the block, a line `$ COMMAND` (continued by a trailing backslash) is run with bash in a scratch
directory, `connperf` on PATH being the binary under test, stdout and stderr together, at most
TIMEOUT seconds, with pipefail; the lines under it, up to the next `$ `, are its output. A command
must exit 0 (show a failure with `; echo "exit $?"`; cut output with grep or tail, not `| head`,
which kills the writer at random). Every loopback port of four or five digits is replaced by
a free one, the same within a block, so examples may name 8888 and still run beside other tests.

Comparison, line by line after masking: a number (with its unit: 23us, 1.46ms, 3.00 s, 2.92 MiB)
becomes N, runs of blanks become one, and consecutive lines that are then equal count once (so a
table may have more or fewer interval rows than printed; the rate line's ", then 0.02 s for what
was in flight" is dropped, as it shows only when that took long enough; so is the summary's
"warning: connperf used N% of the usable CPUs", which shows only when the run kept them busy). A line `...` in the
printed output stands for any number of lines. A renamed flag, a renamed key or a changed line of a table fails.

Every process started is stopped by its PID (its process group: SIGTERM, then SIGKILL).

Usage: run_examples.py CONNPERF REPO_ROOT [--print | --update] [FILE.md...]   (CTest: DocExamples)
  --print   show each command's real output;  --update   write it into the files (blocks that
  elide with `...` are left alone).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 20  # seconds per command
PORT = re.compile(r"((?:127\.0\.0\.1|\]|localhost):"
                  r"|--(?:stats-listen|server-stats|port|local-port|remote-port)[ =])(\d{4,5})\b")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?(?: ?(?:µs|us|ms|s|KiB|MiB|GiB|B)\b)?")
# A run's rate line says how long what was in flight took after the load ended, when it took long
# enough to show: a matter of timing, not of shape.
DRAIN = ", then N for what was in flight"
# The summary's warning that the run kept its CPUs busy: a matter of the host's load, not of shape.
CPU_WARNING = "warning: connperf used N% of the usable CPUs"
LISTEN = re.compile(r"--(?:stats-)?listen[ =](\S+)")


class Example:
    def __init__(self, path, line, background):
        self.path, self.line, self.background = path, line, background
        self.commands = []  # [command, [expected lines], first line index, end line index]


def parse(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    examples, i = [], 0
    while i < len(lines):
        if not lines[i].startswith("<!-- runnable"):
            i += 1
            continue
        start, background = i, []
        if not lines[i].rstrip().endswith("-->"):
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("-->"):
                if lines[i].strip():
                    background.append(lines[i].strip())
                i += 1
        i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            sys.exit(f"{path}:{start + 1}: a runnable marker not followed by a fenced block")
        example, i = Example(path, start + 1, background), i + 1
        while True:
            if i >= len(lines):
                sys.exit(f"{path}:{start + 1}: the runnable block is not closed")
            if lines[i].startswith("```"):
                break
            if lines[i].startswith("$ "):
                command, first = lines[i][2:], i
                while command.endswith("\\"):
                    i += 1
                    command = command + "\n" + lines[i]
                example.commands.append([command, [], first, i + 1])
            elif example.commands:
                example.commands[-1][1].append(lines[i])
                example.commands[-1][3] = i + 1
            i += 1
        if not example.commands:
            sys.exit(f"{path}:{start + 1}: a runnable block without a `$ ` command")
        examples.append(example)
    return examples


def mask(text_lines):
    out = []
    for line in text_lines:
        line = " ".join(NUMBER.sub("N", line).split()).replace(DRAIN, "")
        if line.startswith(CPU_WARNING):
            continue
        if not out or out[-1] != line:
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


def matches(expected, actual):
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def remap(text, ports):
    def one(m):
        port = m.group(2)
        if port not in ports:
            ports[port] = free_port()
        return m.group(1) + ports[port]
    return PORT.sub(one, text)


def stop(process):
    """SIGTERM to the process group the example started, SIGKILL after 5 s; by its PID only."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


class BackgroundExited(RuntimeError):
    pass


def listening_ports():
    """Ports in LISTEN, from /proc/net/tcp{,6}: waiting never connects, so no server counts it."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for row in open(name).read().split("\n")[1:]:
                fields = row.split()
                if len(fields) > 3 and fields[3] == "0A":
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def wait_listening(address, process, log):
    port = int(address.rpartition(":")[2])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackgroundExited(f"background command exited {process.returncode}: {open(log).read()}")
        if port in listening_ports():
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listening on {address} after 5 s")


def run_command(command, cwd, env):
    process = subprocess.Popen(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(process)
        return None, f"did not end within {TIMEOUT} s"
    finally:
        stop(process)
    return process.returncode, output.decode("utf-8", "replace")


def start_background(example, scratch, env, started):
    """Starts the block's background commands and waits for their listeners; returns the block's
    port map. A free port that another process took meanwhile makes a server exit: the block's
    ports are picked again (three tries)."""
    for attempt in range(3):
        ports = {}
        try:
            for k, command in enumerate(example.background):
                log = os.path.join(scratch, f".background{k}.log")
                with open(log, "w") as sink:
                    process = subprocess.Popen(["bash", "-c", "exec " + remap(command, ports)],
                                               cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                                               stdout=sink, stderr=subprocess.STDOUT,
                                               start_new_session=True)
                started.append(process)
                for address in LISTEN.findall(remap(command, ports)):
                    wait_listening(address, process, log)
            return ports
        except BackgroundExited:
            for process in reversed(started):
                stop(process)
            started.clear()
            if attempt == 2:
                raise
    return {}


def run_example(example, env, mode):
    """Returns a list of failures (strings) and, per command, its real output."""
    scratch = tempfile.mkdtemp(prefix="connperf-doc-")
    started, failures, outputs = [], [], []
    try:
        ports = start_background(example, scratch, env, started)
        for command, expected, first, _ in example.commands:
            where = f"{example.path}:{first + 1}"
            code, output = run_command(remap(command, ports), scratch, env)
            for doc_port, port in ports.items():  # the doc's ports back, for --print and --update
                output = re.sub(rf"\b{port}\b", doc_port, output or "")
            outputs.append(output or "")
            if code is None:
                failures.append(f"{where}: `{command}` {output}")
                continue
            if code != 0:
                failures.append(f"{where}: `{command}` exited {code}:\n{output}")
                continue
            actual = output.rstrip("\n").split("\n") if output.strip() else []
            if mode is None and not matches(mask(expected), mask(actual)):
                failures.append(f"{where}: `{command}` printed, masked:\n  "
                                + "\n  ".join(mask(actual)) + "\nthe doc shows, masked:\n  "
                                + "\n  ".join(mask(expected)))
    except (RuntimeError, OSError) as error:
        failures.append(f"{example.path}:{example.line}: {error}")
    finally:
        for process in reversed(started):
            stop(process)
        shutil.rmtree(scratch, ignore_errors=True)
    return failures, outputs


def update(path, examples, results):
    lines = open(path, encoding="utf-8").read().split("\n")
    for example, outputs in reversed(list(zip(examples, results))):
        for (command, expected, _, end), output in reversed(list(zip(example.commands, outputs))):
            if "..." in expected:
                continue
            real = [line.rstrip("\r") for line in output.rstrip("\n").split("\n")] if output.strip() else []
            lines[end - len(expected):end] = real
    open(path, "w", encoding="utf-8").write("\n".join(lines))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mode = next((a[2:] for a in sys.argv[1:] if a in ("--print", "--update")), None)
    if len(args) < 2:
        sys.exit(__doc__)
    binary, root, files = os.path.abspath(args[0]), args[1], args[2:]
    if not files:
        docs = os.path.join(root, "docs")
        files = [os.path.join(root, "README.md")] + sorted(
            os.path.join(docs, f) for f in os.listdir(docs) if f.endswith(".md"))
    # CTest's timeout (or Ctrl-C) ends this process: unwind, so every finally stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bindir = tempfile.mkdtemp(prefix="connperf-doc-bin-")
    os.symlink(binary, os.path.join(bindir, "connperf"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], LC_ALL="C.UTF-8")
    began, failures, count, commands = time.monotonic(), [], 0, 0
    try:
        for path in files:
            examples = parse(path)
            results = []
            for example in examples:
                failed, outputs = run_example(example, env, mode)
                failures += failed
                results.append(outputs)
                count, commands = count + 1, commands + len(example.commands)
                if mode == "print":
                    for (command, *_), output in zip(example.commands, outputs):
                        print(f"$ {command}\n{output}", end="" if output.endswith("\n") else "\n")
            if mode == "update" and examples:
                update(path, examples, results)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
    for failure in failures:
        print("docs: " + failure, file=sys.stderr)
    print(f"docs: {count} runnable examples ({commands} commands) in {len(files)} files, "
          f"{len(failures)} failed, {time.monotonic() - began:.1f} s")
    sys.exit(1 if failures or count == 0 else 0)


if __name__ == "__main__":
    main()
